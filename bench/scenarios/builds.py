"""Build times of the project: cold, after an edit, no-op, after adding an environment.

Variants take turns within each repetition, so a drift of the machine (another build,
a slow package index) spreads over all of them instead of favouring one.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from tests.bed import fixtures

from .. import progress, variants
from ..engine import Build
from ..harness import Harness, nonce
from ..results import Row
from ..stats import Sample
from ..variants import Variant

#: Who is measured in each figure (those the run selects and can build).
BUILT = ("astro", "uv", "image-uv", "source-uv")
COLD = (*BUILT, "image-uv-index")
NOOP = ("plain", "astro", "uv", "image-uv", "source-uv")
#: buildkit-pyenv is compared with both hand-made baselines; they with nothing.
_BASELINES = ("astro", "uv")


def _compare(figure: str, variant: Variant) -> tuple[tuple[str, str], ...]:
    return tuple((figure, key) for key in _BASELINES) if variant.is_pyenv else ()


def _seconds(builds: list[Build]) -> Sample:
    return Sample.of((build.seconds for build in builds), "s")


def _steps_note(variant: Variant, builds: list[Build]) -> tuple[str, dict[str, float]]:
    """How many installs and interpreter steps ran (the most over the repetitions), and
    the slowest steps of the median build."""
    installs = max(len(build.ran(variant.pattern("install"))) for build in builds)
    interpreter = max(len(build.ran(variant.pattern("interpreter"))) for build in builds)
    total = len(variants.ENVIRONMENTS)
    note = f"{installs} of {total} installs ran, {interpreter} interpreter steps ran; "
    return note + slowest(median_build(builds)), {
        "installs": installs,
        "interpreter_steps": interpreter,
    }


def slowest(build: Build, count: int = 3) -> str:
    """`slowest steps: [stage] RUN 12.3 s, ...` of a build, for reading a cause."""
    steps = sorted((s for s in build.steps if s.ran), key=lambda s: -(s.seconds or 0))
    shown = [
        f"[{step.stage or 'final'}] {step.command.split()[0]} {step.seconds or 0:.1f} s"
        for step in steps[:count]
    ]
    return "slowest steps: " + ", ".join(shown) if shown else "no step ran"


def _compiles(variant: Variant, builds: list[Build]) -> tuple[str, dict[str, float]]:
    """CPython compiles in the build of median time, and whether they overlapped: their
    step times add up to more than the build's wall-clock time only if they did."""
    if not variant.is_pyenv:
        return "", {}
    middle = median_build(builds)
    steps = progress.printing(middle.steps, variant.pattern("compile"))
    if not steps:
        return "; no CPython compile", {"compiles": 0, "parallel": 1}
    busy = sum(step.seconds or 0 for step in steps)
    parallel = len(steps) == 1 or busy > middle.seconds
    times = " + ".join(f"{step.seconds or 0:.0f} s" for step in steps)
    how = "side by side" if parallel else "one after another"
    note = f"; {len(steps)} CPython compiles ({times}) {how} in {middle.seconds:.0f} s"
    return note, {"compiles": len(steps), "parallel": int(parallel)}


def cold(h: Harness) -> list[Row]:
    """Each build starts from a pruned build cache (cache mounts too); images stay."""
    chosen = h.variants(COLD)
    runs: dict[str, list[Build]] = {v.key: [] for v in chosen}
    for _ in range(h.repeat):
        for variant in chosen:
            context = h.context(variant)
            h.engine.prune_build_cache()
            runs[variant.key].append(h.build(variant, context, what="cold build"))
    rows = []
    for variant in chosen:
        note, counts = _steps_note(variant, runs[variant.key])
        extra, compiles = _compiles(variant, runs[variant.key])
        rows.append(
            Row(
                "cold",
                variant.key,
                variant.title,
                _seconds(runs[variant.key]),
                note + extra,
                _compare("cold", variant),
                {**counts, **compiles},
            )
        )
    return rows


def _rebuilds(
    h: Harness, change: Callable[[Any, str], None], before: str, after: str
) -> tuple[list[Variant], dict[str, list[Build]]]:
    """Each variant built, changed by `change(context, nonce)`, and rebuilt (timed),
    taking turns within each repetition."""
    chosen = h.variants(BUILT)
    runs: dict[str, list[Build]] = {v.key: [] for v in chosen}
    for _ in range(h.repeat):
        for variant in chosen:
            context = h.context(variant)
            h.build(variant, context, what=before)
            change(context, nonce())
            runs[variant.key].append(h.build(variant, context, what=after))
    return chosen, runs


def edit(h: Harness) -> list[Row]:
    """From a built project, one requirements file gains a package; the rebuild is timed
    and its install and interpreter steps that ran are counted."""
    chosen, runs = _rebuilds(
        h,
        lambda context, mark: context.edit_requirements(mark),
        "build before the edit",
        "rebuild after an edit",
    )
    rows = []
    for variant in chosen:
        note, counts = _steps_note(variant, runs[variant.key])
        rows.append(
            Row(
                "edit",
                variant.key,
                variant.title,
                _seconds(runs[variant.key]),
                f"{variants.EDITED} gains {variants.EDIT_LINE}; {note}",
                _compare("edit", variant),
                counts,
            )
        )
    return rows


def add(h: Harness) -> list[Row]:
    """From a built project, a fourth environment (3.13, one package) is added at the
    end of the Dockerfile."""
    chosen, runs = _rebuilds(
        h,
        lambda context, mark: context.add_environment(mark),
        "build before adding an environment",
        "rebuild with a new line",
    )
    rows = []
    for variant in chosen:
        builds = runs[variant.key]
        installs = max(len(build.ran(variant.pattern("install"))) for build in builds)
        interpreter = max(len(build.ran(variant.pattern("interpreter"))) for build in builds)
        rows.append(
            Row(
                "add",
                variant.key,
                variant.title,
                _seconds(builds),
                f"{installs} installs ran, {interpreter} interpreter steps ran; "
                + slowest(median_build(builds)),
                _compare("add", variant),
                {"installs": installs, "interpreter_steps": interpreter},
            )
        )
    return rows


def noop(h: Harness) -> list[Row]:
    """Rebuilds of an unchanged, fully cached project; buildkit-pyenv's also as the
    rendered Dockerfile built directly, to tell rendering from building."""
    chosen = h.variants(NOOP)
    commands = {}
    for variant in chosen:
        context = h.context(variant)
        commands[variant.key] = h.command(variant, context)
        h.build(variant, context, what="build before the no-op rebuilds")
    rendered = _rendered_command(h)
    if rendered:
        h.engine.build(rendered).ok("build of the rendered Dockerfile")
        commands["rendered"] = rendered
    times: dict[str, list[float]] = {key: [] for key in commands}
    for _ in range(h.repeat * 5):
        for key, command in commands.items():
            times[key].append(h.engine.build(command).ok("no-op rebuild").seconds)
    rows = []
    for variant in chosen:
        compare = () if variant.key == "plain" else (("noop", "plain"),)
        rows.append(
            Row("noop", variant.key, variant.title, Sample.of(times[variant.key], "s"), "", compare)
        )
    if rendered:
        rows.append(
            Row(
                "noop",
                "rendered",
                "buildkit-pyenv's rendered Dockerfile, built directly (no render step)",
                Sample.of(times["rendered"], "s"),
                "the image provider's render, as the frontend hands it to the daemon",
                (("noop", "plain"),),
            )
        )
    return rows


def _rendered_command(h: Harness) -> list[str] | None:
    """`docker buildx build` of the project rendered with the first buildkit-pyenv
    variant's settings (None when no such variant is measured)."""
    chosen = [v for v in h.variants(("image-uv", "source-uv"))]
    if not chosen:
        return None
    variant = chosen[0]
    context = h.context(variant)
    rendered = context.directory / "rendered.Dockerfile"
    render = [*fixtures.CLI, "render", str(context.dockerfile), "-o", str(rendered)]
    render += ["--build-arg", f"PYENV_PYTHON_MIRROR={h.mirror_url}"]
    for name, value in (variant.settings or {}).items():
        render += ["--build-arg", f"{name}={value}"]
    h.engine.run(render)
    return [
        "docker", "buildx", "build", "-f", str(rendered), "-t", variants.tag(variant, "rendered"),
        "--network", "host", "--progress", "plain", str(context.directory),
    ]  # fmt: skip


def median_build(builds: list[Build]) -> Build:
    """The build of median duration."""
    middle = statistics.median_low([build.seconds for build in builds])
    return next(build for build in builds if build.seconds == middle)
