"""`buildkit-pyenv build` of an unchanged project goes straight to docker, with the render
it made before; any change to what that render read renders again.

docker is a stand-in on PATH here that keeps what it was asked to build (its arguments
and the Dockerfile on its standard input); the engine the CLI asks about base images is
the bed's real one. Whether a run rendered is read from `python -X importtime`: a
render imports Jinja2, a run from the record does not. The last test builds for real.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.bed.fixtures import ASTRO_IMAGE, CLI, write_context

FAKE_DOCKER = """#!/bin/sh
printf '%s\\n' "$@" > "$DOCKER_SEEN/argv"
cat > "$DOCKER_SEEN/dockerfile"
exit "${DOCKER_STATUS:-0}"
"""
RELEASE = "--build-arg=PYENV_DEBIAN_RELEASE=bookworm"


class Project:
    """A build context, a cache directory and a docker stand-in, all the test's own."""

    def __init__(self, root: Path, dockerfile: str) -> None:
        self.context = write_context(
            root / "context",
            {"Dockerfile": dockerfile, "requirements.txt": "six==1.16.0\n"},
        )
        self.seen = root / "seen"
        self.seen.mkdir()
        bin_dir = root / "bin"
        bin_dir.mkdir()
        (bin_dir / "docker").write_text(FAKE_DOCKER)
        (bin_dir / "docker").chmod(0o755)
        self.env = {
            **os.environ,
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "XDG_CACHE_HOME": str(root / "cache"),
            "DOCKER_SEEN": str(self.seen),
        }
        self.records = root / "cache" / "buildkit-pyenv" / "builds"

    def build(self, *args: str, env: dict[str, str] | None = None) -> Build:
        """`buildkit-pyenv build CONTEXT -t x ARGS`, as a user runs it twice in a row."""
        for name in ("argv", "dockerfile"):
            (self.seen / name).unlink(missing_ok=True)
        command = [sys.executable, "-X", "importtime", *CLI[1:], "build", str(self.context)]
        done = subprocess.run(
            [*command, "-t", "render-cache:test", *args],
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            cwd=self.context.parent,
        )
        return Build(done, self.seen)


class Build:
    def __init__(self, done: subprocess.CompletedProcess[str], seen: Path) -> None:
        self.returncode = done.returncode
        self.rendered = " jinja2" in done.stderr  # an import the renderer makes
        self.messages = [
            line for line in done.stderr.splitlines() if not line.startswith("import time:")
        ]
        self.argv = _read(seen / "argv")
        self.dockerfile = _read(seen / "dockerfile")


def _read(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


@pytest.fixture
def project(bed: None, tmp_path: Path) -> Project:
    return Project(tmp_path, f"FROM {ASTRO_IMAGE}\nPYENV 3.13 tools requirements.txt\n")


def test_an_unchanged_project_builds_from_its_record(project: Project) -> None:
    first = project.build("--network", "host")
    second = project.build("--network", "host")
    assert first.returncode == second.returncode == 0
    assert first.rendered and not second.rendered
    assert second.dockerfile == first.dockerfile
    assert "PYENV 3.13 tools" in (second.dockerfile or "")
    assert second.argv == first.argv
    assert (second.argv or "").splitlines()[:4] == ["buildx", "build", "-f", "-"]


def test_an_edited_requirements_file_renders_again(project: Project) -> None:
    first = project.build()
    requirements = project.context / "requirements.txt"
    requirements.write_text("six==1.17.0\n")
    second = project.build()
    assert second.rendered and second.returncode == 0
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    assert digest in (second.dockerfile or "") and digest not in (first.dockerfile or "")
    assert not project.build().rendered


def test_an_edited_include_renders_again(bed: None, tmp_path: Path) -> None:
    project = Project(tmp_path, f"FROM {ASTRO_IMAGE}\nPYENV 3.13 tools requirements.txt\n")
    (project.context / "requirements.txt").write_text("-r common/base.txt\n")
    (project.context / "common").mkdir()
    (project.context / "common" / "base.txt").write_text("six==1.16.0\n")
    assert project.build().rendered
    assert not project.build().rendered
    (project.context / "common" / "base.txt").write_text("six==1.17.0\n")
    assert project.build().rendered


def test_a_local_project_that_goes_renders_again(bed: None, tmp_path: Path) -> None:
    """Whether a path is a directory is a fact too: once `./libs/x` is gone, the next
    build renders again, and fails naming it."""
    project = Project(tmp_path, f"FROM {ASTRO_IMAGE}\nPYENV 3.13 tools requirements.txt\n")
    (project.context / "requirements.txt").write_text("./libs/x\n")
    (project.context / "libs" / "x").mkdir(parents=True)
    (project.context / "libs" / "x" / "pyproject.toml").write_text("[project]\nname='x'\n")
    assert project.build().rendered
    assert not project.build().rendered
    shutil.rmtree(project.context / "libs" / "x")
    gone = project.build()
    assert gone.returncode == 1 and gone.argv is None
    assert any("./libs/x" in line for line in gone.messages)


def test_tool_code_anywhere_in_the_package_renders_again(bed: None, tmp_path: Path) -> None:
    """The code stamp is the content of every file of the package, subpackages and
    templates included: a copy of the package whose engine/probe.py changes renders."""
    root = Path(__file__).resolve().parents[2]
    copy = tmp_path / "code"
    shutil.copytree(root / "buildkit_frontend", copy / "buildkit_frontend")
    shutil.copytree(root / "templates", copy / "templates")
    project = Project(tmp_path / "p", f"FROM {ASTRO_IMAGE}\nPYENV 3.13 tools requirements.txt\n")
    project.env["PYTHONPATH"] = str(copy)
    assert project.build().rendered
    assert not project.build().rendered
    probe = copy / "buildkit_frontend" / "engine" / "probe.py"
    probe.write_text(probe.read_text() + "\n# changed\n")
    assert project.build().rendered
    assert not project.build().rendered
    template = copy / "templates" / "venv-build.sh"
    template.write_text(template.read_text() + "\n# changed\n")
    assert project.build().rendered


def test_an_edited_dockerfile_renders_again(project: Project) -> None:
    project.build()
    (project.context / "Dockerfile").write_text(
        f"FROM {ASTRO_IMAGE}\nPYENV 3.13 tools requirements.txt\nPYENV 3.13 etl\n"
    )
    second = project.build()
    assert second.rendered
    assert "ASTRO_PYENV_etl" in (second.dockerfile or "")


def test_an_ignore_file_that_hides_the_requirements_fails_the_next_build(
    project: Project,
) -> None:
    assert project.build().returncode == 0
    (project.context / ".dockerignore").write_text("requirements.txt\n")
    second = project.build()
    assert second.returncode == 1 and second.argv is None
    assert any("requirements.txt" in line and "error" in line for line in second.messages)


def test_a_bare_build_arg_reads_the_environment_each_time(bed: None, tmp_path: Path) -> None:
    project = Project(tmp_path, f"ARG PY\nFROM {ASTRO_IMAGE}\nPYENV ${{PY}} tools\n")
    first = project.build("--build-arg", "PY", env={"PY": "3.13"})
    again = project.build("--build-arg", "PY", env={"PY": "3.13"})
    other = project.build("--build-arg", "PY", env={"PY": "3.11"})
    assert not again.rendered and other.rendered
    assert "python:3.13-slim-bookworm" in (first.dockerfile or "")
    assert "python:3.11-slim-bookworm" in (other.dockerfile or "")


def test_a_base_image_that_changes_in_the_engine_renders_again(bed: None, tmp_path: Path) -> None:
    """The render knows the base image by its ID: pulled or built anew under the same
    name, it is asked about again (here: first missing, then plain, then with an
    ONBUILD trigger, which helper stages must not run)."""
    base = f"buildkit-pyenv-test/render-cache-{uuid.uuid4().hex[:8]}:1"
    project = Project(tmp_path, f"FROM {base}\nPYENV 3.13 tools\n")
    try:
        missing = project.build(RELEASE)
        again = project.build(RELEASE)
        assert missing.returncode == again.returncode == 0 and not again.rendered
        note = f"note: could not learn whether {base} has ONBUILD triggers"
        assert any(line.startswith(note) for line in missing.messages)
        assert any(line.startswith(note) for line in again.messages)  # said every time

        subprocess.run(["docker", "tag", ASTRO_IMAGE, base], check=True)
        present = project.build(RELEASE)
        assert present.rendered and not any(line.startswith(note) for line in present.messages)

        trigger = tmp_path / "onbuild"
        write_context(trigger, {"Dockerfile": f"FROM {ASTRO_IMAGE}\nONBUILD RUN true\n"})
        subprocess.run(
            ["docker", "buildx", "build", "-q", "--load", "-t", base, str(trigger)],
            check=True,
            capture_output=True,
        )
        triggered = project.build(RELEASE)
        assert triggered.returncode == 1 and triggered.argv is None
        assert any("has ONBUILD triggers" in line for line in triggered.messages)
    finally:
        subprocess.run(["docker", "image", "rm", "-f", base], capture_output=True)


def test_requirements_through_a_symlink_are_read_on_every_build(bed: None, tmp_path: Path) -> None:
    """A symlink in the context is followed as BuildKit follows it; the record cannot
    tell cheaply where it leads, so such a build always renders."""
    project = Project(tmp_path, f"FROM {ASTRO_IMAGE}\nPYENV 3.13 tools linked.txt\n")
    (project.context / "linked.txt").symlink_to("requirements.txt")
    project.build()
    (project.context / "requirements.txt").write_text("six==1.17.0\n")
    second = project.build()
    assert second.rendered
    digest = hashlib.sha256(b"six==1.17.0\n").hexdigest()
    assert digest in (second.dockerfile or "")


@pytest.mark.parametrize("option", ["--no-cache", "--pull"])
def test_docker_options_that_redo_the_build_redo_the_render(project: Project, option) -> None:
    project.build(option)
    assert project.build(option).rendered
    assert option in (project.build(option).argv or "").splitlines()


def test_a_planted_record_is_not_used(project: Project, tmp_path: Path) -> None:
    """Whoever can write the cache directory must not decide what `build` hands docker:
    a record this user did not make with their key, or one in a directory others may
    write, is passed over with a note and the build renders as usual."""
    import marshal

    from buildkit_frontend import record_store

    assert project.build().rendered
    (record,) = project.records.glob("*.record")
    kept = record_store.load  # read the real one to forge a plausible twin
    os.environ["XDG_CACHE_HOME"] = project.env["XDG_CACHE_HOME"]
    try:
        real = kept(record.name)
    finally:
        del os.environ["XDG_CACHE_HOME"]
    stolen = tmp_path / "stolen"
    forged = {**real, "run": {**real["run"], "docker_args": ["--output", f"dest={stolen}"]}}
    record.write_bytes(record_store.MAGIC + b"\0" * 32 + marshal.dumps(forged))
    planted = project.build()
    assert planted.rendered and planted.returncode == 0
    assert "--output" not in (planted.argv or "")
    assert any("not using a kept render" in line for line in planted.messages)
    # The store is private again, and rebuilt: the next build uses its own record.
    assert not project.build().rendered
    project.records.chmod(0o777)
    loose = project.build()
    assert loose.rendered and any("may be written by others" in m for m in loose.messages)


def test_a_damaged_record_is_ignored(project: Project) -> None:
    project.build()
    for record in project.records.iterdir():
        record.write_bytes(b"\x00not a record")
    second = project.build()
    assert second.rendered and second.returncode == 0
    assert not project.build().rendered


def test_the_switch_turns_the_records_off(project: Project) -> None:
    off = {"BUILDKIT_PYENV_RENDER_CACHE": "0"}
    project.build(env=off)
    assert project.build(env=off).rendered
    assert not project.records.exists() or not list(project.records.iterdir())


def test_dockers_exit_status_is_the_commands(project: Project) -> None:
    assert project.build(env={"DOCKER_STATUS": "3"}).returncode == 3
    from_record = project.build(env={"DOCKER_STATUS": "3"})
    assert not from_record.rendered and from_record.returncode == 3


def test_a_build_from_the_record_is_a_real_build(bed: None, tmp_path: Path, image_tags) -> None:
    """With the real docker: the rendered text reaches BuildKit through standard input
    from the record, and the image is built (a Dockerfile without PYENV lines keeps this
    quick)."""
    context = write_context(tmp_path / "plain", {"Dockerfile": f"FROM {ASTRO_IMAGE}\nRUN true\n"})
    tag = f"buildkit-pyenv-test/render-cache:{uuid.uuid4().hex[:8]}"
    image_tags.append(tag)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    for _ in range(2):
        done = subprocess.run(
            [*CLI, "build", str(context), "-t", tag, "--progress", "plain"],
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr[-3000:]
    assert "RUN true" in done.stderr
    records = list((tmp_path / "cache" / "buildkit-pyenv" / "builds").glob("*.record"))
    assert len(records) == 1
    subprocess.run(["docker", "image", "inspect", tag], check=True, capture_output=True)
