"""The Docker engine the benchmarks build on, behind one small class: builds (timed, with
their steps), the build cache, image sizes, commands in containers. `host` selects an
engine other than the default one (a DOCKER_HOST value)."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from . import progress


class BenchError(Exception):
    """A step of the benchmark failed; the message says which and shows its output."""


@dataclass
class Build:
    """A finished build: wall-clock seconds, exit status, output, and its steps."""

    seconds: float
    returncode: int
    output: str
    steps: list[progress.Step] = field(default_factory=list)

    def ok(self, what: str) -> Build:
        if self.returncode != 0:
            raise BenchError(f"{what} failed (exit {self.returncode}):\n{self.output[-3000:]}")
        return self

    def ran(self, pattern: re.Pattern[str]) -> list[progress.Step]:
        """The steps matching `pattern` that were executed, not taken from the cache."""
        return [step for step in progress.matching(self.steps, pattern) if step.ran]


@dataclass(frozen=True)
class Engine:
    """A Docker engine reached with the `docker` command (and DOCKER_HOST=host if set)."""

    host: str | None = None
    label: str = "default engine"

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ)
        if self.host:
            env["DOCKER_HOST"] = self.host
        env.update(extra or {})
        return env

    def run(
        self, command: Sequence[str], *, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a command against this engine, capturing its output."""
        done = subprocess.run(
            list(command),
            input=input,
            capture_output=True,
            text=True,
            env=self.environment(),
        )
        if check and done.returncode != 0:
            raise BenchError(
                f"`{' '.join(command)}` failed:\n{(done.stderr or done.stdout)[-2000:]}"
            )
        return done

    def docker(self, *args: str, check: bool = True) -> str:
        return self.run(["docker", *args], check=check).stdout

    def build(self, command: Sequence[str]) -> Build:
        """Run a build command (one that prints `--progress plain`), timing it."""
        started = time.perf_counter()
        done = subprocess.run(
            list(command),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.environment({"BUILDKIT_PROGRESS": "plain"}),
        )
        seconds = time.perf_counter() - started
        return Build(seconds, done.returncode, done.stdout, progress.parse(done.stdout))

    def prune_build_cache(self) -> None:
        """Drop every build cache record (cache mounts too); images stay."""
        self.docker("builder", "prune", "-af")

    def has_image(self, image: str) -> bool:
        return self.run(["docker", "image", "inspect", image], check=False).returncode == 0

    def image_bytes(self, image: str) -> int:
        return int(self.docker("image", "inspect", "-f", "{{.Size}}", image))

    def remove_image(self, image: str) -> None:
        self.run(["docker", "image", "rm", "-f", image], check=False)

    def in_container(self, image: str, script: str, *args: str, user: str | None = None) -> str:
        """Standard output of `sh -c script args...` in a fresh container of `image`."""
        command = ["docker", "run", "--rm", "--network", "none"]
        command += ["--user", user] if user else []
        command += ["--entrypoint", "/bin/sh", image, "-c", script, "sh", *args]
        return self.run(command).stdout

    def describe(self) -> dict[str, str]:
        """Engine and BuildKit versions, storage, for the report's header."""
        info = {
            "engine": self.docker("version", "-f", "{{.Server.Version}}", check=False).strip(),
            "storage": self.docker("info", "-f", "{{.Driver}}", check=False).strip(),
            # `<module path> <version> <revision>`: the version alone
            "buildx": [*self.docker("buildx", "version", check=False).split(), "?", "?"][1],
        }
        inspect = self.docker("buildx", "inspect", check=False)
        found = re.search(r"(?im)^\s*BuildKit(?: version)?:\s*(\S+)", inspect)
        info["buildkit"] = found.group(1) if found else "unknown"
        return info
