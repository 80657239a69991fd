"""Facts from outside the Dockerfile, gathered once, then frozen for planning.

`gather` fetches exactly what a Survey needs through two small interfaces: a
ContextSource (the local directory, BuildKit's view of the client's context, or none)
and an ImageSource (the local engine, the BuildKit gateway, or offline). Planning reads
only the Facts it returns, so `build`'s render record, made of the same Facts, cannot
miss an input: every field of Facts is either recorded or the record is refused
(render_cache.FACT_SIGNERS).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from .base_os import BaseOS
from .environment_files import environment_files
from .errors import PyenvError
from .survey import Survey


@dataclass(frozen=True)
class ImageFacts:
    """What was learned about one base image."""

    #: The engine's ID of the image (names its content); None when not known.
    id: str | None = None
    #: Its ONBUILD triggers ([] for none); None when not known.
    onbuild: tuple[str, ...] | None = None
    #: Its OS, read from /etc/os-release; None when not asked or not known.
    os: BaseOS | None = None
    #: Why something asked for could not be learned (names where it was asked).
    unknown_because: str | None = None
    #: The place asked answered that it has no such image.
    absent: bool = False


class ContextSource(Protocol):
    """The build context as the build will see it."""

    label: str  # how messages name the context

    def prefetch(self, paths: tuple[str, ...]) -> None:
        """Fetch `paths` at once, where a source can batch (the gateway)."""

    def file(self, path: str) -> bytes | None:
        """A context-relative regular file's bytes, None when the build cannot see it."""

    def is_directory(self, path: str) -> bool:
        """Whether a context-relative path is a directory the build sees."""


class ImageSource(Protocol):
    """Where facts about base images come from."""

    #: How messages name the place asked (an engine endpoint, "BuildKit", "offline").
    endpoint: str

    def image(self, reference: str, wanted: frozenset[str]) -> ImageFacts:
        """The `wanted` facts (survey.IMAGE_CONFIG, survey.OS_RELEASE) of `reference`;
        what cannot be learned is None, with the reason in `unknown_because`."""


class Offline:
    """An ImageSource that asks nothing: every image fact is unknown, and says so."""

    endpoint = "no engine (offline)"

    def image(self, reference: str, wanted: frozenset[str]) -> ImageFacts:
        return ImageFacts(unknown_because="nothing was looked up (offline)")


@dataclass(frozen=True)
class Facts:
    """Everything planning knows from outside the Dockerfile."""

    #: How messages name the build context; None: there is no context to check.
    context_label: str | None = None
    #: Every context file read: its bytes, or None when the build cannot see it.
    context_files: Mapping[str, bytes | None] = field(default_factory=dict)
    #: Every context path asked whether it is a directory.
    context_directories: Mapping[str, bool] = field(default_factory=dict)
    #: The facts of each base image asked about, by reference.
    images: Mapping[str, ImageFacts] = field(default_factory=dict)
    #: Where the image facts came from (ImageSource.endpoint); None: nothing asked.
    endpoint: str | None = None

    def context(self) -> _KeptContext | None:
        """The context as gathered, for planning; None when there is none."""
        return None if self.context_label is None else _KeptContext(self)


class NotGathered(LookupError):
    """Planning read a fact that was not gathered: a bug in the survey or gathering."""


class _KeptContext:
    """Reads the gathered context files, as environment_files reads a live context."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.label = facts.context_label or "the build context"

    def file(self, path: str) -> bytes | None:
        try:
            return self.facts.context_files[path]
        except KeyError:
            raise NotGathered(f"context file {path!r}") from None

    def is_directory(self, path: str) -> bool:
        try:
            return self.facts.context_directories[path]
        except KeyError:
            raise NotGathered(f"context directory {path!r}") from None


class _Reading:
    """A live context source that keeps every answer it gives."""

    def __init__(self, source: ContextSource) -> None:
        self.source = source
        self.label = source.label
        self.files: dict[str, bytes | None] = {}
        self.directories: dict[str, bool] = {}

    def file(self, path: str) -> bytes | None:
        if path not in self.files:
            self.files[path] = self.source.file(path)
        return self.files[path]

    def is_directory(self, path: str) -> bool:
        if path not in self.directories:
            self.directories[path] = self.source.is_directory(path)
        return self.directories[path]


def gather(
    survey: Survey, context: ContextSource | None, images: ImageSource | None = None
) -> Facts:
    """Fetch what `survey` needs: the context files its PYENV lines read (those named,
    then what they name), and the base images' facts. Problems found on the way are
    left for planning, which meets them again in the kept facts, at the right line."""
    kept: dict[str, ImageFacts] = {}
    if images is not None:
        kept = {ref: images.image(ref, want) for ref, want in survey.needs.images.items()}
    if context is None:
        return Facts(images=kept, endpoint=images.endpoint if images else None)
    if survey.needs.context_paths:
        context.prefetch(survey.needs.context_paths)
    reading = _Reading(context)
    for spec in survey.environments:
        try:
            environment_files(spec, reading)
        except PyenvError:
            continue  # planning reports it from the same reads
    return Facts(
        context.label,
        reading.files,
        reading.directories,
        kept,
        images.endpoint if images else None,
    )
