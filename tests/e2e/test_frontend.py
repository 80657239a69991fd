"""End to end through the frontend image: `# syntax=` and plain `docker buildx build`."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.bed.fixtures import ASTRO_IMAGE, image_config, mirror_sources, write_context
from tests.conftest import FRONTEND_TEST_IMAGE
from tests.e2e.checks import assert_working_interpreter, env_facts, shell

SYNTAX = f"# syntax={FRONTEND_TEST_IMAGE}\n"
README = Path(__file__).resolve().parents[2] / "README.md"
TWO_ENVS = (
    f"FROM {ASTRO_IMAGE}\nPYENV 3.13 tools requirements.txt\nPYENV 3.13 reports reports.txt\n"
)
REQUIREMENTS = {"requirements.txt": "six==1.16.0\n", "reports.txt": "tabulate==0.9.0\n"}


@pytest.fixture(autouse=True)
def _frontend(frontend_image: str) -> None:
    """Every test here needs the frontend image."""


def test_syntax_line_builds_what_the_cli_builds(buildx, cli_build):
    context = write_context(buildx.tmp / "same", {"Dockerfile": SYNTAX + TWO_ENVS, **REQUIREMENTS})
    frontend_tag, frontend = buildx.build(context)
    frontend.ok()
    assert "[buildkit-pyenv] expanded Dockerfile" in frontend.output
    cli_tag, cli = cli_build.build(context)
    cli.ok()

    frontend_config, cli_config = image_config(frontend_tag), image_config(cli_tag)
    for key in ("Env", "User", "Cmd", "Entrypoint", "WorkingDir", "Labels"):
        assert frontend_config[key] == cli_config[key], key
    for variable in ("ASTRO_PYENV_tools", "ASTRO_PYENV_reports"):
        facts = env_facts(frontend_tag, variable, "six", "tabulate")
        assert facts == env_facts(cli_tag, variable, "six", "tabulate")
    manifest = "cat /etc/buildkit-pyenv/manifest.json"
    assert shell(frontend_tag, manifest) == shell(cli_tag, manifest)
    tools = env_facts(frontend_tag, "ASTRO_PYENV_tools", "six", "tabulate")
    assert_working_interpreter(tools, "3.13.5", "/home/astro/.venv/tools")
    assert tools["user"] == "astro" and tools["packages"] == {"six": "1.16.0", "tabulate": None}


def test_custom_dockerfile_name_and_its_dockerignore(buildx):
    context = write_context(
        buildx.tmp / "named",
        {
            "build/app.Dockerfile": SYNTAX + f"FROM {ASTRO_IMAGE}\n"
            "PYENV 3.13 tools reqs/tools.txt\nCOPY . /home/astro/ctx/\n",
            "build/app.Dockerfile.dockerignore": "secret.txt\nbuild\n",
            "reqs/tools.txt": "six==1.16.0\n",
            "secret.txt": "do not ship\n",
        },
    )
    tag, result = buildx.build(context, "-f", str(context / "build/app.Dockerfile"))
    result.ok()
    assert shell(tag, "ls /home/astro/ctx").split() == ["reqs"]
    assert env_facts(tag, "ASTRO_PYENV_tools", "six")["packages"] == {"six": "1.16.0"}


def test_target_and_platform(buildx):
    dockerfile = (
        SYNTAX + f"FROM {ASTRO_IMAGE} AS app\nPYENV 3.13 tools\n"
        "FROM app AS broken\nRUN echo this stage must not be built && exit 1\n"
    )
    context = write_context(buildx.tmp / "target", {"Dockerfile": dockerfile})
    tag, result = buildx.build(context, "--target", "app", "--platform", "linux/amd64")
    result.ok()
    assert "must not be built" not in result.output
    assert env_facts(tag, "ASTRO_PYENV_tools")["version"] == "3.13.5"


def test_build_arg_feeds_the_python_version(buildx):
    dockerfile = SYNTAX + f"ARG PY\nFROM {ASTRO_IMAGE}\nPYENV ${{PY}} tools\n"
    context = write_context(buildx.tmp / "buildarg", {"Dockerfile": dockerfile})
    tag, result = buildx.build(context, "--build-arg", "PY=3.13")
    result.ok()
    assert env_facts(tag, "ASTRO_PYENV_tools")["version"] == "3.13.5"
    _, unset = buildx.build(context)
    assert unset.returncode != 0
    assert "$PY is not set" in unset.output
    assert ">>> PYENV ${PY} tools" in unset.output


def test_bad_pyenv_line_shows_the_users_line(buildx):
    dockerfile = SYNTAX + f"FROM {ASTRO_IMAGE}\nRUN true\nPYENV 3.13 -bad-\n"
    context = write_context(buildx.tmp / "bad", {"Dockerfile": dockerfile})
    _, result = buildx.build(context)
    assert result.returncode != 0
    assert "Dockerfile:4" in result.output
    assert ">>> PYENV 3.13 -bad-" in result.output
    assert "ERROR: failed to solve: invalid venv name '-bad-'" in result.output


def test_failing_requirements_name_the_pyenv_line(buildx):
    """The README shows this very failure."""
    dockerfile = (
        SYNTAX + f"FROM {ASTRO_IMAGE}\nRUN true\nPYENV 3.13 tools\nPYENV 3.13 bad bad.txt\n"
    )
    context = write_context(
        buildx.tmp / "broken",
        {"Dockerfile": dockerfile, "bad.txt": "buildkit-pyenv-no-such-package==0.0.1\n"},
    )
    _, result = buildx.build(context)
    assert result.returncode != 0
    assert "buildkit-pyenv-no-such-package was not found in the package registry" in result.output
    readme = README.read_text()
    shown = readme[readme.index("Dockerfile:5\n") : readme.index("exit code: 1\n```") + 12]
    assert shown in result.output


def test_dockerignored_requirements_are_reported(buildx):
    dockerfile = SYNTAX + f"FROM {ASTRO_IMAGE}\nPYENV 3.13 tools requirements.txt\n"
    context = write_context(
        buildx.tmp / "ignored",
        {"Dockerfile": dockerfile, ".dockerignore": "*.txt\n", **REQUIREMENTS},
    )
    _, result = buildx.build(context)
    assert result.returncode != 0
    assert "requirements file 'requirements.txt' is not in the build context" in result.output
    assert ">>> PYENV 3.13 tools requirements.txt" in result.output


def test_buildkit_syntax_arg_with_dockerfile_on_stdin(buildx):
    context = write_context(buildx.tmp / "stdin", {"requirements.txt": "six==1.16.0\n"})
    dockerfile = f"FROM {ASTRO_IMAGE}\nPYENV 3.13 tools requirements.txt\n"
    tag, result = buildx.build(
        context,
        "-f",
        "-",
        "--build-arg",
        f"BUILDKIT_SYNTAX={FRONTEND_TEST_IMAGE}",
        stdin=dockerfile,
    )
    result.ok()
    assert "[buildkit-pyenv] expanded Dockerfile" in result.output
    assert env_facts(tag, "ASTRO_PYENV_tools", "six")["packages"] == {"six": "1.16.0"}


def test_build_contexts_secrets_and_cache_mounts_keep_working(buildx):
    extra = write_context(buildx.tmp / "extra", {"note.txt": "from a named context\n"})
    secret = write_context(buildx.tmp / "secret", {"token": "s3cret"}) / "token"
    dockerfile = (
        SYNTAX + f"FROM {ASTRO_IMAGE}\n"
        "PYENV 3.13 tools\n"
        "COPY --from=extra note.txt /home/astro/note.txt\n"
        'RUN --mount=type=secret,id=token,uid=50000 test "$(cat /run/secrets/token)" = s3cret'
        " && echo secret-seen > /home/astro/secret.txt\n"
        "RUN --mount=type=cache,target=/home/astro/.cache/demo,uid=50000"
        " touch /home/astro/.cache/demo/used && echo cache-used > /home/astro/cache.txt\n"
    )
    context = write_context(buildx.tmp / "features", {"Dockerfile": dockerfile})
    tag, result = buildx.build(
        context, "--build-context", f"extra={extra}", "--secret", f"id=token,src={secret}"
    )
    result.ok()
    contents = shell(tag, "cat /home/astro/note.txt /home/astro/secret.txt /home/astro/cache.txt")
    assert contents.split("\n") == ["from a named context", "secret-seen", "cache-used"]
    assert "s3cret" not in shell(tag, "cat /home/astro/*.txt")


def test_exact_version_with_its_checksum(buildx):
    digest = hashlib.sha256(mirror_sources()["3.13.5"].read_bytes()).hexdigest()
    line = f"PYENV --sha256={digest} 3.13.5 exact\n"
    context = write_context(
        buildx.tmp / "exact", {"Dockerfile": SYNTAX + f"FROM {ASTRO_IMAGE}\n" + line}
    )
    tag, result = buildx.build(context)
    result.ok()
    assert env_facts(tag, "ASTRO_PYENV_exact")["version"] == "3.13.5"

    wrong = f"PYENV --sha256={'0' * 64} 3.13.5 exact\n"
    (context / "Dockerfile").write_text(SYNTAX + f"FROM {ASTRO_IMAGE}\n" + wrong)
    _, failed = buildx.build(context)
    assert failed.returncode != 0
    assert "does not have the SHA-256 --sha256 gives" in failed.output
    assert f">>> {wrong.strip()}" in failed.output
    assert "a step of the PYENV line 3 did not complete successfully" in failed.output


def test_backtick_escape_directive(buildx):
    """The continuation lines buildkit-pyenv writes follow the Dockerfile's escape."""
    dockerfile = (
        "# escape=`\n" + SYNTAX + f"FROM {ASTRO_IMAGE}\nPYENV `\n    3.13 tools requirements.txt\n"
    )
    context = write_context(
        buildx.tmp / "backtick", {"Dockerfile": dockerfile, "requirements.txt": "six==1.16.0\n"}
    )
    tag, result = buildx.build(context)
    result.ok()
    assert env_facts(tag, "ASTRO_PYENV_tools", "six")["packages"] == {"six": "1.16.0"}
