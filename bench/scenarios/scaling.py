"""How render time grows with the input (bench/scale.py): for each family of inputs, the
render of the largest size, with the growth exponent fitted over the doubling sizes in
the note (1 is linear, 2 quadratic)."""

from __future__ import annotations

from ..harness import Harness
from ..results import Row
from ..scale import SCENARIOS, measure_scenario
from ..stats import Sample


def scaling(h: Harness) -> list[Row]:
    """One row per input family: the largest size's render time, and how it grew."""
    rows = []
    for name, scenario in SCENARIOS.items():
        found = measure_scenario(scenario, repeat=max(h.repeat, 1))
        points = found["points"]
        if not points:
            continue
        largest = points[-1]
        note = (
            f"{largest['size']:,} {scenario.unit}; time grows as size^{found['time_exponent']}, "
            f"output as size^{found['size_exponent']} "
            f"({'linear' if found['linear'] else 'NOT linear'})"
        )
        if found["error"]:
            note += f"; stopped: {found['error']}"
        rows.append(
            Row(
                "scale",
                name,
                scenario.what,
                Sample.of([largest["seconds"]], "s"),
                note,
                (),
                {"linear": 1.0 if found["linear"] else 0.0},
            )
        )
    return rows
