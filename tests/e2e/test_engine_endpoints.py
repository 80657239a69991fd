"""The CLI asks the engine the user's docker asks: `DOCKER_HOST`, then `DOCKER_CONTEXT`,
then the current context of `$DOCKER_CONFIG/config.json`, then the default socket.

Two real engines: the bed's main one and its cache engine (tests/bed/cache_engine.py),
each with an image the other lacks. A context named `other` in a DOCKER_CONFIG of the
test's own points at the second. Commands that need no engine (`check`, `list`) work
with none at all; the others fail naming the endpoint when it cannot be reached.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bed import cache_engine
from tests.bed.fixtures import ASTRO_IMAGE, CLI, UV_IMAGE, write_context

DOWN = "unix:///run/buildkit-pyenv-test-no-engine.sock"


@pytest.fixture(scope="module")
def engines(bed: None) -> Iterator[dict[str, str]]:
    """The two engines' hosts and an image tag only each one has."""
    suffix = uuid.uuid4().hex[:8]
    only_first = f"buildkit-pyenv-test/only-first:{suffix}"
    only_second = f"buildkit-pyenv-test/only-second:{suffix}"
    with cache_engine.engine() as second:
        subprocess.run(["docker", "tag", ASTRO_IMAGE, only_first], check=True)
        cache_engine.docker(second, "tag", ASTRO_IMAGE, only_second)
        try:
            yield {
                "first": "unix:///var/run/docker.sock",
                "second": second,
                "only_first": only_first,
                "only_second": only_second,
            }
        finally:
            subprocess.run(["docker", "image", "rm", only_first], capture_output=True)
            cache_engine.docker(second, "image", "rm", "-f", only_second)


@pytest.fixture
def config(tmp_path: Path, engines: dict[str, str]) -> Path:
    """A DOCKER_CONFIG with a context `other` on the second engine and `down` on none."""
    directory = tmp_path / "docker-config"
    for name, host in (("other", engines["second"]), ("down", DOWN)):
        subprocess.run(
            ["docker", "--config", str(directory), "context", "create", name, "--docker",
             f"host={host}"],
            check=True,
            capture_output=True,
        )  # fmt: skip
    return directory


def cli(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "DOCKER_CONTEXT")}
    return subprocess.run(
        [*CLI, *args], env={**base, **env}, capture_output=True, text=True, cwd=cwd
    )


def project(root: Path, base: str) -> Path:
    return write_context(root, {"Dockerfile": f"FROM {base}\nPYENV 3.13 tools\n"})


def ways_to_the_second(config: Path, engines: dict[str, str]) -> dict[str, dict[str, str]]:
    """Each way a user points docker at the second engine."""
    current = config / "current"
    current.mkdir()
    (current / "config.json").write_text(json.dumps({"currentContext": "other"}))
    for kept in (config / "contexts",):
        (current / "contexts").symlink_to(kept)
    return {
        "DOCKER_HOST": {"DOCKER_HOST": engines["second"], "DOCKER_CONFIG": str(config)},
        "DOCKER_CONTEXT": {"DOCKER_CONTEXT": "other", "DOCKER_CONFIG": str(config)},
        "docker context use": {"DOCKER_CONFIG": str(current)},
    }


def test_render_and_list_image_ask_the_engine_docker_would_ask(tmp_path, config, engines):
    ways = ways_to_the_second(config, engines)
    seen = project(tmp_path / "second", engines["only_second"])
    unseen = project(tmp_path / "first", engines["only_first"])
    for way, env in ways.items():
        done = cli("render", str(seen / "Dockerfile"), env=env)
        assert done.returncode == 0, (way, done.stderr)
        # The second engine's image was read: its Debian release chose the python image.
        assert "python:3.13-slim-bookworm" in done.stdout, way
        done = cli("render", str(unseen / "Dockerfile"), env=env)
        assert done.returncode == 1, way
        assert f"it is not in the engine at {engines['second']}" in done.stderr, way
        done = cli("list", "--image", engines["only_second"], env=env)
        assert done.returncode == 0, (way, done.stderr)
        assert "no PYENV environments" in done.stdout
        done = cli("list", "--image", engines["only_first"], env=env)
        assert done.returncode == 1 and engines["second"] in done.stderr, (way, done.stderr)
    # With no context chosen, the first engine answers.
    done = cli("render", str(unseen / "Dockerfile"), env={"DOCKER_CONFIG": str(tmp_path / "none")})
    assert done.returncode == 0, done.stderr


def test_build_builds_on_the_engine_docker_would_ask(tmp_path, config, engines):
    context = write_context(
        tmp_path / "context",
        {"Dockerfile": f"FROM {engines['only_second']}\nPYENV 3.13 tools\n"},
    )
    tag = f"buildkit-pyenv-test/endpoint-build:{uuid.uuid4().hex[:8]}"
    env = {
        "DOCKER_CONTEXT": "other",
        "DOCKER_CONFIG": str(config),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    done = cli(
        "build", "--network", "host", "--build-arg", f"PYENV_UV_IMAGE={UV_IMAGE}", "--load",
        "-t", tag, str(context), env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    try:
        cache_engine.docker(engines["second"], "image", "inspect", tag)
        first = subprocess.run(["docker", "image", "inspect", tag], capture_output=True)
        assert first.returncode != 0, "built on the first engine instead"
    finally:
        cache_engine.docker(engines["second"], "image", "rm", "-f", tag)


def test_a_record_made_against_one_endpoint_is_not_used_against_another(tmp_path, engines):
    """`build` keeps its render with the endpoint it asked; the same command line against
    another endpoint renders again (docker here is a stand-in that keeps its input)."""
    seen = tmp_path / "seen"
    seen.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text('#!/bin/sh\ncat > "$DOCKER_SEEN/dockerfile"\n')
    (bin_dir / "docker").chmod(0o755)
    context = write_context(
        tmp_path / "context", {"Dockerfile": f"FROM {ASTRO_IMAGE}\nPYENV 3.13 tools\n"}
    )
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "DOCKER_SEEN": str(seen),
    }

    def build(host: str) -> bool:
        """Whether the build rendered (it imported Jinja2) rather than used a record."""
        done = subprocess.run(
            [sys.executable, "-X", "importtime", *CLI[1:], "build", "-t", "x", str(context)],
            env={**os.environ, **env, "DOCKER_HOST": host},
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return " jinja2" in done.stderr

    assert build(engines["first"])
    assert not build(engines["first"])  # the record, on the same endpoint
    assert build(engines["second"])  # another endpoint: rendered again
    assert not build(engines["second"])


@pytest.mark.parametrize("way", ["DOCKER_HOST", "DOCKER_CONTEXT"])
def test_an_engine_that_is_down_is_named_never_replaced(tmp_path, config, way):
    env = (
        {"DOCKER_HOST": DOWN}
        if way == "DOCKER_HOST"
        else {"DOCKER_CONTEXT": "down", "DOCKER_CONFIG": str(config)}
    )
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    context = project(tmp_path / "p", ASTRO_IMAGE)
    dockerfile = str(context / "Dockerfile")
    for args in (("render", dockerfile), ("list", "--image", ASTRO_IMAGE), ("build", str(context))):
        done = cli(*args, env=env)
        assert done.returncode == 1, (args, done.stdout)
        assert DOWN in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
    # What needs no engine does not ask one.
    for args in (("check", dockerfile), ("list", dockerfile)):
        done = cli(*args, env=env)
        assert done.returncode == 0, (args, done.stderr)
    # A render that is told the release needs no engine either.
    done = cli("render", "--build-arg", "PYENV_DEBIAN_RELEASE=bookworm", dockerfile, env=env)
    assert done.returncode == 0, done.stderr
