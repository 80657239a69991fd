"""docs/benchmarks.md: the run's setup, the table of figures with their ratios, the
targets met or missed, and how each figure is measured."""

from __future__ import annotations

from collections.abc import Mapping

from .results import FIGURES, Results
from .stats import show_ratio
from .targets import MISSED_CAUSE, judge

METHOD = """\
- **The project** ([bench/project/](../bench/project/Dockerfile)): on the bed's stand-in for
  Astronomer's runtime image (`USER astro`), `PYENV 3.13 pandas`, `PYENV 3.13 web` and
  `PYENV 3.11 legacy`, each with pinned requirements (pandas and its dependencies;
  requests and its dependencies; six and attrs). buildkit-pyenv builds it with
  `buildkit-pyenv build <context> --build-arg PYENV_PYTHON_MIRROR=<mirror>
  --build-arg PYENV_PYTHON_PROVIDER=image|source --build-arg PYENV_INSTALLER=uv|pip -t TAG
  --network host`, the mirror being the bed's CPython tarballs served on 127.0.0.1.
- **Baselines**, built from the same context with `docker buildx build`:
  [astro-provider-venv's expansion](../bench/baselines/astro-provider-venv.Dockerfile) (what
  its frontend makes of the three lines, after its README's "gory details"), [a
  hand-written uv multi-stage Dockerfile](../bench/baselines/uv-multistage.Dockerfile) (uv's
  Docker guide style) and [a plain Dockerfile](../bench/baselines/plain.Dockerfile) (the
  base image and one `RUN`). Official images are the bed's local stand-ins.
- **Each figure** is the median of the run's repetitions, with the smallest and largest
  value; figures under a second (no-op rebuilds, cached builds, render, start-up) take
  five times as many repetitions. Variants take turns within each repetition. A ratio
  is the median over the median of a baseline measured in the same run on the same
  engine.
- **Cold build**: `docker builder prune -af` before each build (the build cache and the
  cache mounts go, images stay), so packages are downloaded again.
- **Rebuild after editing one requirements file**: from a built project,
  `requirements/pandas.txt` gains `tabulate==0.9.0` (and a comment no earlier run wrote,
  so no repetition finds the edit cached). Installs and interpreter steps that ran (not
  `CACHED`) are counted from `--progress plain`.
- **No-op rebuild**: the same build again, everything cached; through `buildkit-pyenv
  build` that is the render kept from the build before (README: building an unchanged
  project again).
- **Rebuild after adding a PYENV line**: from a built project, a fourth environment
  (`PYENV 3.13 tools requirements/tools.txt`, or what each baseline makes of it) at the
  end.
- **Sizes**: `docker image inspect` `.Size` minus the base image's; interpreters and
  environments with `du -scb` of their files inside the image (apparent bytes; MB =
  10^6 bytes). Sizes do not vary between runs: measured once.
- **uv vs pip**: from a built project, every requirements file gets a new comment, so
  each environment installs again from a warm package cache; the figure is the sum of
  the three install steps' times from `--progress plain`.
- **Cold build from an imported cache**: on the bed's second engine (containerd image
  store, so the default builder exports cache), one cold build with `--cache-to
  type=local,mode=max`; then, each repetition, as on a fresh CI runner, the images built
  are removed and the engine's build cache is pruned, and the project is built with
  `--cache-from` that directory, against the uv Dockerfile's cold build on that engine.
- **CPython compiles** are the steps that print `buildkit-pyenv: building CPython`; they
  ran side by side when their step times add up to more than the build's wall time.
- **Frontend overhead**: cached builds of the project three ways: the rendered
  Dockerfile, `buildkit-pyenv build`, and `# syntax=` the frontend image.
- **`import pandas`**: a first import in a fresh container as `astro`, timed inside the
  container, in the image as built and in the same image with the venv's `__pycache__`
  directories removed (astro cannot write them, so each start compiles again).
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write(results: Results, setup: Mapping[str, str]) -> str:
    """The whole document."""
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); every figure below comes from one "
        "run on one machine. Do not edit by hand: run it again.",
        "",
    ]
    lines += [f"- **{name}**: {value}" for name, value in setup.items()]
    lines += ["", "## Figures", ""]
    lines += [
        "| Figure | Built | Median | Min - max | Ratio to a baseline of this run | Notes |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for figure, title in FIGURES.items():
        rows = [row for row in results.rows if row.figure == figure]
        for index, row in enumerate(rows):
            ratios = "; ".join(
                f"{show_ratio(ratio)} {baseline.label}" for baseline, ratio in results.ratios(row)
            )
            if not row.compare:
                ratios = "baseline"
            cells = [
                title if index == 0 else "",
                row.label,
                row.sample.show(),
                row.sample.spread(),
                ratios or "— (its baseline was not measured)",
                row.note,
            ]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines += ["", "## Targets (issue 7)", ""]
    for target, verdicts in judge(results):
        if not verdicts:
            lines.append(f"- *not measured in this run*: {target.text}.")
            continue
        for verdict in verdicts:
            line = f"- **{verdict.state}**: {verdict.target}: {verdict.detail}."
            if verdict.state != "met":
                line += f" {MISSED_CAUSE}"
            lines.append(line)
    if results.skipped or results.notes:
        lines += ["", "## Not measured, and notes", ""]
        lines += [f"- `{name}`: not measured: {why}" for name, why in results.skipped.items()]
        lines += [f"- {note}" for note in results.notes]
    lines += ["", "## How each figure is measured", "", METHOD]
    return "\n".join(lines).rstrip("\n") + "\n"
