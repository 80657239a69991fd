"""The cache engine: a second Docker engine whose BuildKit exports its cache
(`--cache-to type=local,mode=max`), which the main engine's `docker` driver refuses.

tests/bed/cache-engine.sh runs it; this is that script for tests and benchmarks:

    with cache_engine.engine() as host:        # started here, stopped here if it was
        subprocess.run([..., "buildx", "build", ...], env=cache_engine.environ(host))
        cache_engine.prune_build_cache(host)

Users prune its whole build cache, so `engine()` lends it to one process at a time: a
test session and a benchmark run started together take turns.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.bed.fixtures import BED_DIR

SCRIPT = Path(__file__).with_name("cache-engine.sh")
LOCK = BED_DIR / "cache-engine.lock"


class CacheEngineError(Exception):
    """The cache engine could not be started, stopped or used; the message says why."""


def _script(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), command], capture_output=True, text=True)


def _checked(command: str) -> str:
    done = _script(command)
    if done.returncode != 0:
        raise CacheEngineError(f"{SCRIPT.name} {command} failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip()


def running() -> bool:
    """Whether the cache engine answers."""
    return _script("status").returncode == 0


def start() -> str:
    """Start the cache engine unless it is up, with the bed's images loaded; returns its
    DOCKER_HOST value (unix://...)."""
    _checked("start")
    return _checked("host")


def stop() -> None:
    """Stop the cache engine and remove its bridge."""
    _checked("stop")


@contextmanager
def engine() -> Iterator[str]:
    """The cache engine's DOCKER_HOST for the `with` block, which has it to itself (a
    block in another process waits); stopped afterwards only if it was not running."""
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with LOCK.open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("waiting for the cache engine: another process is using it", file=sys.stderr)
            fcntl.flock(lock, fcntl.LOCK_EX)
        was_running = running()
        host = start()
        try:
            yield host
        finally:
            if not was_running:
                stop()


def environ(host: str) -> dict[str, str]:
    """This process's environment with DOCKER_HOST set to `host`, for docker, buildx and
    the CLI (whose engine look-ups follow DOCKER_HOST too)."""
    return {**os.environ, "DOCKER_HOST": host}


def docker(host: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `docker -H host args...`; raises CacheEngineError when it fails."""
    done = subprocess.run(["docker", "-H", host, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise CacheEngineError(f"docker {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done


def prune_build_cache(host: str) -> None:
    """Forget every build result of the engine at `host` (images stay)."""
    docker(host, "builder", "prune", "-af")
