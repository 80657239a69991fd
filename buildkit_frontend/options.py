"""Everything a render depends on besides the Dockerfile text, resolved once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .base_os import BaseOS
from .context import Ignore, directory_checker, directory_reader
from .errors import PyenvError


@dataclass(frozen=True)
class RenderOptions:
    """Build arguments and, where known, a way to look into the build context."""

    build_args: Mapping[str, str] = field(default_factory=dict)
    #: Reads a context-relative file (None if it is not there); None when the context
    #: is unknown, and nothing is checked.
    context_file: Callable[[str], bytes | None] | None = None
    #: How messages name the context.
    context_label: str = "the build context"
    #: The ONBUILD triggers of an image ([] for none); None when it cannot be looked up.
    image_triggers: Callable[[str], list[str] | None] | None = None
    #: The OS of an image (its Debian release); None when nothing can be looked up.
    base_os: Callable[[str], BaseOS] | None = None
    #: Whether a context-relative path is a directory the build sees (local projects a
    #: requirements file names); None when it cannot be asked.
    context_dir: Callable[[str], bool] | None = None


def directory_context(
    path: Path, ignore: Ignore | None = None
) -> tuple[Callable[[str], bytes | None], str]:
    """A `context_file` for a local directory, seen as a build sees it (`ignore` applied,
    symlinks resolved inside it), and its label."""
    label = f"{path}/" if ignore is None else f"{path}/ (after {ignore.name})"
    return directory_reader(path, ignore), label


def directory_dirs(path: Path, ignore: Ignore | None = None) -> Callable[[str], bool]:
    """A `context_dir` for a local directory, seen as a build sees it."""
    return directory_checker(path, ignore)


def parse_build_args(items: list[str], environ: Mapping[str, str]) -> dict[str, str]:
    """`KEY=VALUE` items as docker build takes them; a bare KEY reads the environment."""
    values: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not key:
            raise PyenvError(f"--build-arg {item!r} has no name", hint="--build-arg NAME=VALUE")
        if not sep:
            if key not in environ:
                continue  # as docker build does: an unset bare name is ignored
            value = environ[key]
        values[key] = value
    return values
