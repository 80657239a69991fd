"""bench/scale.py's scenarios are valid Dockerfiles and its fit reads growth right (no
timing is asserted: the figures are for the report)."""

from __future__ import annotations

import pytest

from bench import scale


def test_exponent_of_exact_powers():
    assert scale.exponent([(n, 3 * n) for n in (1, 2, 4, 8)]) == pytest.approx(1.0)
    assert scale.exponent([(n, n * n) for n in (10, 20, 40)]) == pytest.approx(2.0)
    assert scale.exponent([(10, 1.0)]) is None
    assert scale.exponent([(10, 1.0), (10, 2.0)]) is None


@pytest.mark.parametrize("name", list(scale.SCENARIOS))
def test_every_scenario_renders_and_reports_its_shape(name):
    small = scale.Scenario("small", "units", scale.SCENARIOS[name].make, (4, 8))
    measured = scale.measure_scenario(small, repeat=1)
    assert measured["error"] is None and measured["complete"]
    assert [p["size"] for p in measured["points"]] == [4, 8]
    assert all(p["output_bytes"] > p["input_bytes"] for p in measured["points"])
    assert isinstance(measured["size_exponent"], float)


def test_the_largest_sizes_are_the_issues():
    assert scale.SCENARIOS["chained_stages"].sizes[-1] == 1000
    assert scale.SCENARIOS["run_line"].sizes[-1] == 1024 * 1024
    result = scale.measure_scale(["pyenv_lines"], repeat=1)
    assert set(result) == {"scenarios", "linear_bound"}
    assert result["scenarios"]["pyenv_lines"]["unit"] == "PYENV lines"
