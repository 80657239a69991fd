"""Outside facts that unit tests give the planner instead of an engine or a context."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from buildkit_frontend.base_os import BaseOS
from buildkit_frontend.facts import ImageFacts


class Images:
    """An ImageSource whose every image is `os` (and has `onbuild` triggers)."""

    endpoint = "the test's images"

    def __init__(self, os: BaseOS, onbuild: Mapping[str, list[str]] | None = None) -> None:
        self.os = os
        self.onbuild = onbuild

    def image(self, reference: str, wanted: frozenset[str]) -> ImageFacts:
        triggers = None if self.onbuild is None else self.onbuild.get(reference)
        # Triggers not given are not known, and nothing says why: no note is due.
        return ImageFacts(
            id=f"sha256:{reference}",
            onbuild=None if triggers is None else tuple(triggers),
            os=self.os,
            unknown_because=None if triggers is not None or self.onbuild is None else "unknown",
        )


def debian(release: str = "bookworm") -> Images:
    """Images that are all Debian `release`."""
    return Images(BaseOS("debian", release))


class Context:
    """A ContextSource over `files` (a mapping, or a reader of paths)."""

    def __init__(
        self,
        files: Mapping[str, bytes] | Callable[[str], bytes | None],
        label: str = "the build context",
        is_directory: Callable[[str], bool] | None = None,
    ) -> None:
        self.file = files.get if isinstance(files, Mapping) else files
        self.label = label
        self._is_directory = is_directory

    def prefetch(self, paths: tuple[str, ...]) -> None:
        """Nothing to fetch."""

    def is_directory(self, path: str) -> bool:
        return self._is_directory(path) if self._is_directory else False
