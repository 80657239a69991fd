"""The scenarios of the suite, in the order they run: name → (function, what it measures).

Each takes the Harness and returns rows (results.Row); one that cannot run here raises
harness.NotMeasured saying why.
"""

from __future__ import annotations

from collections.abc import Callable

from ..harness import Harness
from ..results import Row
from . import builds, cache_import, frontend, installers, render, scaling, sizes, startup

Scenario = Callable[[Harness], list[Row]]

SCENARIOS: dict[str, tuple[Scenario, str]] = {
    "cold": (builds.cold, "cold builds, build cache pruned before each"),
    "edit": (builds.edit, "rebuild after editing one requirements file"),
    "add": (builds.add, "rebuild after adding a PYENV line"),
    "noop": (builds.noop, "no-op rebuilds"),
    "size": (sizes.sizes, "image, interpreter and environment sizes"),
    "installers": (installers.uv_vs_pip, "uv vs pip on a warm cache"),
    "imported-cache": (cache_import.imported_cache, "cold build importing exported cache"),
    "frontend": (frontend.overhead, "frontend overhead on a cached build"),
    "render": (render.render_time, "render time, 20 and 1,000 lines"),
    "startup": (startup.import_time, "`import pandas` with and without bytecode"),
    "scale": (scaling.scaling, "render time against input size, up to 1,000 stages or 1 MB"),
}
