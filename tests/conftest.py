"""Shared fixtures. End-to-end tests need the test bed (tests/bed/setup.sh); without it
they fail with a message saying how to set it up, unless BUILDKIT_PYENV_SKIP_E2E=1."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bed import fixtures

# testcontainers' reaper image cannot be pulled here (no registry); fixtures clean up.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")

E2E_DIR = Path(__file__).parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def bed() -> None:
    """The engine and base images; fails (not skips) when they are missing."""
    if os.environ.get("BUILDKIT_PYENV_SKIP_E2E") == "1":
        pytest.skip("BUILDKIT_PYENV_SKIP_E2E=1")
    try:
        fixtures.check_engine()
    except fixtures.BedMissing as missing:
        pytest.fail(str(missing), pytrace=False)


@pytest.fixture(scope="session")
def mirror_url(bed: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A CPython mirror on 127.0.0.1 holding the bed's tarballs."""
    try:
        sources = fixtures.mirror_sources()
    except fixtures.BedMissing as missing:
        pytest.fail(str(missing), pytrace=False)
    root = fixtures.make_mirror(tmp_path_factory.mktemp("mirror"), sources)
    with fixtures.serve_mirror(root) as url:
        yield url


@pytest.fixture(scope="session")
def image_tags() -> Iterator[list[str]]:
    """Tags the tests create, removed at the end (BuildKit's cache stays)."""
    tags: list[str] = []
    yield tags
    if tags:
        subprocess.run(["docker", "image", "rm", "-f", *tags], capture_output=True)


FRONTEND_TEST_IMAGE = "buildkit-pyenv-test/frontend:e2e"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def frontend_image(bed: None) -> str:
    """The frontend image, built with `make frontend-image` on the bed's astro base."""
    done = subprocess.run(
        [
            "make",
            "-C",
            str(ROOT),
            "frontend-image",
            f"FRONTEND_IMAGE={FRONTEND_TEST_IMAGE}",
            f"FRONTEND_BASE_IMAGE={fixtures.ASTRO_IMAGE}",
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"make frontend-image failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return FRONTEND_TEST_IMAGE


class Builder:
    """Builds a context as users do, against the bed's mirror with host network: the
    command is `docker buildx build` (the frontend, by `# syntax=`) or the CLI's build."""

    def __init__(self, command: list[str], mirror_url: str, tags: list[str], tmp: Path) -> None:
        self.command = command
        self.mirror_url = mirror_url
        self.tags = tags
        self.tmp = tmp

    def build(
        self, context: Path | str, *args: str, stdin: str | None = None
    ) -> tuple[str, fixtures.BuildResult]:
        """Build `context` with docker build options `args`; returns (tag, result)."""
        tag = f"buildkit-pyenv-test/e2e-{uuid.uuid4().hex[:10]}"
        self.tags.append(tag)
        command = [*self.command, "--build-arg", f"PYENV_PYTHON_MIRROR={self.mirror_url}"]
        command += [str(context), "-t", tag, "--network", "host", "--progress", "plain", *args]
        done = subprocess.run(command, capture_output=True, text=True, input=stdin)
        return tag, fixtures.BuildResult(done.returncode, done.stdout + done.stderr)


@pytest.fixture(scope="module")
def buildx(
    mirror_url: str, image_tags: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Builder:
    """`docker buildx build`, shared by a module's tests."""
    command = ["docker", "buildx", "build"]
    return Builder(command, mirror_url, image_tags, tmp_path_factory.mktemp("buildx"))


@pytest.fixture(scope="module")
def cli_build(
    mirror_url: str, image_tags: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Builder:
    """`buildkit-pyenv build`, shared by a module's tests."""
    command = [*fixtures.CLI, "build"]
    return Builder(command, mirror_url, image_tags, tmp_path_factory.mktemp("cli"))
