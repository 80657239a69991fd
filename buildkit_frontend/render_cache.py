"""The renders `buildkit-pyenv build` made, kept with what each was made from, so that a
build of an unchanged project goes straight to `docker buildx build`: nothing rendered,
no renderer, click or docker SDK imported (those imports alone take ten times as long as
the checks below, and a cached BuildKit build takes about 0.13 s).

A record is used only when everything its render read is as it was:
- the command line and the working directory (they name the record);
- the environment variables the render read (bare `--build-arg NAME`, the engine's);
- the Dockerfile and both candidate ignore files, by content;
- each build-context path the render looked at: the kind of every part of the path
  (directory, file, missing) and a file's content;
- the ID of each image it asked the engine about (an image ID names its content, so
  its ONBUILD triggers and os-release are what they were);
- this tool's own code, its templates and the installed packages beside it.
What cannot be checked that cheaply (a symlink on a context path, an engine that is not
on a unix socket, a Dockerfile on standard input) is never recorded: that build renders.

Only modules built into the interpreter are imported on the way to docker: a record is
marshal data holding the files it compares, so neither json nor hashlib is needed, and
the engine is asked over a bare socket (together about 8 ms less than their usual
modules, against the 0.13 s of a cached build).
"""

from __future__ import annotations

import marshal
import os
import sys
import zlib

from . import __version__

TYPE_CHECKING = False  # typing itself takes 2 ms to import
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, NoReturn, TypeVar

    T = TypeVar("T")

#: Bump when a record's layout changes.
FORMAT = 1
#: Files up to this size are kept whole in a record and compared byte for byte; larger
#: ones by their SHA-256.
WHOLE = 1 << 18
#: Records kept; the oldest go first.
KEEP = 64
#: Set to 0 to render every build.
SWITCH = "BUILDKIT_PYENV_RENDER_CACHE"
#: Engine settings the docker SDK reads; a record holds their values.
ENGINE_VARIABLES = ("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_API_VERSION")
#: docker options after which BuildKit is asked to redo everything: the render is redone too.
REDO_OPTIONS = ("--no-cache", "--pull")
#: What a path keeps unquoted in the engine's API, as the docker SDK quotes image names.
_UNQUOTED = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-~/:")


class Uncheckable(Exception):
    """An input the fast check cannot verify: the build is not recorded."""


def cache_root() -> str:
    """This tool's directory of the user's cache ($XDG_CACHE_HOME or ~/.cache): the
    records here, the os-release files of base images (engine.py)."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "buildkit-pyenv")


def cache_dir() -> str:
    """Where records live."""
    return os.path.join(cache_root(), "builds")


def _record_path(argv: Sequence[str]) -> str:
    # Names only: a record holds its command line and directory and is compared whole.
    key = "\0".join([os.getcwd(), *argv]).encode("utf-8", "surrogateescape")
    name = f"{zlib.crc32(key):08x}{zlib.adler32(key):08x}.record"
    return os.path.join(cache_dir(), name)


def _wanted(argv: Sequence[str]) -> bool:
    if os.environ.get(SWITCH, "1") == "0":
        return False
    return not any(arg.split("=")[0] in REDO_OPTIONS for arg in argv)


def code_stamp() -> str:
    """What names this tool's code: its modules and templates (names, sizes, times), the
    Python running it and the directories its libraries are installed in (whose times
    change when a package is installed, upgraded or removed)."""
    here = os.path.dirname(os.path.abspath(__file__))
    parts: list[Any] = [__version__, FORMAT, sys.version, sys.executable]
    for directory in (here, os.path.join(here, "templates"), os.path.join(here, "..", "templates")):
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_file():
                status = entry.stat()
                parts.append((directory, entry.name, status.st_size, status.st_mtime_ns))
    for entry in sys.path:
        # Where libraries are installed; not the script's directory or the working one.
        if entry.endswith(("site-packages", "dist-packages")):
            try:
                parts.append((entry, os.stat(entry).st_mtime_ns))
            except OSError:
                parts.append((entry, None))
    return repr(parts)


def file_signature(path: str) -> bytes | None:
    """A file as a reader that follows links sees it: its content (or, when large, its
    SHA-256), or None when it is missing."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None
    except OSError as error:  # a directory, no permission: the render decides, not this
        raise Uncheckable(f"{path}: {error}") from None
    if len(data) <= WHOLE:
        return data
    import hashlib

    return b"sha256:" + hashlib.sha256(data).digest()


def context_signature(root: str, relative: str) -> list[str | bytes | None]:
    """How the context path `relative` looks, part by part, without following links: "d"
    a directory, "o" neither file nor directory (the last part looked at), "-" missing
    (the same), and a regular file's file_signature. BuildKit follows a symlink inside
    the context; a link is Uncheckable here, so without links the path reads the same,
    with the same ignore patterns, as long as this signature holds."""
    parts: list[str] = []
    for part in relative.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue  # .. stays at the context's root, as BuildKit reads it
        parts.append(part)
    signature: list[str | bytes | None] = [os.path.realpath(root)]
    for depth in range(1, len(parts) + 1):
        path = os.path.join(root, *parts[:depth])
        try:
            status = os.lstat(path)
        except FileNotFoundError:
            return [*signature, "-"]
        except OSError as error:
            raise Uncheckable(f"{path}: {error}") from None
        kind = status.st_mode & 0o170000
        if kind == 0o120000:
            raise Uncheckable(f"{path} is a symlink")
        if kind == 0o040000:
            signature.append("d")
        elif kind == 0o100000 and depth == len(parts):
            signature.append(file_signature(path))
        else:
            return [*signature, "o"]
    return signature


def engine_socket() -> str:
    """The unix socket of the engine the docker SDK talks to, or Uncheckable."""
    if os.environ.get("DOCKER_TLS_VERIFY") or os.environ.get("DOCKER_CERT_PATH"):
        raise Uncheckable("a TLS engine")
    host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    if not host.startswith("unix://"):
        raise Uncheckable(f"engine at {host}")
    return host[len("unix://") :]


def image_id(name: str) -> str | None:
    """The ID of the engine's image `name` (None: it has none), asked as the docker SDK's
    images.get asks (GET /images/<name>/json, the name quoted alike), over the socket."""
    import _socket  # socket.py would import selectors and enum first

    quoted = "".join(chr(b) if b in _UNQUOTED else f"%{b:02X}" for b in name.encode())
    path = f"/images/{quoted}/json"
    connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        connection.settimeout(10)
        connection.connect(engine_socket())
        connection.sendall(f"GET {path} HTTP/1.0\r\nHost: docker\r\n\r\n".encode())
        chunks = []
        while chunk := connection.recv(1 << 16):
            chunks.append(chunk)
    except OSError as error:
        raise Uncheckable(f"the engine: {error}") from None
    finally:
        connection.close()
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1:2]
    if status == [b"404"]:
        return None
    # The engine writes the image's fields in a fixed order, its ID first: that is read
    # without a JSON parser, and anything else is left to the docker SDK.
    start = b'{"Id":"'
    if status == [b"200"] and body.startswith(start):
        end = body.find(b'"', len(start))
        if end > len(start):
            return body[len(start) : end].decode("ascii", "replace")
    raise Uncheckable(f"the engine answered {head[:80]!r} for {path}")


#: What _checked returns for an input that could not be signed.
_UNSIGNED = object()


class Recorder:
    """Collects, while `build` renders, what the render reads; `save` keeps the render
    with it. Each input is signed before it is read, so a change during the render is
    seen by the next build."""

    def __init__(self, argv: Sequence[str]) -> None:
        self.argv = list(argv)
        self.environ: dict[str, str | None] = {
            name: os.environ.get(name) for name in ENGINE_VARIABLES
        }
        self.files: dict[str, bytes | None] = {}
        self.context: list[tuple[str, str, list[str | bytes | None]]] = []
        self.images: dict[str, str | None] = {}
        self.broken: str | None = None  # why this build cannot be recorded

    def _checked(self, sign: Callable[[], Any]) -> Any:
        try:
            return sign()
        except Uncheckable as why:
            self.broken = self.broken or str(why)
            return _UNSIGNED

    def variable(self, name: str) -> None:
        """The render reads the environment variable `name`."""
        self.environ[name] = os.environ.get(name)

    def file(self, path: str) -> None:
        """The render reads the file at `path` (or learns it is missing)."""
        signature = self._checked(lambda: file_signature(path))
        if signature is not _UNSIGNED:
            self.files[path] = signature

    def context_lookup(self, root: str, lookup: Callable[[str], T]) -> Callable[[str], T]:
        """`lookup` of context paths under `root`, recorded."""

        def recorded(relative: str) -> T:
            signature = self._checked(lambda: context_signature(root, relative))
            if signature is not _UNSIGNED:
                self.context.append((root, relative, signature))
            return lookup(relative)

        return recorded

    def image_lookup(self, lookup: Callable[[str], T]) -> Callable[[str], T]:
        """`lookup` of engine images, recorded by image ID."""

        def recorded(image: str) -> T:
            if image not in self.images:
                found = self._checked(lambda: image_id(image))
                if found is not _UNSIGNED:
                    self.images[image] = found
            return lookup(image)

        return recorded

    def save(self, run: dict[str, Any], notes: Sequence[str]) -> None:
        """Keep the render (`run`: what run_docker_build takes) when every input could be
        signed. Best effort: a cache that cannot be written costs only the next render."""
        if self.broken is not None or not _wanted(self.argv):
            return
        record = {
            "format": FORMAT,
            "argv": self.argv,
            "cwd": os.getcwd(),
            "code": code_stamp(),
            "environ": self.environ,
            "files": self.files,
            "context": self.context,
            "images": self.images,
            "notes": list(notes),
            "run": run,
        }
        path = _record_path(self.argv)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            partial = f"{path}.{os.getpid()}.tmp"
            with open(partial, "wb") as handle:
                marshal.dump(record, handle)
            os.replace(partial, path)
            _prune(os.path.dirname(path))
        except (OSError, ValueError):  # ValueError: marshal met an unexpected value
            pass


def _prune(directory: str) -> None:
    import contextlib

    entries = [e for e in os.scandir(directory) if e.name.endswith(".record")]
    if len(entries) > KEEP:
        entries.sort(key=lambda entry: entry.stat().st_mtime_ns)
        for entry in entries[: len(entries) - KEEP]:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def recorded_build(argv: Sequence[str]) -> dict[str, Any] | None:
    """The record of an earlier `build` with this command line and directory whose
    inputs are all as they were, or None (then the build renders)."""
    if not _wanted(argv):
        return None
    try:
        with open(_record_path(argv), "rb") as handle:
            record = marshal.load(handle)
        if (
            record["format"] != FORMAT
            or record["argv"] != list(argv)
            or record["cwd"] != os.getcwd()
            or record["code"] != code_stamp()
            or any(os.environ.get(name) != value for name, value in record["environ"].items())
            or any(file_signature(path) != sign for path, sign in record["files"].items())
            or any(context_signature(r, rel) != sign for r, rel, sign in record["context"])
            or any(image_id(name) != found for name, found in record["images"].items())
        ):
            return None
    except (OSError, EOFError, ValueError, KeyError, TypeError, Uncheckable):
        return None  # no record, an unreadable one, or an input that cannot be checked
    return record


def run_docker_build(run: dict[str, Any]) -> NoReturn:
    """Build the rendered Dockerfile `run["text"]` with `docker buildx build -f -`, the
    options `run["docker_args"]` and the context `run["context"]`; with the Dockerfile's
    own ignore file (`run["own_ignore"]`), from a scratch copy beside that file's copy,
    since with -f - BuildKit would see only the context's. Exits with docker's status."""
    text: str = run["text"]
    command = ["docker", "buildx", "build"]
    tail = [*run["docker_args"], run["context"]]
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        if run["own_ignore"] is None and hasattr(os, "memfd_create"):
            # docker becomes this process and reads the text from a file in memory.
            rendered = os.memfd_create("Dockerfile.rendered")
            os.write(rendered, text.encode("utf-8"))
            os.lseek(rendered, 0, os.SEEK_SET)
            os.dup2(rendered, 0)
            os.execvp(command[0], [*command, "-f", "-", *tail])
        import shutil
        import subprocess
        import tempfile

        with tempfile.TemporaryDirectory(prefix="buildkit-pyenv-") as scratch:
            stdin: bytes | None = text.encode("utf-8")
            dockerfile = "-"
            if run["own_ignore"] is not None:
                dockerfile = os.path.join(scratch, "Dockerfile")
                with open(dockerfile, "w", encoding="utf-8") as handle:
                    handle.write(text)
                shutil.copyfile(run["own_ignore"], dockerfile + ".dockerignore")
                stdin = None
            completed = subprocess.run([*command, "-f", dockerfile, *tail], input=stdin)
        sys.exit(completed.returncode)
    except FileNotFoundError:
        print("error: docker is not installed or not on PATH", file=sys.stderr)
        sys.exit(1)


def build_if_unchanged(argv: Sequence[str]) -> None:
    """Run `build` from its record when nothing it was rendered from changed (never
    returns then); return when it has to render."""
    record = recorded_build(argv)
    if record is None:
        return
    for note in record["notes"]:
        print(f"note: {note}", file=sys.stderr)
    run_docker_build(record["run"])
