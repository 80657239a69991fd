"""The renders `buildkit-pyenv build` made, kept with what each was made from, so that a
build of an unchanged project goes straight to `docker buildx build`: nothing rendered,
no renderer or click imported (those imports alone take ten times as long as the checks
below, and a cached BuildKit build takes about 0.13 s).

A record is made of exactly what the render read, so none of it can be left out:
- the command line and the working directory (they name the record);
- what the CLI read itself: the Dockerfile, both candidate ignore files, the docker
  configuration files that chose the engine, and the environment variables it read
  (bare `--build-arg NAME`, `DOCKER_HOST`, `DOCKER_CONTEXT`...);
- every field of the gathered facts.Facts, each signed by FACT_SIGNERS: each context
  path looked at (every part of the path, and a file's content), the ID of each base
  image asked about in the resolved engine, that engine's endpoint. A Facts field
  without a signer is not recorded at all;
- this tool's own code (the content of every file of the package and its templates)
  and the distributions installed beside it.
What it only compares (files, variables, the command line) it keeps as SHA-256 digests,
never as text; only what it runs (the rendered text and docker's options) is kept
whole. Records live in a private, authenticated store (record_store.py): one that
another user could have written or changed is not used. What cannot be checked cheaply
(a symlink on a context path, an engine that is not on a unix socket, a Dockerfile on
standard input) is never recorded: that build renders.

Only modules built into the interpreter are imported on the way to docker (sha256.py),
and the engine is asked over a bare socket (engine.probe).
"""

from __future__ import annotations

import os
import sys
import zlib

from . import __version__, record_store

TYPE_CHECKING = False  # typing itself takes 2 ms to import
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from typing import Any, NoReturn

    from .cli import Loaded
    from .facts import ImageFacts

#: Bump when a record's layout changes.
FORMAT = 3
#: Set to 0 to render every build.
SWITCH = "BUILDKIT_PYENV_RENDER_CACHE"
#: docker options after which BuildKit is asked to redo everything: the render is redone too.
REDO_OPTIONS = ("--no-cache", "--pull")


class Uncheckable(Exception):
    """An input the fast check cannot verify: the build is not recorded."""


def _record_words(argv: Sequence[str]) -> list[str]:
    """What names a record and is compared whole: the working directory, the argv."""
    return [os.getcwd(), *argv]


def _wanted(argv: Sequence[str]) -> bool:
    if os.environ.get(SWITCH, "1") == "0":
        return False
    return not any(arg.split("=")[0] in REDO_OPTIONS for arg in argv)


#: Subpackages the CLI never runs (the BuildKit frontend, the Airflow side): their code
#: cannot change a render, so it does not name one (tests/unit/test_render_cache.py holds
#: this to the modules a render imports).
NOT_RUN_BY_THE_CLI = ("gateway", "airflow", "__pycache__")


def code_stamp() -> str:
    """What names this tool's code: the content of every file the CLI runs (the
    package's modules, its subpackages but NOT_RUN_BY_THE_CLI, the templates; never
    sizes or times), the Python running it, and the distributions installed beside it
    (their dist-info names carry their versions)."""
    here = os.path.dirname(os.path.abspath(__file__))
    parts: list[Any] = [__version__, FORMAT, sys.version, sys.executable]
    checksum = 0
    roots = [here, os.path.join(here, "..", "templates")]  # templates/: a source checkout
    while roots:
        directory = roots.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in NOT_RUN_BY_THE_CLI and directory == here:
                    roots.append(entry.path)
            elif entry.is_file():
                checksum = zlib.crc32(entry.path.encode(), checksum)
                descriptor = os.open(entry.path, os.O_RDONLY)
                try:
                    while chunk := os.read(descriptor, 1 << 20):
                        checksum = zlib.crc32(chunk, checksum)
                finally:
                    os.close(descriptor)
    parts.append(checksum)
    for entry in sys.path:
        # Where libraries are installed; not the script's directory or the working one.
        if entry.endswith(("site-packages", "dist-packages")):
            try:
                parts.append((entry, sorted(os.listdir(entry))))
            except OSError:
                parts.append((entry, None))
    return repr(parts)


def digest(data: bytes) -> str:
    """The SHA-256 a record keeps instead of text it only compares."""
    from .sha256 import sha256

    return sha256(data).hexdigest()


def file_signature(path: str) -> str | None:
    """A file as a reader that follows links sees it: the SHA-256 of its content, or
    None when it is missing. Anything but a regular file (a directory, a FIFO, a device)
    is Uncheckable, and never blocks the check (O_NONBLOCK)."""
    from .sha256 import sha256

    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    except OSError as error:  # no permission, a loop: the render decides, not this
        raise Uncheckable(f"{path}: {error}") from None
    try:
        if (os.fstat(descriptor).st_mode & 0o170000) != 0o100000:
            raise Uncheckable(f"{path} is not a regular file")
        hashed = sha256()
        while chunk := os.read(descriptor, 1 << 20):
            hashed.update(chunk)
    except OSError as error:
        raise Uncheckable(f"{path}: {error}") from None
    finally:
        os.close(descriptor)
    return hashed.hexdigest()


def context_signature(root: str, relative: str) -> list[str | None]:
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
    signature: list[str | None] = [os.path.realpath(root)]
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


def _signed_context(root: str, paths: Iterable[str]) -> list[tuple[str, str, Any]]:
    return [(root, path, context_signature(root, path)) for path in paths]


def _signed_images(images: Mapping[str, ImageFacts], host: str | None) -> dict[str, str | None]:
    """Each image's ID, checked again at the next build; an image whose facts could not
    be learned (the engine was not asked, or could not answer) cannot be checked."""
    signed: dict[str, str | None] = {}
    for reference, found in images.items():
        if found.id is None and not found.absent:
            raise Uncheckable(f"{reference}: {found.unknown_because}")
        if host is None:
            raise Uncheckable("no engine endpoint")
        signed[reference] = found.id
    return signed


def _endpoint_host(endpoint: str | None, host: str | None) -> str | None:
    if endpoint is not None and host is None:
        raise Uncheckable(f"engine at {endpoint}")
    if host is not None and not host.startswith("unix://"):
        raise Uncheckable(f"engine at {host}")  # image_id asks over a unix socket only
    return host


#: How each field of facts.Facts is kept in a record: (what the save step stores, how
#: the next build checks it with built-in modules only). Keyed by field name, and a
#: record is made only when every field has an entry (save), so a new kind of fact is
#: recorded or no record is made.
FACT_SIGNERS: dict[str, Callable[[Any, _Edge], Any]] = {
    # Follows from the context directory (argv, cwd) and the ignore files (edge files).
    "context_label": lambda value, edge: None,
    "context_files": lambda value, edge: _signed_context(edge.root, value),
    "context_directories": lambda value, edge: _signed_context(edge.root, value),
    "images": lambda value, edge: _signed_images(value, edge.host),
    "endpoint": lambda value, edge: _endpoint_host(value, edge.host),
}


def _verify_context(signed: Any, host: str | None) -> bool:
    return all(context_signature(root, path) == sign for root, path, sign in signed)


def _verify_images(signed: Any, host: str | None) -> bool:
    from .engine.probe import image_id

    return all(image_id(host or "", name) == found for name, found in signed.items())


#: How the next build checks what FACT_SIGNERS stored, by field (same keys).
FACT_CHECKS: dict[str, Callable[[Any, str | None], bool]] = {
    "context_label": lambda signed, host: True,
    "context_files": _verify_context,
    "context_directories": _verify_context,
    "images": _verify_images,
    "endpoint": lambda signed, host: signed == host,
}


class _Edge:
    """What signing facts needs to know about where they came from."""

    def __init__(self, root: str, host: str | None) -> None:
        self.root = root
        self.host = host


def save(argv: Sequence[str], loaded: Loaded, run: dict[str, Any]) -> None:
    """Keep the render (`run`: what run_docker_build takes) with everything it was made
    from, when all of it can be checked cheaply. Best effort: a cache that cannot be
    written costs only the next render."""
    import dataclasses

    if not _wanted(argv):
        return
    plan, endpoint = loaded.plan, loaded.endpoint
    variables = list(loaded.variables)
    files = [loaded.dockerfile, *loaded.ignore_candidates]
    if endpoint is not None:
        variables += endpoint.variables
        files += endpoint.files
    edge = _Edge(run["context"], endpoint.host if endpoint is not None else None)
    try:
        facts = {
            field.name: FACT_SIGNERS[field.name](getattr(plan.facts, field.name), edge)
            for field in dataclasses.fields(plan.facts)
        }
        signed_files = {path: file_signature(path) for path in files}
    except (Uncheckable, KeyError):  # KeyError: a kind of fact nobody signs
        return
    words = _record_words(argv)
    record = {
        "format": FORMAT,
        "words": digest("\0".join(words).encode("utf-8", "surrogateescape")),
        "code": code_stamp(),
        "environ": {name: _variable_signature(name) for name in variables},
        "files": signed_files,
        "host": edge.host,
        "facts": facts,
        "notes": list(plan.notes),
        "run": run,
    }
    if not signed_files:
        return  # a record names at least the Dockerfile it rendered
    record_store.save(record_store.record_name(words), record)


def _variable_signature(name: str) -> str | None:
    """An environment variable as a record keeps it: a digest, never its value."""
    value = os.environ.get(name)
    return None if value is None else digest(value.encode("utf-8", "surrogateescape"))


def recorded_build(argv: Sequence[str]) -> dict[str, Any] | None:
    """The record of an earlier `build` with this command line and directory whose
    inputs are all as they were, or None (then the build renders). A record that cannot
    be trusted (record_store) is passed over with a note."""
    if not _wanted(argv):
        return None
    words = _record_words(argv)
    try:
        record = record_store.load(record_store.record_name(words))
    except FileNotFoundError:
        return None
    except (OSError, record_store.Untrusted) as why:
        print(f"note: not using a kept render: {why}", file=sys.stderr)
        return None
    try:
        facts = record["facts"]
        if (
            record["format"] != FORMAT
            or record["words"] != digest("\0".join(words).encode("utf-8", "surrogateescape"))
            or record["code"] != code_stamp()
            or not record["files"]
            or set(facts) != set(FACT_CHECKS)
            or any(_variable_signature(name) != sign for name, sign in record["environ"].items())
            or any(file_signature(path) != sign for path, sign in record["files"].items())
            or not all(FACT_CHECKS[kind](facts[kind], record["host"]) for kind in FACT_CHECKS)
        ):
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, Uncheckable):
        return None  # an input that cannot be checked now: render
    return record


def run_docker_build(run: dict[str, Any]) -> NoReturn:
    """Build the rendered Dockerfile `run["text"]` with `docker buildx build -f -`, the
    options `run["docker_args"]` and the context `run["context"]`; with the Dockerfile's
    own ignore file (`run["own_ignore"]`), from a scratch copy beside that file's copy,
    since with -f - BuildKit would see only the context's. Exits with docker's status."""
    text: str = run["text"]
    command = ["docker", "buildx", "build"]
    # docker talks to the engine the render asked (the same endpoint or context).
    environment = dict(os.environ)
    for name in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"):
        environment.pop(name, None)
    environment.update(run["environment"])
    tail = [*run["docker_args"], run["context"]]
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        if run["own_ignore"] is None and hasattr(os, "memfd_create"):
            # docker becomes this process and reads the text from a file in memory.
            rendered = os.memfd_create("Dockerfile.rendered")
            os.write(rendered, text.encode("utf-8", "surrogateescape"))
            os.lseek(rendered, 0, os.SEEK_SET)
            os.dup2(rendered, 0)
            os.execvpe(command[0], [*command, "-f", "-", *tail], environment)
        import shutil
        import subprocess
        import tempfile

        with tempfile.TemporaryDirectory(prefix="buildkit-pyenv-") as scratch:
            stdin: bytes | None = text.encode("utf-8", "surrogateescape")
            dockerfile = "-"
            if run["own_ignore"] is not None:
                dockerfile = os.path.join(scratch, "Dockerfile")
                with open(dockerfile, "w", encoding="utf-8", errors="surrogateescape") as handle:
                    handle.write(text)
                shutil.copyfile(run["own_ignore"], dockerfile + ".dockerignore")
                stdin = None
            completed = subprocess.run(
                [*command, "-f", dockerfile, *tail], input=stdin, env=environment
            )
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
