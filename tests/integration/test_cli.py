"""The CLI as users run it: a subprocess, real files, exit codes and output streams."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.bed.fixtures import CLI

GOLDEN = Path(__file__).resolve().parent.parent / "golden"


# No engine holds these tests' base images: name their Debian release instead.
RELEASE = ("--build-arg", "PYENV_DEBIAN_RELEASE=bookworm")


def run(*args: str, cwd: Path | None = None, stdin: str | None = None, env=None):
    if args and args[0] in ("render", "check", "list") and "--image" not in args:
        args = (args[0], *RELEASE, *args[1:])
    return subprocess.run(
        [*CLI, *args], cwd=cwd, input=stdin, capture_output=True, text=True, env=env
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text(
        "# syntax=buildkit-pyenv/frontend:dev\n"
        "FROM debian:bookworm\n"
        "PYENV 3.13 tools requirements.txt\n"
        "PYENV 3.12 legacy\n"
    )
    (tmp_path / "requirements.txt").write_text("six\n")
    return tmp_path


def test_render_prints_the_plain_dockerfile(project):
    done = run("render", cwd=project)
    assert done.returncode == 0, done.stderr
    # What the CLI could not learn from the engine, it says rather than guesses.
    assert done.stderr == (
        "note: could not learn whether debian:bookworm has ONBUILD triggers (it is not in "
        "the local engine); if it has, pass --build-arg PYENV_BUILDER_IMAGE=<the same image "
        "without them>, or pull it and render again\n"
    )
    assert not done.stdout.startswith("# syntax=")
    assert "ENV ASTRO_PYENV_tools=/home/astro/.venv/tools/bin/python\n" in done.stdout
    assert "PYENV" not in [line.split(" ")[0] for line in done.stdout.splitlines()]


def test_render_matches_the_golden_file():
    case = GOLDEN / "shared-interpreter"
    done = run("render", str(case / "Dockerfile"))
    assert done.stdout == (case / "expected.Dockerfile").read_text()


def test_render_is_deterministic(project):
    assert run("render", cwd=project).stdout == run("render", cwd=project).stdout


def test_render_from_stdin_without_context():
    done = run("render", "-", stdin="FROM img\nPYENV 3.13 a missing.txt\n")
    assert done.returncode == 0, done.stderr  # the context is unknown: nothing to check
    assert 'COPY ["missing.txt", ' in done.stdout


def test_render_from_stdin_with_context(project):
    done = run("render", "-", "--context", str(project), stdin="FROM img\nPYENV 3.13 a nope.txt\n")
    assert done.returncode == 1
    assert "<stdin>:2: requirements file 'nope.txt' is not in the build context" in done.stderr


def test_output_file_is_written_only_on_success(project):
    out = project / "Dockerfile.rendered"
    assert run("render", "-o", str(out), cwd=project).returncode == 0
    first = out.read_text()
    assert "FROM debian:bookworm AS pyenv-python-3.13\n" in first
    (project / "Dockerfile").write_text("FROM img\nPYENV 3.13\n")
    failed = run("render", "-o", str(out), cwd=project)
    assert failed.returncode == 1
    assert out.read_text() == first
    assert sorted(p.name for p in project.iterdir()) == [
        "Dockerfile",
        "Dockerfile.rendered",
        "requirements.txt",
    ]


def test_errors_name_file_and_line_without_traceback(project):
    (project / "Dockerfile").write_text("FROM img\nRUN true\nPYENV 3.13 tools \\\n  ../x.txt\n")
    done = run("check", cwd=project)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("error: Dockerfile:3: requirements file '../x.txt' leaves")
    assert "     3 | PYENV 3.13 tools \\\n     4 |   ../x.txt" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_requirements_file(project):
    (project / "requirements.txt").unlink()
    done = run("check", cwd=project)
    assert done.returncode == 1
    assert "Dockerfile:3: requirements file 'requirements.txt' is not in the build context" in (
        done.stderr
    )


def test_context_option_changes_where_requirements_are_looked_up(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("ctx")
    done = run("check", str(project / "Dockerfile"), "--context", str(elsewhere))
    assert done.returncode == 1
    (elsewhere / "requirements.txt").write_text("six\n")
    assert run("check", str(project / "Dockerfile"), "--context", str(elsewhere)).returncode == 0


def test_check_reports_the_count(project):
    done = run("check", cwd=project)
    assert (done.returncode, done.stdout) == (0, "Dockerfile: OK, 2 environments\n")


def test_missing_dockerfile(tmp_path):
    done = run("check", str(tmp_path / "nope"))
    assert done.returncode == 1
    assert "cannot read" in done.stderr and "No such file" in done.stderr


def test_list_table_and_json(project):
    table = run("list", cwd=project).stdout.splitlines()
    assert table[0].split() == ["NAME", "PYTHON", "REQUIREMENTS", "VENV", "VARIABLE", "STAGE"]
    assert table[1].split() == [
        "tools",
        "3.13",
        "requirements.txt",
        "/home/astro/.venv/tools",
        "ASTRO_PYENV_tools",
        "0",
    ]
    assert table[2].split()[:3] == ["legacy", "3.12", "-"]
    rows = json.loads(run("list", "--json", cwd=project).stdout)
    assert rows[1] == {
        "name": "legacy",
        "python": "3.12",
        "requirements": None,
        "venv": "/home/astro/.venv/legacy",
        "variable": "ASTRO_PYENV_legacy",
        "interpreter": "/home/astro/.venv/legacy/bin/python",
        "stage": "0",
        "line": 4,
    }


def test_build_args(project, monkeypatch):
    (project / "Dockerfile").write_text("ARG PY=3.11\nFROM img\nPYENV ${PY} env\n")
    assert json.loads(run("list", "--json", cwd=project).stdout)[0]["python"] == "3.11"
    given = run("list", "--json", "--build-arg", "PY=3.12", cwd=project)
    assert json.loads(given.stdout)[0]["python"] == "3.12"
    env = {**__import__("os").environ, "PY": "3.13"}
    from_env = run("list", "--json", "--build-arg", "PY", cwd=project, env=env)
    assert json.loads(from_env.stdout)[0]["python"] == "3.13"


def test_unset_build_arg(project):
    (project / "Dockerfile").write_text("FROM img\nPYENV ${PY} env\n")
    done = run("check", cwd=project)
    assert done.returncode == 1
    assert "Dockerfile:2: $PY is not set" in done.stderr


def test_non_utf8_dockerfile(project):
    (project / "Dockerfile").write_bytes(b"FROM img\nRUN echo \xff\n")
    done = run("check", cwd=project)
    assert done.returncode == 1 and "is not UTF-8 text" in done.stderr


def test_help_and_version():
    assert "render" in run("--help").stdout
    assert run("--version").stdout.startswith("buildkit-pyenv, version ")
