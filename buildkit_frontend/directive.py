"""The PYENV instruction: its grammar, and the validated spec one line stands for.

PYENV [--flag=value ...] <python-version> <venv-name> [<requirements-file>]
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass

from . import defaults
from .buildargs import UnsafeValue, UnsetVariable, split_words
from .errors import PyenvError, SourceRange

_VERSION = re.compile(
    r"^(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+)(?P<pre>(?:a|b|rc)\d+)?)?$"
)
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$")
_ABSOLUTE_PATH = re.compile(r"^(/[A-Za-z0-9._+@-]+)+$")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
# COPY would treat these as patterns or variables, so a requirements path cannot hold them.
_PATH_SPECIALS = re.compile(r"[*?\[\]$\\]")

FLAGS = {
    "path": "absolute directory of the venv (default: /home/astro/.venv/<venv-name>)",
    "sha256": "SHA-256 the CPython source tarball must have (needs an exact X.Y.Z version)",
    "provider": "where the interpreter comes from: image or source",
    "installer": "what installs the requirements: uv or pip",
    "seed": "also install pip into the venv (uv venvs have none otherwise)",
}
#: Flags that may stand alone, meaning "on".
_SWITCHES = {"seed"}
_CHOICES = {"provider": defaults.PROVIDERS, "installer": defaults.INSTALLERS}


@dataclass(frozen=True)
class PyenvSpec:
    """One environment, as a PYENV line asks for it."""

    version: str
    name: str
    requirements: str | None
    venv_path: str
    sha256: str | None
    where: SourceRange
    source: str
    provider: str | None = None  # None: the build's default (PYENV_PYTHON_PROVIDER)
    installer: str | None = None  # None: the build's default (PYENV_INSTALLER)
    seed: bool = False

    @property
    def variable(self) -> str:
        """The ENV variable that holds the venv's interpreter."""
        return f"{defaults.ENV_PREFIX}{self.name}"

    @property
    def python(self) -> str:
        """Absolute path of the venv's interpreter in the image."""
        return f"{self.venv_path}/bin/python"

    @property
    def minor(self) -> str:
        """The X.Y the version names."""
        return ".".join(self.version.split(".")[:2])


def parse_pyenv(
    value: str, where: SourceRange, source: str, variables: Mapping[str, str]
) -> PyenvSpec:
    """Validate the arguments of one PYENV instruction and return what it asks for."""

    def fail(message: str, hint: str | None = defaults.USAGE) -> PyenvError:
        return PyenvError(message, where, source, hint)

    try:
        words = split_words(value, variables)
    except UnsetVariable as missing:
        raise fail(
            f"${missing.name} is not set",
            f"declare `ARG {missing.name}=<value>` before the first FROM, "
            f"or pass --build-arg {missing.name}=<value>",
        ) from None
    except UnsafeValue as bad:
        raise fail(f"${bad.name} expands to {bad.value!r}, which is not a single word") from None

    flags: dict[str, str] = {}
    while words and words[0].startswith("--"):
        key, sep, flag_value = words.pop(0)[2:].partition("=")
        if key not in FLAGS:
            known = ", ".join(f"--{name}" for name in FLAGS)
            raise fail(f"unknown flag --{key}", f"PYENV knows {known}")
        if key in _SWITCHES and not sep:
            flag_value = "true"
        elif not sep or not flag_value:
            raise fail(f"--{key} needs a value: --{key}=<{FLAGS[key]}>")
        if key in flags:
            raise fail(f"--{key} is given twice")
        choices = _CHOICES.get(key, ("true", "false") if key in _SWITCHES else None)
        if choices and flag_value not in choices:
            raise fail(f"--{key}={flag_value} is not one of {', '.join(choices)}", None)
        flags[key] = flag_value

    if len(words) < 2:
        got = "nothing" if not words else f"only {words[0]!r}"
        raise fail(f"PYENV needs a Python version and a venv name, got {got}")
    if len(words) > 3:
        extra = words[3]
        hint = "flags go before the version" if extra.startswith("--") else defaults.USAGE
        raise fail(f"unexpected argument {extra!r} after the requirements file", hint)

    version, name = words[0], words[1]
    requirements = _requirements(words[2], fail) if len(words) == 3 else None
    _check_version(version, fail)
    if not _NAME.match(name):
        raise fail(
            f"invalid venv name {name!r}",
            "use letters, digits, _ and -, start with a letter, digit or _, at most 64 long",
        )
    venv_path = flags.get("path", f"{defaults.VENV_ROOT}/{name}")
    venv_path = _venv_path(venv_path, fail)
    sha256 = flags.get("sha256")
    if sha256 is not None:
        if not _SHA256.match(sha256):
            raise fail(f"--sha256 needs 64 hexadecimal digits, got {sha256!r}", None)
        if version.count(".") < 2:
            raise fail(f"--sha256 needs an exact version such as {version}.0, got {version}", None)
        sha256 = sha256.lower()
        if flags.get("provider") == "image":
            raise fail(
                "--sha256 checks a source tarball; --provider=image copies a built interpreter",
                "drop --provider=image (a line with --sha256 builds from source)",
            )
    provider = flags.get("provider") or ("source" if sha256 else None)
    return PyenvSpec(
        version,
        name,
        requirements,
        venv_path,
        sha256,
        where,
        source,
        provider,
        flags.get("installer"),
        flags.get("seed") == "true",
    )


def _check_version(version: str, fail) -> None:
    match = _VERSION.match(version)
    if not match:
        raise fail(
            f"invalid Python version {version!r}",
            "give major.minor (3.13, the newest release) or major.minor.patch (3.13.5)",
        )
    if match.group("major") != "3":
        raise fail(f"Python {version} is not supported: PYENV builds CPython 3.x", None)


def _requirements(path: str, fail) -> str:
    if path.startswith("/"):
        raise fail(
            f"requirements file {path!r} must be a path inside the build context",
            "give it relative to the context, as COPY does",
        )
    if _PATH_SPECIALS.search(path):
        raise fail(f"requirements file {path!r} holds a wildcard, $ or backslash", None)
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../"):
        raise fail(f"requirements file {path!r} leaves the build context", None)
    if normal == ".":
        raise fail(f"requirements file {path!r} is a directory", None)
    return normal


def _venv_path(path: str, fail) -> str:
    normal = posixpath.normpath(path)
    if not _ABSOLUTE_PATH.match(normal) or normal.startswith("//"):
        raise fail(
            f"--path={path} must be an absolute directory of letters, digits and ._+@-",
            None,
        )
    if normal == defaults.PYENV_ROOT or normal.startswith(defaults.PYENV_ROOT + "/"):
        raise fail(f"--path={path} is inside {defaults.PYENV_ROOT}, where interpreters live", None)
    return normal
