"""End to end through the frontend: requirements files as teams write them (includes,
constraints, a local project, a wheel in the context) and hash-checked requirements, with
uv and with pip."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.bed.fixtures import ASTRO_IMAGE, write_context
from tests.conftest import FRONTEND_TEST_IMAGE
from tests.e2e.checks import shell
from tests.e2e.wheels import make_wheel

SYNTAX = f"# syntax={FRONTEND_TEST_IMAGE}\n"
SIX_HASHES = (
    "--hash=sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254 "
    "--hash=sha256:1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926"
)
MYPKG = {
    "libs/mypkg/pyproject.toml": '[build-system]\nrequires = ["setuptools>=61"]\n'
    'build-backend = "setuptools.build_meta"\n\n'
    '[project]\nname = "mypkg"\nversion = "0.1"\n',
    "libs/mypkg/mypkg/__init__.py": "VALUE = 'first'\n",
}


@pytest.fixture(autouse=True)
def _frontend(frontend_image: str) -> None:
    """Every test here builds through the frontend image."""


@pytest.fixture(scope="module")
def team_project(buildx):
    """One Dockerfile with a uv environment reading an include, a nested constraint, a
    local project and a wheel, and two hash-checked environments (uv and pip)."""
    context = buildx.tmp / "team"
    make_wheel(context / "dist", "tinywheel", "1.0", "NAME = 'tinywheel'\n")
    hashed = f"--require-hashes\nsix==1.16.0 {SIX_HASHES}\n"
    write_context(
        context,
        {
            "Dockerfile": SYNTAX + f"FROM {ASTRO_IMAGE}\n"
            "PYENV 3.13 etl reqs/etl.txt\n"
            "PYENV 3.13 hashed_uv reqs/hashed.txt\n"
            "PYENV --installer=pip 3.13 hashed_pip reqs/hashed.txt\n",
            "reqs/etl.txt": "-r common.txt\n"
            "--constraint=../constraints/airflow.txt\n"
            "./libs/mypkg\n"
            "dist/tinywheel-1.0-py3-none-any.whl\n",
            "reqs/common.txt": f"six\n# {uuid.uuid4()}: built afresh in every run\n",
            "constraints/airflow.txt": "six==1.16.0\n",
            "reqs/hashed.txt": hashed + f"# {uuid.uuid4()}\n",
            **MYPKG,
        },
    )
    tag, result = buildx.build(context)
    result.ok()
    return context, tag, result


def versions(tag: str, variable: str, *modules: str) -> dict:
    script = (
        "import importlib.metadata as m, json, sys; "
        "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    )
    return json.loads(shell(tag, f"\"${variable}\" -c '{script}' {' '.join(modules)}"))


def test_includes_constraints_local_project_and_wheel_are_installed(team_project):
    _, tag, _ = team_project
    assert versions(tag, "ASTRO_PYENV_etl", "six", "mypkg", "tinywheel") == {
        "six": "1.16.0",  # the nested constraint pinned it
        "mypkg": "0.1",
        "tinywheel": "1.0",
    }
    code = "import mypkg, tinywheel; print(mypkg.VALUE, tinywheel.NAME)"
    assert shell(tag, f'"$ASTRO_PYENV_etl" -c "{code}"') == "first tinywheel"


def test_hash_checked_requirements_install_with_uv_and_pip(team_project):
    _, tag, _ = team_project
    assert versions(tag, "ASTRO_PYENV_hashed_uv", "six") == {"six": "1.16.0"}
    assert versions(tag, "ASTRO_PYENV_hashed_pip", "six") == {"six": "1.16.0"}
    manifest = json.loads(shell(tag, "cat /etc/buildkit-pyenv/manifest.json"))
    installers = {e["name"]: e["installer"] for e in manifest["environments"]}
    assert installers == {"etl": "uv", "hashed_uv": "uv", "hashed_pip": "pip"}


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_a_wrong_hash_fails_the_build(buildx, installer):
    wrong = SIX_HASHES.replace("8abb2f", "0000ff").replace("1e61c3", "0000ff")
    context = write_context(
        buildx.tmp / f"wrong-hash-{installer}",
        {
            "Dockerfile": SYNTAX + f"FROM {ASTRO_IMAGE}\n"
            f"PYENV --installer={installer} 3.13 bad requirements.txt\n",
            "requirements.txt": f"--require-hashes\nsix==1.16.0 {wrong}\n# {uuid.uuid4()}\n",
        },
    )
    _, result = buildx.build(context)
    assert result.returncode != 0
    assert "a step of the PYENV line 3 did not complete successfully" in result.output
    assert "hash" in result.output.lower()


def test_a_change_to_the_local_project_rebuilds_only_its_environment(buildx, team_project):
    context, _, _ = team_project
    write_context(context, {"libs/mypkg/mypkg/__init__.py": "VALUE = 'second'\n"})
    tag, result = buildx.build(context)
    result.ok()
    assert "installing reqs/etl.txt" in result.output
    assert "installing reqs/hashed.txt" not in result.output
    assert shell(tag, '"$ASTRO_PYENV_etl" -c "import mypkg; print(mypkg.VALUE)"') == "second"
