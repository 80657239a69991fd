"""Every reader of user input takes time linear in its size: a requirements file, an
--apt-file or a lock file of megabytes, however odd (one line of spaces, of escapes, of
`#`, of quotes, of options), is read in seconds, never in hours.

Each case is timed on inputs growing fourfold, from 1 KB to 4 MB: linear code takes
about four times as long for each step, quadratic code sixteen times. A step may take
up to eight times as long (more than that is a failure), so load on the machine does
not fail the test, and quadratic code fails within seconds, at the first step where it
is measurable, instead of running for hours.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable

import pytest

from buildkit_frontend.errors import PyenvError
from buildkit_frontend.plan import plan_dockerfile
from buildkit_frontend.requirements import RequirementsProblem, collect, package_list
from tests.unit.facts import Context, debian

KB = 1024
MB = 1024 * KB
#: Times below this are too short to compare: noise, not growth.
_FLOOR = 0.02


def _seconds(read: Callable[[str], object], text: str) -> float:
    """The processor time `read(text)` takes (other work on the machine does not count);
    refusing bad input is fine, taking hours is not."""
    gc.collect()
    start = time.process_time()
    with contextlib.suppress(PyenvError, RequirementsProblem):
        read(text)
    return time.process_time() - start


def assert_linear(
    read: Callable[[str], object], make: Callable[[int], str], largest: int = 4 * MB
) -> None:
    """`read(make(size))` grows about linearly with size, up to `largest` inputs."""
    size, previous = KB, 0.0
    while size <= largest:
        text = make(size)
        took = _seconds(read, text)
        for _ in range(3):
            if took < 8 * max(previous, _FLOOR):
                break
            # Measured again (the least disturbed of the runs) before it counts as a
            # failure: other work on the machine may have slowed one run down.
            previous = min(previous, _seconds(read, make(size // 4)))
            took = min(took, _seconds(read, text))
        else:
            assert took < 8 * max(previous, _FLOOR), (
                f"{len(text)} characters took {took:.3f}s, a quarter of that took "
                f"{previous:.3f}s: not linear"
            )
        previous, size = took, size * 4


def _repeat(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit))


def _read_requirements(text: str) -> object:
    files = {"requirements.txt": text.encode(), "other.txt": b"six\n"}
    return collect("requirements.txt", files.get, lambda path: False)


#: Requirements files that are one pathological line (or many short ones).
REQUIREMENTS = {
    "spaces": lambda n: " " * n,
    "tabs then a name": lambda n: "\t" * n + "six",
    "a name, spaces, a comment": lambda n: "six" + " " * n + "#",
    "continuations": lambda n: _repeat("\\\n", n),
    "continued names": lambda n: _repeat("a\\\n", n),
    "hashes": lambda n: "#" * n,
    "space-hash": lambda n: _repeat(" #", n),
    "an unclosed quote": lambda n: "-r '" + " " * n,
    "quotes": lambda n: _repeat("-r '", n),
    "double quotes and escapes": lambda n: '-r "' + _repeat('\\"', n),
    "-r options": lambda n: _repeat("-r other.txt ", n),
    "a@ text": lambda n: _repeat("a@", n),
    "letters": lambda n: "a" * n,
    "a scheme without a user": lambda n: "a://" + "b" * n,
    "schemes": lambda n: _repeat("a://", n),
    "brackets": lambda n: _repeat("x[", n),
    "name @ url": lambda n: "pkg @ " + _repeat("a@", n),
}


@pytest.mark.parametrize("case", sorted(REQUIREMENTS))
def test_a_requirements_file_is_read_in_linear_time(case):
    assert_linear(_read_requirements, REQUIREMENTS[case])


APT_FILES = {
    "spaces": lambda n: " " * n,
    "hashes": lambda n: "#" * n,
    "names": lambda n: _repeat("libpq-dev ", n),
    "CRLF lines": lambda n: _repeat("libpq-dev\r\n", n),
}


@pytest.mark.parametrize("case", sorted(APT_FILES))
def test_an_apt_file_is_read_in_linear_time(case):
    assert_linear(lambda text: package_list(text, "packages.txt"), APT_FILES[case])


def _plan(files: dict[str, str]) -> object:
    context = Context({name: text.encode() for name, text in files.items()})
    return plan_dockerfile(files["Dockerfile"], "Dockerfile", context=context, images=debian())


@pytest.mark.parametrize("case", ["spaces", "an unclosed quote", "letters", "brackets"])
def test_planning_reads_a_large_requirements_file_in_linear_time(case):
    dockerfile = "FROM img\nPYENV --apt-file=packages.txt 3.13 etl requirements.txt\n"

    def plan(text: str) -> object:
        files = {"requirements.txt": text, "packages.txt": "libpq-dev\n"}
        return _plan({"Dockerfile": dockerfile, **files})

    assert_linear(plan, REQUIREMENTS[case])


@pytest.mark.parametrize("case", sorted(APT_FILES))
def test_planning_reads_a_large_apt_file_in_linear_time(case):
    dockerfile = "FROM img\nPYENV --apt-file=packages.txt 3.13 etl\n"
    assert_linear(
        lambda text: _plan({"Dockerfile": dockerfile, "packages.txt": text}), APT_FILES[case]
    )


#: Dockerfiles with a long directive, instruction or heredoc, or very many of them.
DOCKERFILES = {
    "a directive with spaces": lambda n: "# syntax=x" + " " * n + "y\nFROM img\n",
    "a long line": lambda n: "FROM img\nRUN " + "a" * n + "\n",
    "continuation lines": lambda n: "FROM img\nRUN x" + _repeat(" \\\n y", n) + "\n",
    "continuation and comment lines": lambda n: "FROM img\nRUN x" + _repeat("\\\n#\n", n),
    "heredoc lines": lambda n: "FROM img\nRUN <<EOF\n" + _repeat("x\n", n) + "EOF\n",
    "instructions": lambda n: "FROM img\n" + _repeat("ENV A=b\n", n),
    "flags": lambda n: "FROM img\nCOPY " + _repeat("--a=b ", n) + "x y\n",
    "quoted flags": lambda n: "FROM img\nCOPY --a='" + _repeat("b \\\n", n) + "' x y\n",
    "a quoted ARG": lambda n: "ARG A='" + _repeat("a \\\n", n) + "'\nFROM img\nPYENV 3.13 x\n",
    "an ARG of escapes": lambda n: "ARG A=" + _repeat('\\"\\\n', n) + "\nFROM img\n",
    "an ARG of references": lambda n: "ARG A=" + _repeat("${A}$A\\\n", n) + "\nFROM img\n",
    "an ARG of unclosed ${": lambda n: "ARG A=" + _repeat("${A:-\\\n", n) + "\nFROM img\n",
    "a long PYENV word": lambda n: "FROM img\nPYENV 3.13 x '" + _repeat("r\\\n", n) + "'\n",
    "a PYENV line of words": lambda n: "FROM img\nPYENV 3.13 x" + _repeat(" a\\\n", n) + "\n",
}


@pytest.mark.parametrize("case", sorted(DOCKERFILES))
def test_a_dockerfile_is_read_in_linear_time(case):
    # Up to 1 MB: a line longer than 64 KB is an error (as in BuildKit), so only the
    # cases of many lines grow beyond that, and a Dockerfile of 1 MB is already odd.
    assert_linear(lambda text: plan_dockerfile(text, "Dockerfile"), DOCKERFILES[case], MB)


#: uv.lock files, odd and ordinary (Python's TOML reader is quadratic in the parts of
#: one dotted key: such a key is refused before it is read).
LOCK_FILES = {
    "a dotted key": lambda n: "version = 1\n" + "a" + _repeat(".a", n) + " = 1\n",
    "a dotted table header": lambda n: "version = 1\n[" + _repeat("a.", n) + "a]\n",
    "quoted key parts": lambda n: "version = 1\n" + _repeat('"a".', n) + "a = 1\n",
    "a comment": lambda n: "version = 1\n#" + "#" * n + "\n[[package]]\n",
    "spaces": lambda n: "version = 1\n" + " " * n + "\n[[package]]\n",
    "a long string": lambda n: 'version = 1\n[[package]]\nname = "' + "a" * n + '"\n',
    "packages": lambda n: "version = 1\n" + _repeat('[[package]]\nname = "a.b.c"\n', n),
    "nested arrays": lambda n: "version = 1\nx = " + "[" * n + "\n",
    "nested tables": lambda n: "version = 1\nx = " + _repeat("{a=", n) + "\n",
}


@pytest.mark.parametrize("case", sorted(LOCK_FILES))
def test_a_lock_file_is_read_in_linear_time(case):
    def plan(text: str) -> object:
        files = {"app/pyproject.toml": "[project]\nname = 'app'\n", "app/uv.lock": text}
        context = Context(
            {k: v.encode() for k, v in files.items()}, is_directory=lambda p: p == "app"
        )
        return plan_dockerfile(
            "FROM img\nPYENV 3.13 app app\n", "Dockerfile", context=context, images=debian()
        )

    assert_linear(plan, LOCK_FILES[case])
