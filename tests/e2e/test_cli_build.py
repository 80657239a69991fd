"""End to end through the CLI: render, build with the real engine, run the image."""

from __future__ import annotations

import pytest

from tests.bed.fixtures import ASTRO_IMAGE, BARE_IMAGE, image_config, write_context
from tests.e2e.checks import assert_working_interpreter, env_facts, shell


@pytest.fixture(scope="module")
def astro_image(cli_build):
    """Two venvs sharing one 3.13 on the astro base (its own Python is 3.11, USER astro)."""
    context = write_context(
        cli_build.tmp / "astro",
        {
            "Dockerfile": f"FROM {ASTRO_IMAGE}\n"
            "PYENV 3.13 tools requirements.txt\n"
            "PYENV 3.13 reports reports.txt\n",
            "requirements.txt": "six==1.16.0\n",
            "reports.txt": "tabulate==0.9.0\n",
        },
    )
    tag, result = cli_build.build(context)
    result.ok()
    return tag, result


def test_astro_base_gets_313_and_keeps_its_own_python(astro_image):
    tag, _ = astro_image
    facts = env_facts(tag, "ASTRO_PYENV_tools", "six", "tabulate")
    assert_working_interpreter(facts, "3.13.5", "/home/astro/.venv/tools")
    assert facts["user"] == "astro"
    assert facts["packages"] == {"six": "1.16.0", "tabulate": None}
    assert shell(tag, "python3 -c 'import platform; print(platform.python_version())'") == "3.11.2"


def test_two_venvs_share_one_interpreter(astro_image):
    tag, result = astro_image
    facts = env_facts(tag, "ASTRO_PYENV_reports", "six", "tabulate")
    assert_working_interpreter(facts, "3.13.5", "/home/astro/.venv/reports")
    assert facts["packages"] == {"six": None, "tabulate": "0.9.0"}
    assert "pyenv-python-3.13 " in result.output  # one interpreter stage, not a second one
    assert "pyenv-python-3.13-2" not in result.output
    assert shell(tag, "ls /opt/pyenv/versions") == "3.13.5"


def test_image_metadata_and_no_build_dependencies(astro_image):
    tag, _ = astro_image
    config = image_config(tag)
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["ASTRO_PYENV_tools"] == "/home/astro/.venv/tools/bin/python"
    assert env["ASTRO_PYENV_reports"] == "/home/astro/.venv/reports/bin/python"
    assert config["User"] == "astro"
    leftovers = "command -v gcc make curl; ls /usr/include/openssl /var/lib/buildkit-pyenv 2>&1"
    assert "No such file" in shell(tag, leftovers + "; true")
    assert "gcc" not in shell(tag, "command -v gcc make curl; true")


def test_bare_base_without_python(cli_build):
    """No Python and few libraries in the base: the interpreter brings what it needs."""
    context = write_context(
        cli_build.tmp / "bare",
        {
            "Dockerfile": f"FROM {BARE_IMAGE}\n"
            "RUN useradd --uid 50000 --create-home astro\n"
            "USER astro\n"
            "PYENV 3.13 tools requirements.txt\n"
            "PYENV 3.11 legacy\n",
            "requirements.txt": "six==1.16.0\n",
        },
    )
    tag, result = cli_build.build(context)
    result.ok()
    assert shell(tag, "command -v python3 python || echo none") == "none"
    facts = env_facts(tag, "ASTRO_PYENV_tools", "six")
    assert_working_interpreter(facts, "3.13.5", "/home/astro/.venv/tools")
    assert facts["user"] == "astro"
    assert facts["packages"] == {"six": "1.16.0"}
    legacy = env_facts(tag, "ASTRO_PYENV_legacy", "six")
    assert_working_interpreter(legacy, "3.11.2", "/home/astro/.venv/legacy")
    assert legacy["packages"] == {"six": None}
    assert sorted(shell(tag, "ls /opt/pyenv/versions").split()) == ["3.11.2", "3.13.5"]
