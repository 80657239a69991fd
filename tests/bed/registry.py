"""A Docker registry on 127.0.0.1: Debian's docker-registry (tests/bed/setup.sh installs
it), started here on a free port with its storage in a directory of the caller's, and
stopped by its process id.

    with registry.serve(directory) as reg:
        reg.address                      # 127.0.0.1:<port>, for image names
        mark = reg.mark()
        ...                              # builds that pull from it
        reg.manifest_requests(mark)      # {("buildkit-pyenv/frontend", "e2e"), ...}

Docker engines treat a registry on 127.0.0.0/8 as insecure (plain HTTP) without being
told: `docker info` lists 127.0.0.0/8 under "Insecure Registries".
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BINARY = "docker-registry"
# The access log's request line, e.g. "GET /v2/buildkit-pyenv/frontend/manifests/e2e HTTP/1.1".
_MANIFEST_REQUEST = re.compile(r'"(?:GET|HEAD) /v2/(\S+)/manifests/([^\s?"]+)')


class RegistryError(Exception):
    """The registry could not be started; the message says why."""


@dataclass(frozen=True)
class Registry:
    """A running registry: its host:port and its log."""

    address: str
    log: Path

    def mark(self) -> int:
        """Where the log ends now, for manifest_requests."""
        return self.log.stat().st_size

    def manifest_requests(self, since: int = 0) -> set[tuple[str, str]]:
        """(repository, tag or digest) of every manifest asked for after `since`."""
        with self.log.open("rb") as log:
            log.seek(since)
            text = log.read().decode("utf-8", "replace")
        return set(_MANIFEST_REQUEST.findall(text))


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(directory: Path) -> Iterator[Registry]:
    """Run a registry storing its blobs under `directory` until the block ends."""
    binary = shutil.which(BINARY)
    if binary is None:
        raise RegistryError(f"{BINARY} is not installed; run tests/bed/setup.sh")
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = directory / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: info\n  accesslog:\n    disabled: false\n"
        f"storage:\n  filesystem:\n    rootdirectory: {directory / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    log = directory / "registry.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "serve", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for(f"http://127.0.0.1:{port}/v2/", process, log)
        yield Registry(f"127.0.0.1:{port}", log)
    finally:
        stop(process, timeout=20)


def stop(process: subprocess.Popen[bytes], timeout: float) -> None:
    """End a process the bed started: politely, then for sure after `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for _ in range(100):
        if process.poll() is not None:
            raise RegistryError(f"{BINARY} exited:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            with direct.open(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.1)
    raise RegistryError(f"{BINARY} did not answer at {url}; see {log}")
