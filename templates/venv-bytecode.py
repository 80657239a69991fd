"""A venv's bytecode, as `python -m compileall -q -j 0 -x RX LIB` writes it, taken from a
content-addressed cache when an earlier build compiled the same module.

    python venv-bytecode.py LIB CACHE

LIB is the venv's lib directory; CACHE a directory that outlives the build (a BuildKit
cache mount, shared by concurrent steps). Every module compileall would compile gets
the pyc py_compile would write, in the same place, byte for byte: the header is made
here for each file (its mtime and size, or its hash when SOURCE_DATE_EPOCH is set, as
py_compile chooses), the marshalled code after it comes from the cache under a key of
everything it depends on (the interpreter's magic number, cache tag, version and -O
level, the path the code records, the source). Only the misses are compiled, in one
process per CPU when there are many. A module that does not compile is reported, and a
cache that cannot be read or written is passed over: neither fails the step.

(From Python 3.13 on, marshal may flag a shared string differently depending on what
else the compiling process holds, so compileall's own output varies with the worker
that compiled a module; the code is the same either way.)

Runs on the venv's own interpreter, any CPython from 3.8 on: standard library only.
It never contains the venv step's heredoc terminators (tests/unit/test_venv_bytecode.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import importlib.util
import marshal
import os
import re
import sys
from importlib import _bootstrap_external  # py_compile's own writer: same files, same modes

#: The test suites packages ship, which tasks do not import: no bytecode (compileall -x).
SKIP = re.compile(r"/site-packages/(.*/)?tests?/")
#: Less source than this (about 20 ms of compiling) and one process compiles it all:
#: forking the others and waiting for them would win next to nothing.
PARALLEL_BYTES = 256 * 1024
#: The cache entries' layout: a new one goes to a new directory.
LAYOUT = "v1"
#: compileall's recursion limit from the command line: 10 levels before Python 3.9.
LEVELS = 10 if sys.version_info < (3, 9) else sys.getrecursionlimit()
_HASH_BASED = 0b11  # flags of a checked-hash pyc (PEP 552)
_DIGEST = 32  # bytes of sha256 before each entry's body


class Module:
    """A source to write a pyc for, with what its pyc is made of."""

    __slots__ = ("body", "cfile", "header", "key", "path", "source")

    def __init__(self, path: str, cfile: str, source: bytes, header: bytes, key: str) -> None:
        self.path = path
        self.cfile = cfile  # where the pyc goes
        self.source = source
        self.header = header  # the pyc's first 16 bytes
        self.key = key
        self.body: bytes | None = None  # the marshalled code, once known


class Cache:
    """Marshalled code objects by key, one file each: sha256 of the body, then the body.
    Entries are written whole (a temporary file, then a rename), so concurrent builds
    only ever read complete ones; one that does not match its digest is a miss."""

    def __init__(self, root: str) -> None:
        self.root = os.path.join(root, LAYOUT)
        self.writable = True

    def _entry(self, key: str) -> str:
        return os.path.join(self.root, key[:2], key[2:])

    def get(self, key: str) -> bytes | None:
        try:
            with open(self._entry(key), "rb") as handle:
                data = handle.read()
        except OSError:
            return None
        body = data[_DIGEST:]
        if len(data) <= _DIGEST or hashlib.sha256(body).digest() != data[:_DIGEST]:
            return None
        return body

    def put(self, key: str, body: bytes) -> None:
        """Store `body`; a cache that cannot be written (read-only, full) is left alone
        for the rest of the run."""
        if not self.writable:
            return
        entry = self._entry(key)
        temporary = f"{entry}.{os.urandom(6).hex()}.tmp"
        try:
            os.makedirs(os.path.dirname(entry), exist_ok=True)
            with open(temporary, "xb") as handle:
                handle.write(hashlib.sha256(body).digest() + body)
            os.replace(temporary, entry)
        except OSError:
            self.writable = False
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def sources(top: str) -> list[str]:
    """The files compileall compiles under `top`, in its order: `*.py` files, recursing
    as compile_dir does (not into __pycache__ nor symlinked directories), but none whose
    path SKIP matches. A directory SKIP matches is not entered: all below it match."""
    found: list[str] = []
    _walk(top, LEVELS, found)
    return found


def _walk(directory: str, levels: int, found: list[str]) -> None:
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        _say(f"Can't list {directory!r}")
        return
    for name in names:
        if name == "__pycache__":
            continue
        path = os.path.join(directory, name)
        if not os.path.isdir(path):
            if name[-3:] == ".py" and not SKIP.search(path) and os.path.isfile(path):
                found.append(path)
        elif (
            levels > 0
            and name not in (os.curdir, os.pardir)
            and not os.path.islink(path)
            and not SKIP.search(path + os.sep)
        ):
            _walk(path, levels - 1, found)


def compile_tree(top: str, cache_dir: str) -> dict[str, int]:
    """Write the pyc of every module sources(top) finds; returns how many came from the
    cache ("cached"), were compiled ("compiled"), were already up to date ("current":
    compileall leaves a timestamp pyc of the source's mtime alone, as pip writes its
    own) or failed ("failed", each reported on standard error)."""
    cache = Cache(cache_dir)
    hash_based = bool(os.environ.get("SOURCE_DATE_EPOCH"))  # py_compile's default
    # What every key starts with: the interpreter and its optimization level (-O).
    prefix = hashlib.sha256()
    for part in (
        importlib.util.MAGIC_NUMBER,
        str(sys.implementation.cache_tag).encode(),
        sys.version.encode(),
        str(sys.flags.optimize).encode(),
    ):
        prefix.update(len(part).to_bytes(8, "little") + part)
    counts = {"cached": 0, "compiled": 0, "current": 0, "failed": 0}
    misses: list[Module] = []
    for path in sources(top):
        try:
            module = _module(path, prefix, hash_based)
            if module is None:
                counts["current"] += 1
                continue
            module.body = cache.get(module.key)
            if module.body is None:
                misses.append(module)
                continue
            _write(module)
            counts["cached"] += 1
        except OSError as error:
            _failed(path, f"{error.__class__.__name__}: {error}")
            counts["failed"] += 1
    failed = _compile_all(misses, cache)
    counts["compiled"] = len(misses) - failed
    counts["failed"] += failed
    return counts


def _module(path: str, prefix: hashlib._Hash, hash_based: bool) -> Module | None:
    """What `path`'s pyc is made of; None when compileall would leave its pyc as it is."""
    cfile = importlib.util.cache_from_source(path)
    stat = os.stat(path)
    mtime = int(stat.st_mtime) & 0xFFFFFFFF
    magic = importlib.util.MAGIC_NUMBER
    try:
        with open(cfile, "rb") as handle:
            if handle.read(12) == magic + bytes(4) + mtime.to_bytes(4, "little"):
                return None
    except OSError:
        pass
    # py_compile refuses to replace what is not a regular file.
    if os.path.islink(cfile):
        raise FileExistsError(f"{cfile} is a symlink and will be changed into a regular file")
    if os.path.exists(cfile) and not os.path.isfile(cfile):
        raise FileExistsError(f"{cfile} is a non-regular file and will be changed")
    with open(path, "rb") as handle:
        source = handle.read()
    if hash_based:
        header = magic + _HASH_BASED.to_bytes(4, "little") + importlib.util.source_hash(source)
    else:
        size = stat.st_size & 0xFFFFFFFF
        header = magic + bytes(4) + mtime.to_bytes(4, "little") + size.to_bytes(4, "little")
    key = prefix.copy()
    for part in (os.fsencode(path), source):  # the path the code records, as compiled
        key.update(len(part).to_bytes(8, "little") + part)
    return Module(path, cfile, source, header, key.hexdigest())


def _compile_all(misses: list[Module], cache: Cache) -> int:
    """Compile `misses`, in one process per CPU when there is enough to compile; returns
    how many failed. Each process writes its own pycs and cache entries."""
    workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    workers = min(workers, len(misses))
    if workers < 2 or sum(len(m.source) for m in misses) < PARALLEL_BYTES:
        return sum(not _compile(module, cache) for module in misses)
    # The largest first, each to the least loaded share: compile time follows size.
    shares: list[list[Module]] = [[] for _ in range(workers)]
    loads = [(0, index) for index in range(workers)]
    for module in sorted(misses, key=lambda m: len(m.source), reverse=True):
        load, index = heapq.heappop(loads)
        shares[index].append(module)
        heapq.heappush(loads, (load + len(module.source), index))
    sys.stdout.flush()
    sys.stderr.flush()
    children, failed = [], 0
    for share in shares[1:]:
        try:
            pid = os.fork()
        except OSError:  # no more processes: this one compiles the share
            failed += sum(not _compile(module, cache) for module in share)
            continue
        if pid == 0:  # the child never returns into the caller's code
            status = 1
            try:
                status = min(sum(not _compile(module, cache) for module in share), 100)
            finally:
                with contextlib.suppress(Exception):
                    sys.stderr.flush()
                os._exit(status)
        children.append(pid)
    failed += sum(not _compile(module, cache) for module in shares[0])
    for pid in children:
        _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) <= 100:
            failed += os.WEXITSTATUS(status)
        else:
            _say(
                f"buildkit-pyenv: warning: a compiling process ended with status {status}:"
                " some modules may lack bytecode"
            )
    return failed


def _compile(module: Module, cache: Cache) -> bool:
    """Compile as py_compile does, store the code, write the pyc."""
    try:
        code = compile(module.source, module.path, "exec", dont_inherit=True, optimize=-1)
    except Exception as error:  # py_compile reports any exception compile() raises
        if type(error) is SyntaxError:
            import traceback

            message = "".join(traceback.format_exception_only(SyntaxError, error)).rstrip()
        else:
            message = f"Sorry: {error.__class__.__name__}: {error}"
        _failed(module.path, message)
        return False
    module.body = marshal.dumps(code)
    cache.put(module.key, module.body)
    try:
        _write(module)
    except OSError as error:
        _failed(module.path, f"{error.__class__.__name__}: {error}")
        return False
    return True


def _write(module: Module) -> None:
    """The pyc, written as py_compile writes it (its directory, mode, atomic rename)."""
    with contextlib.suppress(FileExistsError):
        os.makedirs(os.path.dirname(module.cfile))
    data = module.header + (module.body or b"")
    mode = _bootstrap_external._calc_mode(module.path)
    _bootstrap_external._write_atomic(module.cfile, data, mode)


def _failed(path: str, message: str) -> None:
    _say(f"*** Error compiling {path!r}...\n{message}")


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")


def main(argv: list[str]) -> int:
    """`venv-bytecode.py LIB CACHE`: 0 unless the arguments are wrong. A module that does
    not compile only lacks bytecode, as with compileall; so does every module when this
    program fails, which it reports instead of failing the build."""
    if len(argv) != 2:
        _say("usage: venv-bytecode.py LIB CACHE")
        return 2
    try:
        counts = compile_tree(argv[0], argv[1])
    except Exception:
        import traceback

        traceback.print_exc()
        _say("buildkit-pyenv: warning: the venv's bytecode may be incomplete (see above)")
        return 0
    total = sum(counts.values())
    summary = f"{counts['cached']} from the cache, {counts['compiled']} compiled"
    if counts["current"]:
        summary += f", {counts['current']} already compiled"
    if counts["failed"]:
        summary += f", {counts['failed']} not compiled (see above)"
    _say(f"buildkit-pyenv: bytecode of {total} modules: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
