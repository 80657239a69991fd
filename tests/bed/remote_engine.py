"""A remote builder stand-in: one more Docker engine, reached only over TCP on 127.0.0.1
(no socket file), with an image store and build cache of its own that start empty.

    with remote_engine.serve(directory) as host:     # tcp://127.0.0.1:<port>
        subprocess.run(["docker", "-H", host, ...])

It runs the way the cache engine does (tests/bed/cache-engine.sh): beside the main
engine, on the main engine's containerd (in a namespace of its own), with its own data
root, run directory and bridge, and no iptables rules (a second engine that set them up
would remove the main engine's chains); so its containers have no way out, and builds
use --network host. Everything it keeps lives under `directory`, removed at the end;
the dockerd started here is stopped by its process id. Needs root.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.bed.registry import free_port, stop

NAMESPACE = "buildkit-pyenv-remote"
BRIDGE = "bkpyenv-remote0"
# Private, and outside the pools Docker picks networks from and the cache engine's.
BRIDGE_ADDRESS = "10.213.1.1/24"
# Short: containerd's sockets under it must fit in 108 bytes.
RUN_DIR = Path("/run/buildkit-pyenv-remote")
CONTAINERD_SOCKETS = (
    "/run/containerd/containerd.sock",
    "/var/run/docker/containerd/containerd.sock",
)


class RemoteEngineError(Exception):
    """The remote engine could not be started; the message says why."""


def containerd_socket() -> str:
    """The containerd the main engine uses (the system's if there is one)."""
    for socket in CONTAINERD_SOCKETS:
        if Path(socket).is_socket():
            return socket
    raise RemoteEngineError("found no containerd socket of the main engine; run tests/bed/setup.sh")


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Run the engine, keeping its data under `directory`; yields its DOCKER_HOST."""
    containerd = containerd_socket()
    data_root = directory / "data"
    data_root.mkdir(parents=True, exist_ok=True)
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    config = RUN_DIR / "daemon.json"
    config.write_text(json.dumps({}) + "\n")
    host = f"tcp://127.0.0.1:{free_port()}"
    log = directory / "dockerd.log"
    _bridge_up()
    process = None
    try:
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    "dockerd",
                    "--config-file", str(config),
                    "--host", host,
                    "--tls=false",  # loopback only; dockerd 27 and later want it said
                    "--pidfile", str(RUN_DIR / "dockerd.pid"),
                    "--data-root", str(data_root),
                    "--exec-root", str(RUN_DIR / "exec"),
                    "--containerd", containerd,
                    "--containerd-namespace", NAMESPACE,
                    "--containerd-plugins-namespace", f"{NAMESPACE}-plugins",
                    "--bridge", BRIDGE,
                    "--iptables=false",
                    "--ip-masq=false",
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        _wait_until_up(host, process, log)
        yield host
    finally:
        if process is not None:
            stop(process, timeout=60)
        _bridge_down()
        shutil.rmtree(data_root, ignore_errors=True)


def _wait_until_up(host: str, process: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RemoteEngineError(f"dockerd exited:\n{log.read_text(errors='replace')[-3000:]}")
        info = subprocess.run(["docker", "-H", host, "info"], capture_output=True)
        if info.returncode == 0:
            return
        time.sleep(0.2)
    raise RemoteEngineError(f"dockerd did not answer at {host}; see {log}")


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RemoteEngineError(f"ip {' '.join(args)} failed: {done.stderr.strip()}")
    return done


def _bridge_up() -> None:
    if _ip("link", "show", BRIDGE, check=False).returncode != 0:
        _ip("link", "add", BRIDGE, "type", "bridge")
    _ip("addr", "replace", BRIDGE_ADDRESS, "dev", BRIDGE)
    _ip("link", "set", BRIDGE, "up")


def _bridge_down() -> None:
    if _ip("link", "show", BRIDGE, check=False).returncode == 0:
        _ip("link", "del", BRIDGE, check=False)
