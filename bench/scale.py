"""How render time and output size grow with the input: scenarios as plain functions.

Each scenario renders a family of Dockerfiles whose size doubles from one to the next
(stages, PYENV lines, or the bytes of one word) in this process, with no engine to ask,
and fits the growth exponent k of `cost ~ size**k` on a log-log scale: 1 is linear, 2
quadratic. `measure_scale()` runs them all and returns plain data for the report:

    {"scenarios": {"chained_stages": {"what": ..., "unit": "stages",
                                      "points": [{"size": 125, "plan_seconds": ...,
                                                  "render_seconds": ..., "seconds": ...,
                                                  "output_bytes": ...}, ...],
                                      "time_exponent": 1.02, "size_exponent": 1.0,
                                      "linear": True, "error": None}, ...},
     "linear_bound": 1.3}

The largest sizes are the issue's: 1,000 stages, 1,000 PYENV lines, a 1 MB RUN line. A
scenario that is still quadratic today stops doubling once one render takes longer than
`budget_seconds`, so the whole run stays within a minute or so.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

#: An exponent up to this counts as linear (timing noise and constant costs bend the fit).
LINEAR_BOUND = 1.3
#: The base image of every scenario; its Debian release is given, so no engine is asked.
BASE = "debian:bookworm"
BUILD_ARGS = {"PYENV_DEBIAN_RELEASE": "bookworm"}
MB = 1024 * 1024


def chained_stages(stages: int) -> str:
    """`stages` stages, each built FROM the one before, each with one environment (a
    stage's image holds its ancestors' environments too)."""
    parts = [f"FROM {BASE} AS s0", "PYENV 3.12 e0"]
    for index in range(1, stages):
        parts += [f"FROM s{index - 1} AS s{index}", f"PYENV 3.12 e{index}"]
    return "\n".join(parts) + "\n"


def independent_stages(stages: int) -> str:
    """`stages` stages FROM the same base, one environment each (one interpreter)."""
    parts = []
    for index in range(stages):
        parts += [f"FROM {BASE} AS s{index}", f"PYENV 3.12 e{index}"]
    return "\n".join(parts) + "\n"


def pyenv_lines(lines: int) -> str:
    """One stage with `lines` environments on four Python versions."""
    versions = ("3.13", "3.12", "3.11", "3.10")
    parts = [f"FROM {BASE}"]
    parts += [f"PYENV {versions[i % 4]} e{i}" for i in range(lines)]
    return "\n".join(parts) + "\n"


def run_line(size: int) -> str:
    """A RUN line holding one word of `size` bytes, before a PYENV line."""
    return f"FROM {BASE}\nRUN echo {'x' * size}\nPYENV 3.12 e\n"


def run_words(size: int) -> str:
    """A RUN line of `size` bytes in short words, quotes and flags, before a PYENV line."""
    chunk = 'a "b c" --mount=from=0 '
    return f"FROM {BASE} AS a\nFROM {BASE}\nRUN echo {chunk * (size // len(chunk))}\nPYENV 3.12 e\n"


def arg_default(size: int) -> str:
    """A global ARG whose default is one word of `size` bytes (every ARG is resolved)."""
    return f"ARG LONG={'x' * size}\nFROM {BASE}\nPYENV 3.12 e\n"


def pyenv_word(size: int) -> str:
    """A PYENV line whose requirements file name is one word of `size` bytes."""
    return f"FROM {BASE}\nPYENV 3.12 e {'r' * size}.txt\n"


@dataclass(frozen=True)
class Scenario:
    what: str
    unit: str
    make: Callable[[int], str]
    sizes: tuple[int, ...]


SCENARIOS = {
    "chained_stages": Scenario(
        "stages each FROM the one before, one PYENV line each",
        "stages",
        chained_stages,
        (125, 250, 500, 1000),
    ),
    "independent_stages": Scenario(
        "stages FROM one base, one PYENV line each",
        "stages",
        independent_stages,
        (125, 250, 500, 1000),
    ),
    "pyenv_lines": Scenario(
        "PYENV lines in one stage", "PYENV lines", pyenv_lines, (125, 250, 500, 1000)
    ),
    "run_line": Scenario(
        "one RUN word of this many bytes", "bytes", run_line, (MB // 8, MB // 4, MB // 2, MB)
    ),
    "run_words": Scenario(
        "a RUN line of this many bytes in words",
        "bytes",
        run_words,
        (MB // 8, MB // 4, MB // 2, MB),
    ),
    "arg_default": Scenario(
        "a global ARG default of this many bytes",
        "bytes",
        arg_default,
        (MB // 16, MB // 8, MB // 4, MB // 2, MB),
    ),
    "pyenv_word": Scenario(
        "a PYENV requirements file name of this many bytes",
        "bytes",
        pyenv_word,
        (MB // 16, MB // 8, MB // 4, MB // 2, MB),
    ),
}


def render_once(text: str) -> dict[str, float | int]:
    """Plan and render `text` once: the seconds of each step and the output's size."""

    from buildkit_frontend.plan import plan_dockerfile
    from buildkit_frontend.render import render

    options = dict(BUILD_ARGS)
    started = time.perf_counter()
    plan = plan_dockerfile(text, "Dockerfile", options)
    planned = time.perf_counter()
    output = render(plan).text
    done = time.perf_counter()
    return {
        "plan_seconds": planned - started,
        "render_seconds": done - planned,
        "seconds": done - started,
        "output_bytes": len(output.encode("utf-8")),
    }


def exponent(points: list[tuple[float, float]]) -> float | None:
    """The least-squares slope of log(cost) over log(size): k in cost ~ size**k."""
    usable = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len(usable) < 2:
        return None
    mean_x = sum(x for x, _ in usable) / len(usable)
    mean_y = sum(y for _, y in usable) / len(usable)
    spread = sum((x - mean_x) ** 2 for x, _ in usable)
    if spread == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in usable) / spread


def measure_scenario(
    scenario: Scenario, repeat: int = 3, budget_seconds: float = 10.0
) -> dict[str, object]:
    """Render each size `repeat` times (the fastest counts); stop doubling once one
    render takes longer than `budget_seconds`."""
    from buildkit_frontend.errors import PyenvError

    points: list[dict[str, float | int]] = []
    error = None
    for size in scenario.sizes:
        text = scenario.make(size)
        try:
            runs = [render_once(text)]
            runs += [render_once(text) for _ in range(repeat - 1 if runs[0]["seconds"] < 1 else 0)]
        except PyenvError as failed:
            error = f"size {size}: {failed.message}"
            break
        best = min(runs, key=lambda run: run["seconds"])
        points.append({"size": size, "input_bytes": len(text.encode("utf-8")), **best})
        if best["seconds"] > budget_seconds:
            break
    time_k = exponent([(p["size"], p["seconds"]) for p in points])
    size_k = exponent([(p["size"], p["output_bytes"]) for p in points])
    linear = None
    if time_k is not None and size_k is not None:
        linear = time_k <= LINEAR_BOUND and size_k <= LINEAR_BOUND
    return {
        "what": scenario.what,
        "unit": scenario.unit,
        "points": points,
        "time_exponent": None if time_k is None else round(time_k, 2),
        "size_exponent": None if size_k is None else round(size_k, 2),
        "linear": linear,
        "complete": len(points) == len(scenario.sizes),
        "error": error,
    }


def measure_scale(
    names: list[str] | None = None, repeat: int = 3, budget_seconds: float = 10.0
) -> dict[str, object]:
    """Every scenario (or those named): see the module's docstring for the shape."""
    chosen = names or list(SCENARIOS)
    return {
        "scenarios": {
            name: measure_scenario(SCENARIOS[name], repeat, budget_seconds) for name in chosen
        },
        "linear_bound": LINEAR_BOUND,
    }
