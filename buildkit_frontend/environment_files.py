"""What one PYENV line reads from the build context: its requirements file (or lock, or
uv project directory), the files that file names, and its --apt-file.

These rules run twice over the same reader shape: once while facts are gathered (every
read goes to the engine, the local directory or BuildKit, and is kept), once while
planning (every read comes from the kept facts). So the gathered facts hold exactly what
planning reads, and planning does no I/O.
"""

from __future__ import annotations

import dataclasses
import hashlib
import posixpath
import re
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import PyenvError
from .pyenv_grammar import PyenvSpec
from .requirements import (
    ContextPath,
    RequirementsFiles,
    RequirementsProblem,
    collect,
    package_list,
)


class ContextFiles(Protocol):
    """Reads the build context as the build will see it."""

    label: str  # how messages name the context

    def file(self, path: str) -> bytes | None:
        """The bytes of a context-relative regular file, or None when the build cannot
        see it."""

    def is_directory(self, path: str) -> bool:
        """Whether a context-relative path is a directory the build sees."""


@dataclass(frozen=True)
class EnvironmentFiles:
    """What one environment reads from the build context."""

    spec: PyenvSpec  # with a uv project directory taken as its uv.lock
    #: The context paths the install reads, the requirements file first.
    paths: tuple[ContextPath, ...]
    requirements_sha256: str | None
    warnings: tuple[str, ...] = ()


def environment_files(spec: PyenvSpec, context: ContextFiles | None) -> EnvironmentFiles:
    """Follow the context files `spec` names; an error at its line for a file the build
    cannot see. Without a context nothing is checked and only the named paths count."""
    if context is None:
        return EnvironmentFiles(spec, _named_paths(spec), None)
    spec = _locked_project(spec, context)
    if spec.apt_file is not None:
        _check_apt_file(spec, context)
    if not spec.requirements:
        return EnvironmentFiles(spec, _named_paths(spec), None)
    data = _context_file(spec, context, spec.requirements, "requirements file")
    digest = hashlib.sha256(data).hexdigest()
    if spec.lock:
        _check_lock(spec, data)
        found = RequirementsFiles(lock_paths(spec))
    else:
        try:
            found = collect(spec.requirements, context.file, context.is_directory)
        except RequirementsProblem as problem:
            raise PyenvError(problem.message, spec.where, spec.source, problem.hint) from None
    paths = found.paths
    if spec.apt_file and all(p.path != spec.apt_file for p in paths):
        paths = (*paths, ContextPath(spec.apt_file))
    return EnvironmentFiles(spec, paths, digest, found.warnings)


def _named_paths(spec: PyenvSpec) -> tuple[ContextPath, ...]:
    """The paths a line names itself, when the context could not be followed."""
    paths: tuple[ContextPath, ...] = ()
    if spec.requirements:
        paths = lock_paths(spec) if spec.lock else (ContextPath(spec.requirements),)
    if spec.apt_file and all(p.path != spec.apt_file for p in paths):
        paths = (*paths, ContextPath(spec.apt_file))
    return paths


def _context_file(spec: PyenvSpec, context: ContextFiles, path: str, what: str) -> bytes:
    """The bytes of a context file the line of `spec` names; an error at that line when
    the build cannot see it."""
    data = context.file(path)
    if data is None:
        raise PyenvError(
            f"{what} {path!r} is not in {context.label}",
            spec.where,
            spec.source,
            "paths are relative to the build context, as for COPY",
        )
    return data


def _locked_project(spec: PyenvSpec, context: ContextFiles) -> PyenvSpec:
    """`spec`, with a uv project directory it names taken as that project's uv.lock; an
    error for a uv.lock without its pyproject.toml."""
    if not spec.requirements:
        return spec
    if context.file(spec.requirements) is None and context.is_directory(spec.requirements):
        lock = posixpath.join(spec.requirements, "uv.lock")
        if context.file(lock) is None:
            raise PyenvError(
                f"{spec.requirements!r} is a directory without a uv.lock",
                spec.where,
                spec.source,
                "name a requirements file, a pylock.toml, or a uv project directory "
                "(pyproject.toml and uv.lock: run `uv lock` there)",
            )
        spec = dataclasses.replace(spec, requirements=posixpath.normpath(lock))
    if spec.lock == "uv.lock":
        project = posixpath.join(posixpath.dirname(spec.requirements or ""), "pyproject.toml")
        if (
            context.file(spec.requirements or "") is not None
            and context.file(posixpath.normpath(project)) is None
        ):
            raise PyenvError(
                f"{spec.requirements} has no pyproject.toml beside it in {context.label}",
                spec.where,
                spec.source,
                "a uv.lock belongs to a uv project: name the project's directory or its uv.lock",
            )
    return spec


def lock_paths(spec: PyenvSpec) -> tuple[ContextPath, ...]:
    """What a locked environment copies: a uv project's whole directory (its package
    sources with it), or the pylock.toml alone."""
    if spec.lock == "uv.lock":
        return (ContextPath(posixpath.dirname(spec.requirements or "") or ".", directory=True),)
    return (ContextPath(spec.requirements or ""),)


def _check_apt_file(spec: PyenvSpec, context: ContextFiles) -> None:
    """The --apt-file of `spec` is in the context and lists Debian package names."""
    assert spec.apt_file is not None
    data = _context_file(spec, context, spec.apt_file, "--apt-file")
    try:
        package_list(data.decode("utf-8", "replace"), spec.apt_file)
    except RequirementsProblem as problem:
        raise PyenvError(problem.message, spec.where, spec.source, problem.hint) from None


#: Each lock file's version key and the array of tables that lists its packages.
_LOCK_SHAPES = {"uv.lock": ("version", int, "package"), "pylock": ("lock-version", str, "packages")}
_LOCK_HINTS = {
    "uv.lock": "write it again with `uv lock` in the project's directory",
    "pylock": "write it again (uv export --format pylock.toml -o pylock.toml, or pip lock)",
}
#: The most parts a dotted key of a lock file may have: uv and pip write keys of a few,
#: and Python's TOML reader takes time quadratic in the parts of one key.
MAX_KEY_PARTS = 32
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
#: A dotted key (or a quoted string, or a bare word, taken as a key of one part), read at
#: most MAX_KEY_PARTS + 1 parts at a time: the matches do not overlap, and none holds
#: more parts than that, so reading them all is linear however long a key is.
_KEY_RUN = re.compile(rf"{_KEY_PART}(?:[ \t]*\.[ \t]*{_KEY_PART}){{0,{MAX_KEY_PARTS}}}")
_KEY_PARTS = re.compile(_KEY_PART)


def _check_lock(spec: PyenvSpec, data: bytes) -> None:
    """The lock file of `spec` is TOML of its kind's shape; an error at the line names
    what is wrong with it, which the install would otherwise meet much later."""
    assert spec.lock is not None and spec.requirements is not None
    name, kind = spec.requirements, spec.lock

    def fail(problem: str) -> PyenvError:
        return PyenvError(f"{name} {problem}", spec.where, spec.source, _LOCK_HINTS[kind])

    loads = _toml_reader()
    if loads is None:
        return  # Python < 3.11 without tomli: left to the installer
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise fail(f"is not UTF-8 text (byte {error.start})") from None
    for key in _KEY_RUN.finditer(text):
        if len(_KEY_PARTS.findall(key.group())) > MAX_KEY_PARTS:
            line = text.count("\n", 0, key.start()) + 1
            raise fail(
                f"has a key of more than {MAX_KEY_PARTS} parts on line {line}: not a lock "
                "file uv or pip writes (their keys have a few)"
            )
    try:
        document = loads(text)
    except RecursionError:
        raise fail("is not valid TOML: its arrays or tables are nested too deeply") from None
    except ValueError as error:  # tomllib.TOMLDecodeError
        raise fail(f"is not valid TOML: {error}") from None
    version_key, version_type, packages_key = _LOCK_SHAPES[kind]
    version = document.get(version_key)
    if not isinstance(version, version_type) or isinstance(version, bool):
        what = "an integer" if version_type is int else "a string"
        raise fail(f"has no `{version_key}` ({what}), so it is no {_lock_name(kind)}")
    packages = document.get(packages_key)
    if not isinstance(packages, list) or not all(isinstance(p, dict) for p in packages):
        raise fail(f"has no [[{packages_key}]] tables, so it is no {_lock_name(kind)}")


def _lock_name(kind: str) -> str:
    return "uv.lock" if kind == "uv.lock" else "pylock.toml (PEP 751)"


def _toml_reader() -> Any:
    """tomllib's `loads` (tomli's before Python 3.11), or None when there is neither."""
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            return None
    return tomllib.loads
