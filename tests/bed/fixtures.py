"""The test bed as tests see it: engine, base images, CPython mirror, image builds.

tests/bed/setup.sh creates all of it on a fresh machine; the names here match it.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BED_DIR = Path(os.environ.get("BUILDKIT_PYENV_BED_DIR", "/var/cache/buildkit-pyenv-bed"))
BARE_IMAGE = "buildkit-pyenv-test/bare:bookworm"
ASTRO_IMAGE = "buildkit-pyenv-test/astro:bookworm"
AIRFLOW_IMAGE = "buildkit-pyenv-test/airflow:bookworm"
# Stand-ins of official images the bed cannot pull (images/testbed/python-slim.Dockerfile
# and uv.Dockerfile); each python one is also tagged python:<X.Y.Z>-slim-bookworm and
# python:<X.Y>-slim, for the X.Y.Z of the mirror's tarball.
PYTHON_SLIM_IMAGES = {
    "3.13": "python:3.13-slim-bookworm",
    "3.11": "python:3.11-slim-bookworm",
}
UV_VERSION = "0.13.9"
UV_IMAGE = f"ghcr.io/astral-sh/uv:{UV_VERSION}"
BED_IMAGES = (BARE_IMAGE, ASTRO_IMAGE, AIRFLOW_IMAGE, *PYTHON_SLIM_IMAGES.values(), UV_IMAGE)
SETUP_HINT = "run `sudo tests/bed/setup.sh` (or `make bed`), or set BUILDKIT_PYENV_SKIP_E2E=1"
CLI = [sys.executable, "-m", "buildkit_frontend"]


class BedMissing(Exception):
    """Part of the test bed is not there; the message says which and how to fix it."""


def check_engine() -> None:
    """Fail clearly unless a Docker engine with buildx answers."""
    if shutil.which("docker") is None:
        raise BedMissing(f"no docker client on PATH; {SETUP_HINT}")
    info = subprocess.run(["docker", "info"], capture_output=True, text=True)
    if info.returncode != 0:
        raise BedMissing(f"no Docker engine answers ({info.stderr.strip()[-200:]}); {SETUP_HINT}")
    buildx = subprocess.run(["docker", "buildx", "version"], capture_output=True, text=True)
    if buildx.returncode != 0:
        raise BedMissing(f"docker buildx is missing; {SETUP_HINT}")
    for image in BED_IMAGES:
        found = subprocess.run(["docker", "image", "inspect", image], capture_output=True)
        if found.returncode != 0:
            raise BedMissing(f"the bed's image {image} is missing; {SETUP_HINT}")


def mirror_sources() -> dict[str, Path]:
    """The CPython tarballs setup.sh fetched, by version."""
    found = {p.parent.name: p for p in sorted((BED_DIR / "mirror").glob("*/Python-*.tar.xz"))}
    if not found:
        raise BedMissing(f"no CPython sources in {BED_DIR / 'mirror'}; {SETUP_HINT}")
    return found


@contextmanager
def serve_mirror(root: Path) -> Iterator[str]:
    """Serve `root` over HTTP on 127.0.0.1 in python.org's layout; yields the URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def make_mirror(target: Path, sources: Mapping[str, Path]) -> Path:
    """Lay out a mirror: the real tarballs plus a listed release without a tarball,
    as python.org has while a release is being prepared."""
    for version, tarball in sources.items():
        (target / version).mkdir(parents=True, exist_ok=True)
        (target / version / tarball.name).symlink_to(tarball)
    (target / "3.13.99").mkdir(exist_ok=True)
    (target / "3.13.99" / "Python-3.13.99rc1.tar.xz").write_bytes(b"not a release")
    return target


@dataclass
class BuildResult:
    """A finished `docker buildx build`: exit status and everything it printed."""

    returncode: int
    output: str

    def ok(self) -> BuildResult:
        assert self.returncode == 0, f"build failed:\n{self.output[-6000:]}"
        return self


def write_context(directory: Path, files: Mapping[str, str]) -> Path:
    """Write a build context: file name → text."""
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return directory


def run_in_image(image: str, script: list[str], user: str | None = None) -> str:
    """Run `sh -c script[0] script[1:]...` in a fresh container of `image`; returns
    its standard output. A failing script raises docker's ContainerError."""
    import docker

    client = docker.from_env()
    try:
        output = client.containers.run(
            image, ["/bin/sh", "-c", *script], remove=True, user=user, stderr=False
        )
    finally:
        client.close()
    return output.decode()


def image_config(image: str) -> dict:
    """The image's Config (Env, User, Labels, ...)."""
    import docker

    client = docker.from_env()
    try:
        return client.images.get(image).attrs["Config"]
    finally:
        client.close()
