"""Astronomer Runtime 3 bases (`astrocrpublic.azurecr.io/runtime:<X.Y-N>`): the helper
stages start from the `-base` tag, so the ONBUILD triggers of the image (which copy the
project in) run only in the user's stage, and editing a project file rebuilds no
interpreter and no environment.

The bed has no registry: its astro image is tagged as the Runtime 3 `-base` image, and
the same with an ONBUILD COPY as the image without `-base`.
"""

from __future__ import annotations

import subprocess
import uuid

import pytest

from bench import progress
from tests.bed.fixtures import ASTRO_IMAGE, CLI, UV_IMAGE, write_context

RUNTIME = "astrocrpublic.azurecr.io/runtime"
TAG = f"3.1-{uuid.uuid4().hex[:6]}"  # the scheme's shape, the test's own tag


@pytest.fixture(scope="module")
def runtime_image(bed, image_tags, tmp_path_factory) -> str:
    base = f"{RUNTIME}:{TAG}-base"
    subprocess.run(["docker", "tag", ASTRO_IMAGE, base], check=True)
    image_tags.append(base)
    context = write_context(
        tmp_path_factory.mktemp("runtime3"),
        {"Dockerfile": f"FROM {base}\nONBUILD COPY --chown=astro . /usr/local/airflow/\n"},
    )
    image = f"{RUNTIME}:{TAG}"
    subprocess.run(
        ["docker", "buildx", "build", "-q", "-t", image, str(context)],
        check=True,
        capture_output=True,
    )
    image_tags.append(image)
    return image


def test_a_runtime_3_project_edit_rebuilds_no_interpreter_and_no_environment(
    runtime_image, image_tags, tmp_path
):
    context = write_context(
        tmp_path / "project",
        {
            "Dockerfile": f"FROM {runtime_image}\nPYENV 3.13 etl requirements.txt\n",
            "requirements.txt": "six==1.16.0\n",
            "dags/etl.py": "VERSION = 1\n",
        },
    )
    tag = f"buildkit-pyenv-test/runtime3:{uuid.uuid4().hex[:8]}"
    image_tags.append(tag)

    def build() -> tuple[str, list[progress.Step]]:
        done = subprocess.run(
            [
                *CLI, "build", str(context), "-t", tag, "--progress", "plain",
                "--network", "host", "--build-arg", f"PYENV_UV_IMAGE={UV_IMAGE}",
            ],
            capture_output=True,
            text=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stderr, progress.parse(done.stderr)

    output, _ = build()
    assert f"those stages start FROM {RUNTIME}:{TAG}-base" in output
    (context / "dags" / "etl.py").write_text("VERSION = 2\n")
    _, steps = build()
    helpers = [s for s in steps if s.stage.startswith("pyenv-")]
    assert helpers, "no helper stage in the build output"
    assert not [s.name for s in helpers if s.ran], "a helper step ran again"
    # The user's stage did take the edit: its ONBUILD COPY ran again.
    user = [s for s in steps if not s.stage.startswith("pyenv-") and s.ran]
    assert any("COPY" in s.command for s in user), [s.name for s in steps]
    shown = subprocess.run(
        ["docker", "run", "--rm", tag, "cat", "/usr/local/airflow/dags/etl.py"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout == "VERSION = 2\n"
