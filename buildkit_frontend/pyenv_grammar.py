"""The PYENV instruction: its grammar, and the validated spec one line stands for.

PYENV [--flag=value ...] <python-version> <venv-name> [<requirements-file>]
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass

from . import defaults
from .buildargs import ShellError, UnsafeValue, UnsetVariable, split_words
from .credentials import redacted, url_credentials
from .errors import PyenvError, SourceRange
from .requirements import APT_PACKAGE

# ASCII digits only (\d would take any Unicode digit), no leading zeros (no image or
# tarball is named 3.08); every pattern is used with fullmatch.
_NUMBER = r"(?:0|[1-9][0-9]*)"
_VERSION = re.compile(
    rf"(?P<major>{_NUMBER})\.(?P<minor>{_NUMBER})"
    rf"(?:\.(?P<patch>{_NUMBER})(?P<pre>(?:a|b|rc)[1-9][0-9]*)?)?"
)
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}")
_ABSOLUTE_PATH = re.compile(r"(/[A-Za-z0-9._+@-]+)+")
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
#: Linux's limits on one file name and on a path (NAME_MAX, PATH_MAX less its NUL).
_NAME_MAX, _PATH_MAX = 255, 4095
#: The oldest CPython a PYENV line may ask for: astro-provider-venv's users run 3.8.
OLDEST_MINOR = 8
# COPY would treat these as patterns or variables, so a requirements path cannot hold them.
_PATH_SPECIALS = re.compile(r"[*?\[\]$\\]")

FLAGS = {
    "path": "absolute directory of the venv (default: /home/astro/.venv/<venv-name>)",
    "sha256": "SHA-256 the CPython source tarball must have (needs an exact X.Y.Z version)",
    "provider": "where the interpreter comes from: image or source",
    "installer": "what installs the requirements: uv or pip",
    "seed": "also install pip into the venv (uv venvs have none otherwise)",
    "airflow": "also install what the base image's Airflow needs in the environment "
    "(Airflow 3: its apache-airflow-task-sdk; Airflow 2: apache-airflow), pinned",
    "index-url": "the package index to install from (no credentials: use a secret)",
    "extra-index-url": "one more package index (no credentials: use a secret)",
    "trusted-host": "a host whose index may be plain HTTP or an untrusted certificate",
    "apt": "Debian packages the install needs to build (comma-separated, e.g. libpq-dev)",
    "apt-file": "a context file listing such packages (an Astro project's packages.txt)",
}
#: Flags that may stand alone, meaning "on".
_SWITCHES = {"seed", "airflow"}
_CHOICES = {"provider": defaults.PROVIDERS, "installer": defaults.INSTALLERS}
#: PEP 751's lock file names: pylock.toml, pylock.<name>.toml.
_PYLOCK = re.compile(r"pylock(\.[^./]+)?\.toml")
_INDEX_URL = re.compile(r"(https?|file)://[^\s'\"\\$`]+")
_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


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
    index_url: str | None = None  # --index-url
    extra_index_url: str | None = None  # --extra-index-url
    trusted_host: str | None = None  # --trusted-host
    apt: tuple[str, ...] = ()  # --apt: Debian packages the build needs
    apt_file: str | None = None  # --apt-file: a context file listing more
    airflow: bool = False  # --airflow: the base image's Airflow (its Task SDK) installed too

    @property
    def variable(self) -> str:
        """The ENV variable that holds the venv's interpreter."""
        return f"{defaults.ENV_PREFIX}{self.name}"

    @property
    def python(self) -> str:
        """Absolute path of the venv's interpreter in the image."""
        return f"{self.venv_path}/bin/python"

    @property
    def lock(self) -> str | None:
        """ "uv.lock" (a uv project), "pylock" (a PEP 751 pylock.toml), or None for a
        requirements file, by the file's name."""
        name = posixpath.basename(self.requirements or "")
        if name == "uv.lock":
            return "uv.lock"
        return "pylock" if _PYLOCK.fullmatch(name) else None


def parse_pyenv(
    value: str,
    where: SourceRange,
    source: str,
    variables: Mapping[str, str],
    escape: str = "\\",
) -> PyenvSpec:
    """Validate the arguments of one PYENV instruction (its Dockerfile's `escape`
    character) and return what it asks for."""

    def fail(message: str, hint: str | None = defaults.USAGE) -> PyenvError:
        return PyenvError(message, where, source, hint)

    try:
        words = split_words(value, variables, escape)
    except ShellError as error:  # BuildKit's lexer fails on it too: say so at the line
        raise fail(error.message, error.hint) from None
    except UnsetVariable as missing:
        raise fail(
            f"${missing.name} is not set",
            f"declare `ARG {missing.name}=<value>` before the first FROM, "
            f"or pass --build-arg {missing.name}=<value>",
        ) from None
    except UnsafeValue as bad:
        shown = redacted(bad.value)
        raise fail(f"${bad.name} expands to {shown!r}, which is not a single word") from None

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
    if not _NAME.fullmatch(name):
        raise fail(
            f"invalid venv name {name!r}",
            "use letters, digits, _ and -, start with a letter, digit or _, at most 64 long",
        )
    venv_path = flags.get("path", f"{defaults.VENV_ROOT}/{name}")
    venv_path = _venv_path(venv_path, fail)
    sha256 = flags.get("sha256")
    if sha256 is not None:
        if not _SHA256.fullmatch(sha256):
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
    for key in ("index-url", "extra-index-url"):
        if key in flags:
            _check_index_url(key, flags[key], fail)
    host = flags.get("trusted-host")
    if host is not None and not _HOST.fullmatch(host):
        raise fail(f"--trusted-host={host} is not a host name (with an optional :port)", None)
    apt = tuple(_apt_packages(flags["apt"], fail)) if "apt" in flags else ()
    apt_file = flags.get("apt-file")
    if apt_file is not None:
        apt_file = _context_file(apt_file, "--apt-file", fail)
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
        flags.get("index-url"),
        flags.get("extra-index-url"),
        host,
        apt,
        apt_file,
        flags.get("airflow") == "true",
    )


def _apt_packages(value: str, fail) -> list[str]:
    names = [name for name in value.split(",") if name]
    for name in names:
        if not APT_PACKAGE.fullmatch(name):
            raise fail(
                f"--apt: {name!r} is not a Debian package name",
                "give packages as apt-get takes them, name[:arch][=version], separated by "
                "commas, e.g. --apt=libpq-dev,unixodbc-dev",
            )
    if not names:
        raise fail("--apt needs at least one Debian package name", None)
    return names


def _check_index_url(key: str, url: str, fail) -> None:
    """An index URL for the PYENV line: http(s) or file, and never with credentials."""
    if not _INDEX_URL.fullmatch(url):
        raise fail(f"--{key}={redacted(url)} is not an http(s):// or file:// URL", None)
    found = url_credentials(url)
    if found is not None:
        raise fail(
            f"--{key} holds credentials ({found}), which would be written into the "
            "Dockerfile and the build's history",
            "give the URL without them and pass them as a BuildKit secret: "
            "--secret id=netrc,src=$HOME/.netrc (or id=index-url with the whole URL; "
            "README: Private package indexes)",
        )


def _check_version(version: str, fail) -> None:
    match = _VERSION.fullmatch(version)
    if not match:
        raise fail(
            f"invalid Python version {version!r}",
            "give major.minor (3.13, the newest release) or major.minor.patch (3.13.5), "
            "in ASCII digits",
        )
    if match.group("major") != "3":
        raise fail(f"Python {version} is not supported: PYENV builds CPython 3.x", None)
    if int(match.group("minor")) < OLDEST_MINOR:
        raise fail(
            f"Python {version} is older than 3.{OLDEST_MINOR}, the oldest CPython PYENV "
            f"supports (astro-provider-venv's users run 3.{OLDEST_MINOR})",
            f"ask for 3.{OLDEST_MINOR} or newer",
        )


def _requirements(path: str, fail) -> str:
    return _context_file(path, "requirements file", fail)


def _context_file(path: str, what: str, fail) -> str:
    """A context-relative file path, normalised, or the error saying what is wrong."""
    if path.startswith("/"):
        raise fail(
            f"{what} {path!r} must be a path inside the build context",
            "give it relative to the context, as COPY does",
        )
    if _PATH_SPECIALS.search(path):
        raise fail(f"{what} {path!r} holds a wildcard, $ or backslash", None)
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../"):
        raise fail(f"{what} {path!r} leaves the build context", None)
    if normal == ".":
        raise fail(f"{what} {path!r} is a directory", None)
    return normal


#: Directories of the system a venv must not be, nor contain: it would replace or hide
#: them in the image. A venv may live below one (/usr/local/venvs/x, /srv/envs/x).
SYSTEM_DIRECTORIES = (
    "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32",
    "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp",
    "/usr", "/usr/bin", "/usr/include", "/usr/lib", "/usr/lib64", "/usr/libexec",
    "/usr/local", "/usr/local/bin", "/usr/local/include", "/usr/local/lib",
    "/usr/local/sbin", "/usr/local/share", "/usr/sbin", "/usr/share", "/usr/src",
    "/var", "/var/cache", "/var/lib", "/var/log", "/var/run", "/var/tmp",
    # the task user's home: its venvs go below it, never over it
    posixpath.dirname(defaults.VENV_ROOT),
)  # fmt: skip
#: Directories the expansion itself writes or mounts (interpreters, the manifest, helper
#: state, download and installer caches, helper scratch space): a venv may be none of
#: them, inside none of them, and contain none of them.
OWN_DIRECTORIES = (
    defaults.PYENV_ROOT,
    posixpath.dirname(defaults.MANIFEST_PATH),
    defaults.STATE_DIR,
    "/var/cache/buildkit-pyenv",
    "/tmp/buildkit-pyenv",
    "/root/.cache/uv",
    "/root/.cache/pip",
)


def _venv_path(path: str, fail) -> str:
    normal = posixpath.normpath(path)
    hint = f"put the venv in a directory of its own, such as {defaults.VENV_ROOT}/<venv-name>"
    if normal in ("/", *SYSTEM_DIRECTORIES):
        raise fail(f"--path={path} is the system directory {normal}", hint)
    if not _ABSOLUTE_PATH.fullmatch(normal) or normal.startswith("//"):
        raise fail(
            f"--path={path} must be an absolute directory of letters, digits and ._+@-",
            "for example --path=/home/astro/.venv/<venv-name> (the default)",
        )
    longest = max(normal.split("/"), key=len)
    if len(longest) > _NAME_MAX or len(normal) + len("/bin/python") > _PATH_MAX:
        raise fail(
            f"--path={_clipped(path)} is too long for Linux: at most {_NAME_MAX} characters "
            f"a part and {_PATH_MAX - len('/bin/python')} in all",
            hint,
        )
    for own in OWN_DIRECTORIES:
        if _within(normal, own):
            raise fail(f"--path={path} is inside {own}, which buildkit-pyenv uses", hint)
        if _within(own, normal):
            raise fail(f"--path={path} would hold {own}, which buildkit-pyenv uses", hint)
    for system in SYSTEM_DIRECTORIES:
        if _within(system, normal):
            raise fail(f"--path={path} would hold the system directory {system}", hint)
    return normal


def _clipped(text: str, keep: int = 60) -> str:
    """`text`, cut short for a message."""
    return text if len(text) <= keep else f"{text[:keep]}... ({len(text)} characters)"


def _within(path: str, directory: str) -> bool:
    """Whether `path` is `directory` or below it (both normalised and absolute)."""
    return path == directory or path.startswith(directory.rstrip("/") + "/")
