"""End to end: locked environments, a uv project (pyproject.toml + uv.lock, `uv sync
--locked` semantics) and a PEP 751 pylock.toml, locked here with the bed's uv."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.bed.fixtures import ASTRO_IMAGE, UV_IMAGE, write_context
from tests.conftest import FRONTEND_TEST_IMAGE
from tests.e2e.checks import shell

PYPROJECT = (
    '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
    '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
    'dependencies = ["six==1.16.0"]\n\n'
    '[dependency-groups]\ndev = ["tabulate==0.9.0"]\n'
)


def uv_lock(project: Path) -> None:
    """`uv lock` and `uv export --format pylock.toml` in `project`, with the bed's uv."""
    created = subprocess.run(
        ["docker", "create", UV_IMAGE], check=True, capture_output=True, text=True
    ).stdout.strip()
    tools = project.parent / "uv-binary"
    tools.mkdir(exist_ok=True)
    try:
        subprocess.run(["docker", "cp", f"{created}:/uv", str(tools / "uv")], check=True)
    finally:
        subprocess.run(["docker", "rm", created], check=True, capture_output=True)
    script = (
        "/t/uv lock -q && "
        "/t/uv export -q --no-dev --no-emit-project --format pylock.toml -o pylock.toml"
    )
    mounts = ["-v", f"{tools}:/t:ro", "-v", f"{project}:/p", "-w", "/p"]
    command = ["docker", "run", "--rm", "--network", "host", "-u", "root", *mounts]
    subprocess.run([*command, ASTRO_IMAGE, "sh", "-c", script], check=True)


@pytest.fixture(scope="module")
def locked_image(cli_build):
    context = cli_build.tmp / "locked"
    write_context(
        context,
        {
            "Dockerfile": f"FROM {ASTRO_IMAGE}\n"
            "PYENV 3.13 project app\n"
            "PYENV 3.13 pinned app/pylock.toml\n",
            "app/pyproject.toml": PYPROJECT,
            "app/app/__init__.py": f"BUILD = '{uuid.uuid4()}'\n",
        },
    )
    uv_lock(context / "app")
    tag, result = cli_build.build(context)
    result.ok()
    return context, tag


def manifest(tag: str) -> dict:
    found = json.loads(shell(tag, "cat /etc/buildkit-pyenv/manifest.json"))
    return {e["name"]: e for e in found["environments"]}


def test_a_uv_project_is_synced_as_locked_with_the_project_installed(locked_image):
    context, tag = locked_image
    record = manifest(tag)["project"]
    # Exactly the lock's runtime packages and the project: no dev group, no pip.
    assert record["packages"] == {"app": "0.1.0", "six": "1.16.0"}
    assert record["lock"] == "uv.lock"
    assert record["requirements"] == "app/uv.lock"
    expected = (context / "app/app/__init__.py").read_text().split("'")[1]
    code = "import app, six; print(app.BUILD, app.__file__)"
    build, where = shell(tag, f'"$ASTRO_PYENV_project" -c "{code}"').split()
    assert build == expected
    assert where.startswith("/home/astro/.venv/project/lib/")  # installed, not editable


def test_a_pylock_file_installs_exactly_what_it_pins(locked_image):
    _, tag = locked_image
    record = manifest(tag)["pinned"]
    assert record["packages"] == {"six": "1.16.0"}
    assert record["lock"] == "pylock"


def test_the_frontend_reads_the_project_directory_too(frontend_image, buildx, locked_image):
    context, _ = locked_image
    dockerfile = context / "frontend.Dockerfile"
    text = (context / "Dockerfile").read_text()
    dockerfile.write_text(f"# syntax={FRONTEND_TEST_IMAGE}\n{text}")
    frontend_tag, result = buildx.build(context, "-f", str(dockerfile))
    result.ok()
    assert manifest(frontend_tag)["project"]["packages"] == {"app": "0.1.0", "six": "1.16.0"}


def test_a_stale_lock_fails_the_build(cli_build, locked_image):
    context, _ = locked_image
    stale = PYPROJECT.replace('["six==1.16.0"]', '["six==1.16.0", "tabulate==0.9.0"]')
    write_context(context, {"app/pyproject.toml": stale + f"# {uuid.uuid4()}\n"})
    _, result = cli_build.build(context)
    assert result.returncode != 0
    assert "installing app/uv.lock for PYENV 3.13 project failed" in result.output
    assert "needs to be updated" in result.output
