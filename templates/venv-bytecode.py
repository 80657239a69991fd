"""A venv's bytecode, as `python -m compileall -q -j 0 -x RX LIB` writes it.

    python venv-bytecode.py LIB

LIB is the venv's lib directory. Every module compileall would compile gets the pyc
py_compile would write, in the same place, byte for byte: the header is made here for
each file (its mtime and size, or its hash when SOURCE_DATE_EPOCH is set, as py_compile
chooses), the marshalled code after it is compiled here from that file, in one process
per CPU when there are many. Nothing else goes into a pyc, and nothing is kept for a
later build: a BuildKit cache mount is shared by every build on a builder, and any of
them can write into it (README: Cache mounts and trust), so the bytecode derives from
the venv's own sources alone. A module that does not compile is reported, and does not
fail the step.

(From Python 3.13 on, marshal may flag a shared string differently depending on what
else the compiling process holds, so compileall's own output varies with the worker
that compiled a module; the code is the same either way.)

Runs on the venv's own interpreter, any CPython from 3.8 on: standard library only.
It never contains the venv step's heredoc terminators (tests/unit/test_venv_bytecode.py).
"""

from __future__ import annotations

import contextlib
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
#: compileall's recursion limit from the command line: 10 levels before Python 3.9.
LEVELS = 10 if sys.version_info < (3, 9) else sys.getrecursionlimit()
_HASH_BASED = 0b11  # flags of a checked-hash pyc (PEP 552)


class Module:
    """A source to write a pyc for, with what its pyc starts with."""

    __slots__ = ("cfile", "header", "path", "source")

    def __init__(self, path: str, cfile: str, source: bytes, header: bytes) -> None:
        self.path = path
        self.cfile = cfile  # where the pyc goes
        self.source = source
        self.header = header  # the pyc's first 16 bytes


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


def compile_tree(top: str) -> dict[str, int]:
    """Write the pyc of every module sources(top) finds; returns how many were compiled
    ("compiled"), were already up to date ("current": compileall leaves a timestamp pyc
    of the source's mtime alone, as pip writes its own) or failed ("failed", each
    reported on standard error)."""
    hash_based = bool(os.environ.get("SOURCE_DATE_EPOCH"))  # py_compile's default
    counts = {"compiled": 0, "current": 0, "failed": 0}
    modules: list[Module] = []
    for path in sources(top):
        try:
            module = _module(path, hash_based)
        except OSError as error:
            _failed(path, f"{error.__class__.__name__}: {error}")
            counts["failed"] += 1
            continue
        if module is None:
            counts["current"] += 1
        else:
            modules.append(module)
    failed = _compile_all(modules)
    counts["compiled"] = len(modules) - failed
    counts["failed"] += failed
    return counts


def _module(path: str, hash_based: bool) -> Module | None:
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
    return Module(path, cfile, source, header)


def _compile_all(modules: list[Module]) -> int:
    """Compile `modules`, in one process per CPU when there is enough to compile; returns
    how many failed. Each process writes its own pycs."""
    workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    workers = min(workers, len(modules))
    if workers < 2 or sum(len(m.source) for m in modules) < PARALLEL_BYTES:
        return sum(not _compile(module) for module in modules)
    # The largest first, each to the least loaded share: compile time follows size.
    shares: list[list[Module]] = [[] for _ in range(workers)]
    loads = [(0, index) for index in range(workers)]
    for module in sorted(modules, key=lambda m: len(m.source), reverse=True):
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
            failed += sum(not _compile(module) for module in share)
            continue
        if pid == 0:  # the child never returns into the caller's code
            status = 1
            try:
                status = min(sum(not _compile(module) for module in share), 100)
            finally:
                with contextlib.suppress(Exception):
                    sys.stderr.flush()
                os._exit(status)
        children.append(pid)
    failed += sum(not _compile(module) for module in shares[0])
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


def _compile(module: Module) -> bool:
    """Compile as py_compile does and write the pyc."""
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
    try:
        _write(module, marshal.dumps(code))
    except OSError as error:
        _failed(module.path, f"{error.__class__.__name__}: {error}")
        return False
    return True


def _write(module: Module, body: bytes) -> None:
    """The pyc, written as py_compile writes it (its directory, mode, atomic rename)."""
    with contextlib.suppress(FileExistsError):
        os.makedirs(os.path.dirname(module.cfile))
    data = module.header + body
    mode = _bootstrap_external._calc_mode(module.path)
    _bootstrap_external._write_atomic(module.cfile, data, mode)


def _failed(path: str, message: str) -> None:
    _say(f"*** Error compiling {path!r}...\n{message}")


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")


def main(argv: list[str]) -> int:
    """`venv-bytecode.py LIB`: 0 unless the arguments are wrong. A module that does
    not compile only lacks bytecode, as with compileall; so does every module when this
    program fails, which it reports instead of failing the build."""
    if len(argv) != 1:
        _say("usage: venv-bytecode.py LIB")
        return 2
    try:
        counts = compile_tree(argv[0])
    except Exception:
        import traceback

        traceback.print_exc()
        _say("buildkit-pyenv: warning: the venv's bytecode may be incomplete (see above)")
        return 0
    total = sum(counts.values())
    summary = f"{counts['compiled']} compiled"
    if counts["current"]:
        summary += f", {counts['current']} already compiled"
    if counts["failed"]:
        summary += f", {counts['failed']} not compiled (see above)"
    _say(f"buildkit-pyenv: bytecode of {total} modules: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
