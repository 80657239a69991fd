"""The build context as BuildKit shows it to COPY: `.dockerignore` applied, symlinks
resolved inside the context.

The CLI (a local directory) and the frontend (files BuildKit sends) both decide here
which requirements files a build can see, so they decide the same way:

- `.dockerignore` files are read as BuildKit's dockerui reads them (moby/patternmatcher's
  `ignorefile.ReadAll`) and matched by e2b-dockerfile-utils' port of moby/patternmatcher,
  the matcher BuildKit filters the context with. The frontend also hands the same
  patterns to BuildKit, so what it reads is what the build gets. tests/fixtures/
  dockerignore holds BuildKit's own decisions (tools/dockerignore-match), and its test
  names where the port parts from them (a backslash before a letter).
- A symlink is followed the way BuildKit copies from a context (continuity's
  `fs.RootPath`): inside the context, an absolute target counts from the context's root
  and `..` stops there. A link to `/etc/passwd` is `<context>/etc/passwd`, never the
  machine's, so no file outside the context is read or hashed into a label. The link and
  its target are both context paths, and `.dockerignore` may exclude either.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import PyenvError

#: The ignore file at the root of the context, used when the Dockerfile has none of its
#: own (`<Dockerfile>.dockerignore` next to it).
DOCKERIGNORE = ".dockerignore"
#: BuildKit's limit on symlinks followed in one path (continuity: too many links).
_MAX_LINKS = 255


@dataclass(frozen=True)
class Ignore:
    """One `.dockerignore` file, read as BuildKit reads it."""

    #: What messages call the file (e.g. "app.Dockerfile.dockerignore").
    name: str
    #: The cleaned patterns (`!` marks an exception), as BuildKit's local source takes them.
    patterns: tuple[str, ...]
    #: The matcher BuildKit's local source builds from `patterns`.
    matcher: Any = field(repr=False, compare=False)

    def excludes(self, path: str) -> bool:
        """Whether BuildKit leaves the context path `path` (or a parent of it) out."""
        return bool(self.patterns) and self.matcher.matches(path)


def read_ignore(data: bytes, name: str) -> Ignore:
    """Parse a `.dockerignore` file: lines (a BOM and CRs dropped), `#` comments at the
    start of a line, spaces trimmed, paths cleaned; an invalid pattern is an error, as
    it fails the build."""
    text = data.decode("utf-8", "replace").removeprefix("\ufeff")
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    try:
        # BuildKit reads the file (ignorefile.ReadAll: comments, trimming, cleaning), then
        # hands the patterns to its local source, whose matcher trims them again and
        # knows no comments; the port does both steps, so both are taken here.
        patterns = tuple(_new_matcher(lines).patterns)
        for pattern in patterns:
            if posixpath.normpath(pattern.strip()) == "!":  # "!/": New cleans it first
                raise ValueError(f"Invalid ignore pattern '{pattern}': illegal exclusion pattern")
        matcher = _new_matcher("./" + p if p.startswith("#") else p for p in patterns)
    except ValueError as error:
        raise PyenvError(
            f"{name}: {error}", hint="BuildKit rejects this pattern and fails the build"
        ) from None
    return Ignore(name, patterns, matcher)


def _new_matcher(patterns: Iterable[str]) -> Any:
    try:
        from e2b_dockerfile_utils import PatternMatcher
    except ImportError:  # pragma: no cover - an install without the dependency
        raise PyenvError(
            "reading .dockerignore needs the package e2b-dockerfile-utils "
            "(moby/patternmatcher's matcher), which is not installed",
            hint="pip install buildkit-pyenv again, with its dependencies",
        ) from None
    return PatternMatcher(list(patterns))


def resolve(root: Path, relative: str) -> tuple[str, tuple[str, ...]] | None:
    """Follow `relative` inside `root` as BuildKit does: (the context path it ends at,
    the context paths of the symlinks passed on the way), or None when a part of it is
    missing or the links loop."""
    resolved: list[str] = []
    links: list[str] = []
    pending = [part for part in relative.split("/") if part]
    while pending:
        part = pending.pop(0)
        if part == ".":
            continue
        if part == "..":
            if resolved:
                resolved.pop()
            continue  # at the context's root, .. stays there
        candidate = [*resolved, part]
        try:
            status = os.lstat(root.joinpath(*candidate))
        except (OSError, ValueError):
            return None
        if stat.S_ISLNK(status.st_mode):
            links.append("/".join(candidate))
            if len(links) > _MAX_LINKS:
                return None
            try:
                target = os.readlink(root.joinpath(*candidate))
            except OSError:  # changed under us
                return None
            if target.startswith("/"):
                resolved = []
            pending = [p for p in target.split("/") if p] + pending
            continue
        if pending and not stat.S_ISDIR(status.st_mode):
            return None
        resolved = candidate
    return "/".join(resolved), tuple(links)


def directory_reader(root: Path, ignore: Ignore | None) -> Callable[[str], bytes | None]:
    """A `context_file` for a local directory: the bytes of a context-relative regular
    file as a build would COPY it, or None when the build cannot see it (missing, a
    directory, excluded by `ignore`, or a symlink whose target is any of those)."""
    root = root.resolve()

    def read(relative: str) -> bytes | None:
        relative = posixpath.normpath(relative)
        found = resolve(root, relative)
        if found is None:
            return None
        final, links = found
        if ignore is not None and any(ignore.excludes(p) for p in (*links, final)):
            return None
        path = root / final
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return None
        try:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                return None  # a directory, FIFO or device: COPY of a file cannot use it
            chunks = []
            while chunk := os.read(descriptor, 1 << 20):
                chunks.append(chunk)
            return b"".join(chunks)
        except OSError:
            return None
        finally:
            os.close(descriptor)

    return read


def directory_checker(root: Path, ignore: Ignore | None) -> Callable[[str], bool]:
    """Whether a context-relative path is a directory a build can see (not excluded by
    `ignore`, symlinks followed inside the context as for `directory_reader`)."""
    root = root.resolve()

    def is_directory(relative: str) -> bool:
        found = resolve(root, posixpath.normpath(relative))
        if found is None:
            return False
        final, links = found
        if ignore is not None and any(ignore.excludes(p) for p in (*links, final) if p):
            return False
        return (root / final).is_dir() and not (root / final).is_symlink()

    return is_directory


def ignore_candidates(context: Path, dockerfile: Path | None) -> list[Path]:
    """The ignore files a build of `dockerfile` in `context` looks for, first found wins."""
    candidates = []
    if dockerfile is not None:
        candidates.append(dockerfile.with_name(dockerfile.name + DOCKERIGNORE))
    candidates.append(context / DOCKERIGNORE)
    return candidates


def local_ignore(context: Path, dockerfile: Path | None) -> Ignore | None:
    """The `.dockerignore` a build of `dockerfile` (None: from standard input) in the
    directory `context` applies: `<Dockerfile>.dockerignore` next to the Dockerfile,
    else the context's own; None when there is neither."""
    for candidate in ignore_candidates(context, dockerfile):
        try:
            data = candidate.read_bytes()
        except FileNotFoundError:
            continue
        except OSError as error:
            raise PyenvError(f"cannot read {candidate}: {error.strerror}") from None
        return read_ignore(data, str(candidate))
    return None


class LocalContext:
    """A local directory as a build of it sees it (a facts.ContextSource): `ignore`
    applied, symlinks resolved inside it."""

    def __init__(self, root: Path, ignore: Ignore | None = None) -> None:
        self.root = root
        self.ignore = ignore
        self.label = (
            f"the build context {root}/"
            if ignore is None
            else f"the build context {root}/ (after {ignore.name})"
        )
        self.file = directory_reader(root, ignore)
        self.is_directory = directory_checker(root, ignore)

    def prefetch(self, paths: tuple[str, ...]) -> None:
        """Nothing to fetch ahead: the files are on this machine."""
