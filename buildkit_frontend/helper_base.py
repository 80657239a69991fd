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

# Astronomer's runtime images run ONBUILD triggers unless their tag ends with -base.
_ASTRO_RUNTIME = re.compile(r"^(?P<repo>(?:quay\.io/)?astronomer/astro-runtime):(?P<tag>[\w.-]+)$")


def builder_root(
    root: Root,
    image: str,
    facts: ImageFacts | None,
    spec: PyenvSpec,
    chosen: str | None,
) -> tuple[Root, str | None]:
    """The image (and platform) helper stages start from, and a note when it is not the
    stage's own base image. `image` is the root's image as the build resolves it,
    `facts` what was gathered about it (None: not asked), `chosen` PYENV_BUILDER_IMAGE,
    already validated."""
    if chosen:
        note = f"the stages that build Python start FROM {chosen} ({defaults.BUILDER_ARG})"
        return Root(chosen, root.platform), note
    triggers = list(facts.onbuild) if facts is not None and facts.onbuild is not None else None
    base_variant = astro_base_variant(image)
    known_clean = _ASTRO_RUNTIME.match(image) is not None  # the -base tags have none
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


def astro_base_variant(image: str) -> str | None:
    """`...astro-runtime:X-base` for an Astronomer runtime image tagged without -base."""
    match = _ASTRO_RUNTIME.match(image)
    if not match or match.group("tag").endswith("-base"):
        return None
    return f"{match.group('repo')}:{match.group('tag')}-base"
