"""Base images with ONBUILD triggers: the triggers run in the user's stage only."""

from __future__ import annotations

import subprocess
import uuid

import pytest

from tests.bed.fixtures import ASTRO_IMAGE, CLI, write_context
from tests.conftest import FRONTEND_TEST_IMAGE
from tests.e2e.checks import env_facts, shell

ONBUILD_IMAGE = "buildkit-pyenv-test/onbuild:e2e"
# New every session, so that BuildKit's cache never hides whether the trigger ran.
TOKEN = uuid.uuid4().hex[:12]
TRIGGER = f"echo ONBUILD-TRIGGER-RAN-{TOKEN} && touch /tmp/onbuild-ran"
DOCKERFILE = f"# syntax={FRONTEND_TEST_IMAGE}\nFROM {ONBUILD_IMAGE}\nPYENV 3.13 tools\n"


@pytest.fixture(scope="module")
def onbuild_image(bed, image_tags, tmp_path_factory) -> str:
    """An image like Astronomer's runtime without -base: its children run a trigger."""
    context = write_context(
        tmp_path_factory.mktemp("onbuild"),
        {"Dockerfile": f"FROM {ASTRO_IMAGE}\nONBUILD RUN {TRIGGER}\n"},
    )
    subprocess.run(
        ["docker", "buildx", "build", "-q", "-t", ONBUILD_IMAGE, str(context)],
        check=True,
        capture_output=True,
    )
    image_tags.append(ONBUILD_IMAGE)
    return ONBUILD_IMAGE


def test_frontend_refuses_without_a_builder_image(frontend_image, onbuild_image, buildx):
    context = write_context(buildx.tmp / "onbuild-refused", {"Dockerfile": DOCKERFILE})
    _, result = buildx.build(context)
    assert result.returncode != 0
    assert f"{ONBUILD_IMAGE} has ONBUILD triggers (RUN {TRIGGER})" in result.output
    assert ">>> PYENV 3.13 tools" in result.output
    assert "PYENV_BUILDER_IMAGE=<the same image without ONBUILD triggers>" in result.output


def test_builder_image_keeps_triggers_out_of_the_helper_stages(
    frontend_image, onbuild_image, buildx
):
    context = write_context(buildx.tmp / "onbuild-builder", {"Dockerfile": DOCKERFILE})
    tag, result = buildx.build(context, "--build-arg", f"PYENV_BUILDER_IMAGE={ASTRO_IMAGE}")
    result.ok()
    assert result.output.count(f"ONBUILD-TRIGGER-RAN-{TOKEN}\n") == 1  # the user's stage only
    assert f"the stages that build Python start FROM {ASTRO_IMAGE}" in result.output
    assert shell(tag, "ls /tmp/onbuild-ran") == "/tmp/onbuild-ran"
    assert env_facts(tag, "ASTRO_PYENV_tools")["version"] == "3.13.5"


def test_cli_looks_the_triggers_up_in_the_local_engine(onbuild_image, tmp_path):
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    # check asks no engine: it reads the Dockerfile and the context only.
    checked = subprocess.run([*CLI, "check"], cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    # render asks the engine for the base's Debian release, and learns its triggers too.
    refused = subprocess.run([*CLI, "render"], cwd=tmp_path, capture_output=True, text=True)
    assert refused.returncode == 1
    assert f"Dockerfile:3: {ONBUILD_IMAGE} has ONBUILD triggers" in refused.stderr
    builder = ["--build-arg", f"PYENV_BUILDER_IMAGE={ASTRO_IMAGE}"]
    rendered = subprocess.run(
        [*CLI, "render", *builder], cwd=tmp_path, capture_output=True, text=True
    )
    assert rendered.returncode == 0, rendered.stderr
    assert f"FROM {ASTRO_IMAGE} AS pyenv-python-3.13-copy\n" in rendered.stdout
    assert rendered.stderr.startswith("note: the stages that build Python start FROM")
