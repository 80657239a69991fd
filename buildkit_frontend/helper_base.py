"""Which image the helper stages start from: the stage's own base image, unless that
image has ONBUILD triggers, which would run in every helper stage (copying the whole
build context into the CPython build, for one, so any change rebuilds it)."""

from __future__ import annotations

import re

from . import defaults
from .errors import PyenvError
from .facts import ImageFacts
from .pyenv_grammar import PyenvSpec
from .stages import Root

#: repository:tag, without a digest (a pinned image names no -base twin).
_TAGGED = re.compile(r"^(?P<repo>[^@]+):(?P<tag>[\w][\w.-]*)$")


def builder_root(
    root: Root,
    image: str,
    facts: ImageFacts | None,
    spec: PyenvSpec,
    chosen: str | None,
    runtimes: tuple[str, ...],
) -> tuple[Root, str | None]:
    """The image (and platform) helper stages start from, and a note when it is not the
    stage's own base image. `image` is the root's image as the build resolves it,
    `facts` what was gathered about it (None: not asked), `chosen` PYENV_BUILDER_IMAGE,
    already validated, `runtimes` the Astronomer Runtime repositories."""
    if chosen:
        note = f"the stages that build Python start FROM {chosen} ({defaults.BUILDER_ARG})"
        return Root(chosen, root.platform), note
    triggers = list(facts.onbuild) if facts is not None and facts.onbuild is not None else None
    base_variant = runtime_base_variant(image, runtimes)
    known_clean = _runtime_tag(image, runtimes) is not None  # the -base tags have none
    if triggers is None and not base_variant and not known_clean and facts is not None:
        why = facts.unknown_because
        if why is None:  # the triggers were not asked for
            return root, None
        # Said, not guessed silently: another machine's engine may know better.
        return root, (
            f"could not learn whether {image} has ONBUILD triggers ({why}); if it has, "
            f"pass --build-arg {defaults.BUILDER_ARG}=<the same image without them>, or "
            "pull it and render again"
        )
    if not triggers and not (triggers is None and base_variant):
        return root, None
    if base_variant:
        note = (
            f"{image} has ONBUILD triggers, which must not run where Python is built: "
            f"those stages start FROM {base_variant} (set {defaults.BUILDER_ARG} to choose)"
        )
        return Root(base_variant, root.platform), note
    shown = (triggers or ["?"])[0]
    raise PyenvError(
        f"{image} has ONBUILD triggers ({shown}{', ...' if len(triggers or []) > 1 else ''}), "
        "which would run in the stages that build Python and its venvs",
        spec.where,
        spec.source,
        f"pass --build-arg {defaults.BUILDER_ARG}=<the same image without ONBUILD triggers>",
    )


def _runtime_tag(image: str, runtimes: tuple[str, ...]) -> tuple[str, str] | None:
    """(repository, tag) of an image of a known Runtime repository."""
    match = _TAGGED.match(image)
    if not match or match.group("repo") not in runtimes:
        return None
    return match.group("repo"), match.group("tag")


def runtime_base_variant(image: str, runtimes: tuple[str, ...]) -> str | None:
    """`<repository>:<tag>-base` for an Astronomer Runtime image (any of `runtimes`)
    tagged without -base: Runtime 2's `quay.io/astronomer/astro-runtime:12.6.0`, Runtime
    3's `astrocrpublic.azurecr.io/runtime:3.1-1`."""
    found = _runtime_tag(image, runtimes)
    if found is None or found[1].endswith("-base"):
        return None
    return f"{found[0]}:{found[1]}-base"
