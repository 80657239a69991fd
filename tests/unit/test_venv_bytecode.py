"""The venv step's bytecode (templates/venv-bytecode.py): given a venv's lib directory, the
pycs `python -m compileall -q -j 0 -x '/site-packages/(.*/)?tests?/' LIB` writes, byte
for byte, compiled from the venv's own sources in the step, with no cache mount another
build could write into. These tests run the program on trees made here, and read the
venv step it runs in."""

from __future__ import annotations

import ast
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from buildkit_frontend.plan import plan_dockerfile
from buildkit_frontend.render import render
from buildkit_frontend.templates import script, templates_dir
from tests.unit.facts import debian

PROGRAM = templates_dir() / "venv-bytecode.py"
SKIP = "/site-packages/(.*/)?tests?/"
SITE = f"python{sys.version_info[0]}.{sys.version_info[1]}/site-packages"
#: A venv's lib directory: a package with subpackages and test suites, a module that
#: does not compile, a test directory outside site-packages (compiled: the pattern only
#: skips those of packages), a link to a directory (not followed), data files.
TREE = {
    f"{SITE}/pkg/__init__.py": "from .core import answer\n",
    f"{SITE}/pkg/core.py": "def answer():\n    return 42\n",
    f"{SITE}/pkg/sub/deep.py": "import os\nPATH = os.sep.join(['a', 'b'])\n",
    f"{SITE}/pkg/data.txt": "not python\n",
    f"{SITE}/pkg/tests/__init__.py": "",
    f"{SITE}/pkg/tests/test_core.py": "def test_answer():\n    assert True\n",
    f"{SITE}/pkg/sub/test/helper.py": "X = 1\n",
    f"{SITE}/single.py": "'''A top-level module.'''\nVALUE = [i * i for i in range(3)]\n",
    f"{SITE}/broken.py": "def broken(:\n    pass\n",
    f"python{sys.version_info[0]}.{sys.version_info[1]}/tests/kept.py": "KEPT = True\n",
}


@pytest.fixture
def lib(tmp_path: Path) -> Path:
    """A venv's lib directory with TREE in it."""
    root = tmp_path / "venv" / "lib"
    for name, text in TREE.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / SITE / "pkg" / "core.py").chmod(0o640)  # a pyc takes its source's mode
    (root / SITE / "linked").symlink_to(root / SITE / "pkg", target_is_directory=True)
    return root


def run_compileall(lib: Path, env: dict[str, str] | None = None) -> None:
    """What the program stands for (exit status 1: a module did not compile)."""
    done = subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", "-x", SKIP, str(lib)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode in (0, 1), done.stderr


def compileall(lib: Path, env: dict[str, str] | None = None) -> dict[str, tuple[bytes, int]]:
    """The pycs compileall writes (removed from the tree again)."""
    run_compileall(lib, env)
    return take_pycs(lib)


def bytecode(lib: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the program as the venv step does, on the interpreter running the tests."""
    return subprocess.run(
        [sys.executable, str(PROGRAM), str(lib)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def take_pycs(lib: Path, *, remove: bool = True) -> dict[str, tuple[bytes, int]]:
    """Every pyc under `lib` (relative path → content, mode), removed from the tree."""
    pycs = {}
    for pyc in sorted(lib.rglob("*.pyc")):
        pycs[str(pyc.relative_to(lib))] = (pyc.read_bytes(), pyc.stat().st_mode)
        if remove:
            pyc.unlink()
    return pycs


@pytest.mark.parametrize(
    ("env", "flags"),
    [({}, 0), ({"SOURCE_DATE_EPOCH": "1700000000"}, 0b11)],
    ids=["timestamp", "checked-hash"],
)
def test_the_pycs_are_compilealls_byte_for_byte(lib, env, flags):
    expected = compileall(lib, env)
    done = bytecode(lib, env)
    assert done.returncode == 0, done.stderr
    assert take_pycs(lib) == expected
    # The invalidation mode py_compile picks: a timestamp pyc, or a checked hash one.
    assert {int.from_bytes(pyc[4:8], "little") for pyc, _ in expected.values()} == {flags}


def test_test_suites_and_linked_directories_get_no_bytecode(lib):
    bytecode(lib)
    tag = sys.implementation.cache_tag
    assert sorted(str(p.relative_to(lib)) for p in lib.rglob("*.pyc")) == sorted(
        f"{directory}/__pycache__/{module}.{tag}.pyc"
        for directory, module in [
            (f"{SITE}/pkg", "__init__"),
            (f"{SITE}/pkg", "core"),
            (f"{SITE}/pkg/sub", "deep"),
            (SITE, "single"),
            (f"python{sys.version_info[0]}.{sys.version_info[1]}/tests", "kept"),
        ]
    )


def test_a_module_that_does_not_compile_is_reported_and_the_rest_are_compiled(lib):
    done = bytecode(lib)
    assert done.returncode == 0
    broken = lib / SITE / "broken.py"
    assert f"*** Error compiling {str(broken)!r}..." in done.stderr
    assert "SyntaxError" in done.stderr
    assert done.stderr.endswith(
        "buildkit-pyenv: bytecode of 6 modules: 5 compiled, 1 not compiled (see above)\n"
    )
    assert not list(broken.parent.glob("__pycache__/broken.*"))


def test_pycs_compileall_would_keep_are_kept(lib):
    """compileall leaves a timestamp pyc of the source's mtime alone (pip writes its own
    when the venv is created); so does the program."""
    run_compileall(lib)
    expected = take_pycs(lib, remove=False)
    marked = lib / SITE / "pkg" / "__pycache__" / f"core.{sys.implementation.cache_tag}.pyc"
    marked.write_bytes(marked.read_bytes() + b"kept")
    done = bytecode(lib)
    assert "0 compiled, 5 already compiled, 1 not compiled" in done.stderr
    kept = take_pycs(lib)
    assert kept.pop(str(marked.relative_to(lib)))[0].endswith(b"kept")
    expected.pop(str(marked.relative_to(lib)))
    assert kept == expected


def test_many_modules_are_compiled_alike_by_several_processes(tmp_path):
    """Enough source for a process per CPU (PARALLEL_BYTES): the same pycs, every error
    reported once and counted."""
    lib = tmp_path / "venv" / "lib"
    package = lib / SITE / "big"
    package.mkdir(parents=True)
    body = "".join(f"def f{i}(x):\n    return [x * {i} for _ in range(3)]\n" for i in range(300))
    for number in range(60):
        (package / f"m{number}.py").write_text(f"N = {number}\n{body}")
    (package / "bad.py").write_text("def bad(:\n")
    (package / "worse.py").write_text("class Worse(\n")
    size = sum(len(p.read_bytes()) for p in package.iterdir())
    assert size > runpy.run_path(str(PROGRAM), run_name="venv_bytecode")["PARALLEL_BYTES"]
    expected = compileall(lib)
    done = bytecode(lib)
    assert done.returncode == 0
    assert "60 compiled, 2 not compiled (see above)" in done.stderr
    assert done.stderr.count("*** Error compiling") == 2
    assert take_pycs(lib) == expected


@pytest.mark.parametrize("arguments", [[], ["lib", "/var/cache/buildkit-pyenv/bytecode"]])
def test_wrong_arguments_say_how_to_call_it(arguments):
    """One argument, the lib directory: a second one (a cache, as before) is refused."""
    done = subprocess.run(
        [sys.executable, str(PROGRAM), *arguments], capture_output=True, text=True
    )
    assert (done.returncode, done.stderr) == (2, "usage: venv-bytecode.py LIB\n")


def _scripts_and_venv_step(installer: str) -> tuple[dict[str, str], str]:
    """The files of the rendered scripts stage, and the venv step's RUN instruction."""
    text = f"FROM img\nPYENV --installer={installer} 3.13 tools\n"
    out = render(plan_dockerfile(text, "Dockerfile", images=debian())).text
    copies = r"^COPY <<'BUILDKIT_PYENV_EOF' /(\S+)\n(.*?)^BUILDKIT_PYENV_EOF\n"
    files = dict(re.findall(copies, out, re.S | re.M))
    stage = out[out.index("AS pyenv-venv-tools") :]
    run = stage[stage.index("\nRUN ") : stage.index("\n\n")]
    return files, run


#: The one cache mount a venv step has: its installer's own download and wheel cache.
INSTALLER_CACHES = {
    "uv": "--mount=type=cache,id=buildkit-pyenv-uv,target=/root/.cache/uv",
    "pip": "--mount=type=cache,id=buildkit-pyenv-pip,target=/root/.cache/pip",
}


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_the_venv_step_mounts_no_cache_another_build_could_write_bytecode_into(installer):
    """A cache mount is shared by every build on the builder, which can all write into
    it: the venv step's only one is its installer's, which uv and pip read as their own
    cache; the bytecode is compiled from the venv's files, with nothing kept for later."""
    files, run = _scripts_and_venv_step(installer)
    mounts = re.findall(r"--mount=(\S+)", run)
    caches = [f"--mount={mount}" for mount in mounts if "type=cache" in mount]
    assert caches == [INSTALLER_CACHES[installer]]
    # Everything else it mounts comes from this build: its own stages (the scripts, uv).
    others = [mount for mount in mounts if "type=cache" not in mount]
    assert others and all(mount.startswith("from=pyenv-") for mount in others)
    # The program is given the venv's lib directory, and nothing else to read pycs from.
    assert "PYENV_BYTECODE_CACHE" not in run + files["venv-build.sh"]
    assert (
        '"$PYENV_VENV/bin/python" - "$PYENV_BYTECODE" \\\n    "$PYENV_VENV/lib" <<'
        in files["venv-build.sh"]
    )


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_the_venv_step_runs_the_program_from_the_scripts_stage(installer):
    """The program is a file of the scripts stage, verbatim; the venv step mounts it
    where PYENV_BYTECODE says, beside venv-build.sh, which it runs."""
    text = PROGRAM.read_text()
    assert text.endswith("\n")
    ast.parse(text, feature_version=(3, 8))  # the oldest Python a PYENV line may ask for
    assert "BUILDKIT_PYENV_EOF" not in text.splitlines()
    files, run = _scripts_and_venv_step(installer)
    assert files["venv-bytecode.py"] == text
    assert files["venv-build.sh"] == script("venv-build.sh")
    target = "/tmp/buildkit-pyenv/scripts/venv-bytecode.py"
    assert f"--mount=from=pyenv-scripts,source=/venv-bytecode.py,target={target}" in run
    assert f"PYENV_BYTECODE={target} " in run
    assert run.endswith(" /bin/sh /tmp/buildkit-pyenv/scripts/venv-build.sh")


def _record_step() -> str:
    found = re.search(
        r"<<'PYENV_RECORD_EOF'\n(.*?)\nPYENV_RECORD_EOF", script("venv-build.sh"), re.S
    )
    assert found, "venv-build.sh no longer writes the record with a Python heredoc"
    return found.group(1)


def test_the_record_is_the_same_with_the_bytecode_run_first(lib, tmp_path):
    """venv-build.sh compiles the bytecode in the process that writes the record; the
    record comes out as it does without it, and the pycs as compileall's."""
    expected_pycs = compileall(lib)
    state = tmp_path / "state"
    state.mkdir()
    (state / "origin").write_text("image python:3.13-slim-bookworm\n")
    venv = lib.parent
    env = {
        **os.environ,
        "PYENV_REQUIREMENTS": "",
        "PYENV_VENV": str(venv),
        "PYENV_NAME": "tools",
        "PYENV_VARIABLE": "ASTRO_PYENV_tools",
        "PYENV_REQUEST": "3.13",
        "PYENV_INSTALLER": "uv",
        "PYENV_STATE": str(state),
        "PYENV_REQUIREMENTS_NAME": "",
        "PYENV_RECORD": "record.json",
        "PYENV_APT_PACKAGES": "",
    }
    step = _record_step()
    arguments = [str(PROGRAM), str(lib)]
    alone = "\n".join(line for line in step.splitlines() if not line.startswith("runpy."))
    assert alone != step
    subprocess.run([sys.executable, "-", *arguments], input=alone, text=True, check=True, env=env)
    record = (venv / "record.json").read_bytes()
    assert not take_pycs(lib)
    done = subprocess.run(
        [sys.executable, "-", *arguments], input=step, text=True, capture_output=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert "5 compiled, 1 not compiled" in done.stderr
    assert (venv / "record.json").read_bytes() == record
    assert take_pycs(lib) == expected_pycs
