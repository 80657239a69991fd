"""The README's examples are what the tool really does."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.bed.fixtures import CLI

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def block_after(marker: str) -> str:
    """The first fenced code block after `marker` in the README."""
    start = README.index(marker)
    match = re.compile(r"```[A-Za-z]*\n(.*?)```", re.DOTALL).search(README, start)
    assert match, f"no code block after {marker!r}"
    return match.group(1)


# The README's render names the release of its base, which no engine here has.
RELEASE = ("--build-arg", "PYENV_DEBIAN_RELEASE=bookworm")


def test_rendered_example_ends_as_the_readme_shows():
    done = subprocess.run(
        [*CLI, "render", *RELEASE, str(ROOT / "examples/quickstart/Dockerfile")],
        capture_output=True,
        text=True,
        check=True,
    )
    shown = block_after("examples/quickstart/Dockerfile) ends with:")
    assert done.stdout.endswith(shown)


def test_error_example_is_the_real_message(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM img\nRUN true\nPYENV 3.13 tools ../x.txt\n")
    done = subprocess.run([*CLI, "check"], cwd=tmp_path, capture_output=True, text=True)
    shown = block_after("exit with status 1:")
    assert done.returncode == 1
    assert done.stderr == shown


def test_first_commands_are_make_targets():
    makefile = (ROOT / "Makefile").read_text()
    first = block_after("do all the set-up themselves")
    for line in first.splitlines():
        target = line.split()[1]
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target


def test_python_examples_parse():
    for block in re.findall(r"```python\n(.*?)```", README, re.DOTALL):
        compile(block, "README.md", "exec")


def test_not_found_example_is_the_real_message():
    from buildkit_frontend.runtime import EnvironmentNotFound, python_path

    shown = block_after("typo fails the import with what would be right:").strip()
    environ = {"ASTRO_PYENV_tools": "/x", "ASTRO_PYENV_reports": "/y"}
    try:
        python_path("tool", "/nonexistent/manifest.json", environ)
    except EnvironmentNotFound as error:
        assert shown == f"EnvironmentNotFound: {error}"
    else:
        raise AssertionError("no error")


def test_runtime_3_airflow_example_checks(tmp_path):
    (tmp_path / "Dockerfile").write_text(block_after("With Astro Runtime 3:"))
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "etl.txt").write_text("humanize\n")
    done = subprocess.run([*CLI, "check"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_no_supervisor_example_is_the_real_message():
    from buildkit_frontend.airflow.task_start import (
        TargetFacts,
        no_supervisor_message,
        supervisor_problem,
    )

    class InProcessSupervisorComms:
        pass

    runner = type("task_runner", (), {"SUPERVISOR_COMMS": InProcessSupervisorComms()})
    facts = TargetFacts("etl", 3, "3.3.2", "1.3.2", "3.3.0", None, None)
    problem = supervisor_problem(facts, runner, {})
    shown = block_after("fails the task at once:").strip()
    assert shown == "NoSupervisorChannel: " + no_supervisor_message(
        facts, problem, "load", "etl_dag"
    )
