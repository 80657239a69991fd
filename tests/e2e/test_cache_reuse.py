"""BuildKit's cache leaves the engine and comes back: after a build that exported its
cache (`--cache-to type=local,mode=max`) and an engine that then forgot every build
result, the same project builds from `--cache-from` without compiling CPython or
installing a package, and its environment works.

Runs on the cache engine (tests/bed/cache_engine.py): the main engine's `docker` build
driver cannot export cache."""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest

from tests.bed import cache_engine, fixtures

# What the build scripts print when they compile CPython or install packages (uv too).
BUILDING = "buildkit-pyenv: building CPython"
INSTALLING = "buildkit-pyenv: installing"


def script_output(build: fixtures.BuildResult) -> str:
    """The lines the build's steps printed while running (`#7 12.3 ...` in plain
    progress), without the step names and the Dockerfile text BuildKit shows."""
    return "\n".join(re.findall(r"^#\d+ \d+\.\d+ (.*)$", build.output, flags=re.MULTILINE))


@pytest.fixture(scope="module")
def cache_host(bed: None) -> Iterator[str]:
    """The cache engine's DOCKER_HOST, this module's alone; stopped after the module if
    it started here."""
    with ExitStack() as stack:
        try:
            host = stack.enter_context(cache_engine.engine())
        except cache_engine.CacheEngineError as error:
            pytest.fail(f"the cache engine did not start: {error}", pytrace=False)
        yield host


@dataclass
class Rebuild:
    tag: str
    first: fixtures.BuildResult  # with an empty build cache, exporting it
    second: fixtures.BuildResult  # after a prune, importing the exported cache


@pytest.fixture(scope="module")
def rebuild(
    cache_host: str, mirror_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Rebuild]:
    tmp = tmp_path_factory.mktemp("cache-reuse")
    context = fixtures.write_context(
        tmp / "project",
        {
            "Dockerfile": f"FROM {fixtures.ASTRO_IMAGE}\nPYENV 3.13 etl requirements.txt\n",
            "requirements.txt": "six==1.16.0\n",
        },
    )
    cache = tmp / "cache"
    tag = f"buildkit-pyenv-test/e2e-cache-{uuid.uuid4().hex[:10]}"

    def build(*cache_args: str) -> fixtures.BuildResult:
        command = [
            *fixtures.CLI,
            "build",
            "--build-arg",
            f"PYENV_PYTHON_MIRROR={mirror_url}",
            "--build-arg",
            "PYENV_PYTHON_PROVIDER=source",
            str(context),
            "-t",
            tag,
            "--network",
            "host",
            "--progress",
            "plain",
            *cache_args,
        ]
        env = cache_engine.environ(cache_host)
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        return fixtures.BuildResult(done.returncode, done.stdout + done.stderr)

    # A result of an earlier session would hide whether the first build compiles.
    cache_engine.prune_build_cache(cache_host)
    try:
        first = build("--cache-to", f"type=local,dest={cache},mode=max").ok()
        cache_engine.prune_build_cache(cache_host)
        second = build("--cache-from", f"type=local,src={cache}").ok()
        yield Rebuild(tag, first, second)
    finally:
        subprocess.run(["docker", "-H", cache_host, "image", "rm", "-f", tag], capture_output=True)


def test_first_build_compiles_cpython_and_installs(rebuild: Rebuild) -> None:
    printed = script_output(rebuild.first)
    assert BUILDING in printed
    assert INSTALLING in printed


def test_build_from_exported_cache_compiles_and_installs_nothing(rebuild: Rebuild) -> None:
    printed = script_output(rebuild.second)
    assert BUILDING not in printed, rebuild.second.output[-4000:]
    assert INSTALLING not in printed, rebuild.second.output[-4000:]


def test_image_from_exported_cache_runs_its_environment(cache_host: str, rebuild: Rebuild) -> None:
    done = cache_engine.docker(
        cache_host,
        "run",
        "--rm",
        rebuild.tag,
        "sh",
        "-c",
        '"$ASTRO_PYENV_etl" -c "import six, sys; print(sys.version.split()[0], six.__version__)"',
    )
    assert done.stdout.split() == ["3.13.5", "1.16.0"]
