"""The frontend as users get it: pushed to a registry (Debian's docker-registry on
127.0.0.1) and named there by the `# syntax=` line, so that BuildKit pulls it; and the
same build on a second engine reached only over TCP (a remote builder's stand-in, with
an image store of its own that starts empty), which gets the frontend, the base image
and the python and uv images from that registry alone."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.bed import registry, remote_engine
from tests.bed.fixtures import (
    ASTRO_IMAGE,
    PYTHON_SLIM_IMAGES,
    UV_IMAGE,
    BuildResult,
    image_config,
    write_context,
)
from tests.e2e.checks import assert_working_interpreter, env_facts, shell

MANIFEST = "cat /etc/buildkit-pyenv/manifest.json"


def repository_path(image: str) -> str:
    """`image` without the registry host it names, if any (as a registry stores it)."""
    first, _, rest = image.partition("/")
    return rest if rest and ("." in first or ":" in first or first == "localhost") else image


@dataclass(frozen=True)
class Published:
    """The registry, and the names there of the images a build needs."""

    registry: registry.Registry
    frontend: str
    base: str
    python: str  # a repository, as PYENV_PYTHON_IMAGE takes it
    uv: str

    def pulled(self) -> set[tuple[str, str]]:
        """The manifests a build with nothing cached asks the registry for."""
        return {
            (repository_path(name).rsplit(":", 1)[0], name.rsplit(":", 1)[1])
            for name in (self.frontend, self.base, self.uv, self.python + ":3.13-slim-bookworm")
        }


def docker(*args: str, host: str | None = None) -> str:
    command = ["docker", *(["-H", host] if host else []), *args]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def published(frontend_image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    """A registry on 127.0.0.1 holding the frontend image and the bed's images; the
    main engine keeps none of the names it pushed there."""
    directory = tmp_path_factory.mktemp("registry")
    try:
        with registry.serve(directory) as running:
            address = running.address
            names = {
                frontend_image: f"{address}/{repository_path(frontend_image)}",
                ASTRO_IMAGE: f"{address}/{repository_path(ASTRO_IMAGE)}",
                PYTHON_SLIM_IMAGES["3.13"]: f"{address}/python:3.13-slim-bookworm",
                UV_IMAGE: f"{address}/{repository_path(UV_IMAGE)}",
            }
            for source, target in names.items():
                docker("tag", source, target)
            try:
                pushes = [
                    subprocess.Popen(["docker", "push", "-q", target], stdout=subprocess.PIPE)
                    for target in names.values()
                ]
                assert [push.wait() for push in pushes] == [0] * len(pushes)
            finally:
                docker("image", "rm", *names.values())
            yield Published(
                running,
                frontend=names[frontend_image],
                base=names[ASTRO_IMAGE],
                python=f"{address}/python",
                uv=names[UV_IMAGE],
            )
    except registry.RegistryError as error:
        pytest.fail(str(error), pytrace=False)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def remote_host(bed: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The remote engine's DOCKER_HOST (tcp://127.0.0.1:<port>), for this module."""
    directory = tmp_path_factory.mktemp("remote-engine")
    try:
        with remote_engine.serve(directory) as host:
            yield host
    except remote_engine.RemoteEngineError as error:
        pytest.fail(str(error), pytrace=False)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@dataclass(frozen=True)
class Build:
    tag: str
    result: BuildResult
    asked: set[tuple[str, str]]  # the manifests the registry served during the build


def build(published: Published, context: Path, host: str | None = None) -> Build:
    """`docker buildx build` of `context` on the main engine, or on the one at `host`,
    with the python and uv images taken from the registry."""
    tag = f"buildkit-pyenv-test/e2e-{uuid.uuid4().hex[:10]}"
    command = ["docker", *(["-H", host] if host else []), "buildx", "build", str(context)]
    command += ["-t", tag, "--network", "host", "--progress", "plain"]
    command += ["--build-arg", f"PYENV_PYTHON_IMAGE={published.python}"]
    command += ["--build-arg", f"PYENV_UV_IMAGE={published.uv}"]
    mark = published.registry.mark()
    done = subprocess.run(command, capture_output=True, text=True)
    asked = published.registry.manifest_requests(mark)
    return Build(tag, BuildResult(done.returncode, done.stdout + done.stderr), asked)


@pytest.fixture(scope="module")
def project(published: Published, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Dockerfile that names only images of the registry."""
    dockerfile = f"# syntax={published.frontend}\nFROM {published.base}\nPYENV 3.13 tools\n"
    return write_context(tmp_path_factory.mktemp("registry-project"), {"Dockerfile": dockerfile})


@pytest.fixture(scope="module")
def main_build(published: Published, project: Path, image_tags: list[str]) -> Build:
    """The project built on the main engine."""
    built = build(published, project)
    image_tags.append(built.tag)
    return built


def test_buildkit_pulls_the_frontend_the_syntax_line_names(published, main_build):
    main_build.result.ok()
    assert "[buildkit-pyenv] expanded Dockerfile" in main_build.result.output
    frontend = published.frontend.removeprefix(published.registry.address + "/")
    assert tuple(frontend.rsplit(":", 1)) in main_build.asked
    facts = env_facts(main_build.tag, "ASTRO_PYENV_tools")
    assert_working_interpreter(facts, "3.13.5", "/home/astro/.venv/tools")


def test_a_remote_engine_builds_from_the_registry_alone(
    published, project, main_build, remote_host, monkeypatch
):
    """Over TCP only, with an empty image store: everything comes from the registry,
    and the image is the one the main engine built."""
    assert docker("image", "ls", "--quiet", host=remote_host) == ""
    remote = build(published, project, remote_host)
    remote.result.ok()
    assert published.pulled() <= remote.asked
    main_build.result.ok()
    with monkeypatch.context() as engine:
        engine.setenv("DOCKER_HOST", remote_host)
        config = image_config(remote.tag)
        facts = env_facts(remote.tag, "ASTRO_PYENV_tools")
        manifest = shell(remote.tag, MANIFEST)
    assert_working_interpreter(facts, "3.13.5", "/home/astro/.venv/tools")
    assert facts == env_facts(main_build.tag, "ASTRO_PYENV_tools")
    assert manifest == shell(main_build.tag, MANIFEST)
    main_config = image_config(main_build.tag)
    for key in ("Env", "User", "Cmd", "Entrypoint", "WorkingDir", "Labels"):
        assert config[key] == main_config[key], key
