"""Render time of Dockerfiles with 20 and 1,000 PYENV lines (four stages, four Python
versions, a requirements file each): the whole command in a new process (start-up,
imports, templates, the engine asked about the base image), against Python's own
start-up; and the render call alone, in this process."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.bed import fixtures

from ..harness import Harness
from ..results import Row
from ..stats import Sample

SIZES = (20, 1000)
VERSIONS = ("3.13", "3.12", "3.11", "3.10")
STAGES = 4


def dockerfile(lines: int) -> str:
    """`lines` PYENV lines over four stages on the bed's astro base, with a build arg."""
    parts = [f"ARG BASE={fixtures.ASTRO_IMAGE}"]
    for stage in range(STAGES):
        parts += [f"FROM ${{BASE}} AS stage{stage}", "RUN true"]
        for number in range(lines // STAGES):
            version = VERSIONS[(stage + number) % len(VERSIONS)]
            parts.append(f"PYENV {version} env{stage}_{number} req{stage}_{number}.txt")
    return "\n".join(parts) + "\n"


def _project(directory: Path, lines: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Dockerfile").write_text(dockerfile(lines))
    for stage in range(STAGES):
        for number in range(lines // STAGES):
            (directory / f"req{stage}_{number}.txt").write_text("six\n")
    return directory / "Dockerfile"


def _command_seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True)
    return time.perf_counter() - started


def _call_seconds(path: Path) -> float:
    """Plan and render in this process, with no engine to ask: the Debian release of the
    base is given, as PYENV_DEBIAN_RELEASE would give it."""

    from buildkit_frontend.plan import plan_dockerfile
    from buildkit_frontend.render import render

    text = path.read_text()
    options = {"PYENV_DEBIAN_RELEASE": "bookworm"}
    started = time.perf_counter()
    render(plan_dockerfile(text, "Dockerfile", options))
    return time.perf_counter() - started


def render_time(h: Harness) -> list[Row]:
    paths = {lines: _project(h.workspace / f"render-{lines}", lines) for lines in SIZES}
    startup = [sys.executable, "-c", "pass"]
    commands = {lines: [*fixtures.CLI, "render", str(path)] for lines, path in paths.items()}
    for command in [startup, *commands.values()]:  # warm the page cache
        _command_seconds(command)
    whole: dict[object, list[float]] = {key: [] for key in ("python", *SIZES)}
    calls: dict[int, list[float]] = {lines: [] for lines in SIZES}
    for _ in range(h.repeat * 5):
        whole["python"].append(_command_seconds(startup))
        for lines in SIZES:
            whole[lines].append(_command_seconds(commands[lines]))
            calls[lines].append(_call_seconds(paths[lines]))
    ms = lambda values: Sample.of((v * 1000 for v in values), "ms")  # noqa: E731
    first, last = SIZES
    return [
        Row("render", "python", "Python start-up alone (`python -c pass`)", ms(whole["python"])),
        Row(
            "render",
            f"cli-{first}",
            f"`buildkit-pyenv render`, {first} lines (new process)",
            ms(whole[first]),
            compare=(("render", "python"),),
        ),
        Row(
            "render",
            f"cli-{last}",
            f"`buildkit-pyenv render`, {last:,} lines (new process)",
            ms(whole[last]),
            compare=(("render", f"cli-{first}"),),
        ),
        Row(
            "render", f"call-{first}", f"render call, {first} lines (in process)", ms(calls[first])
        ),
        Row(
            "render",
            f"call-{last}",
            f"render call, {last:,} lines (in process)",
            ms(calls[last]),
            f"{last // first}x the lines of the {first}-line file",
            (("render", f"call-{first}"),),
        ),
    ]
