"""The benchmark report judges issue 7's targets on the rows of one run."""

from __future__ import annotations

from bench.results import Results, Row
from bench.stats import Sample
from bench.targets import judge


def _noop_verdicts(cli: float, rendered: float, plain: float = 0.14) -> dict[str, str]:
    results = Results()
    results.add(
        [
            Row("noop", "plain", "plain Dockerfile", Sample.of([plain], "s")),
            Row("noop", "image-uv", "via the CLI", Sample.of([cli], "s"), "",
                (("noop", "plain"),)),
            Row("noop", "rendered", "rendered, built directly", Sample.of([rendered], "s"), "",
                (("noop", "plain"),)),
        ]
    )  # fmt: skip
    (verdicts,) = [v for target, v in judge(results) if target.text.startswith("No-op")]
    return {verdict.target: verdict.state for verdict in verdicts}


def test_noop_is_judged_through_the_cli_and_for_the_rendered_file():
    assert _noop_verdicts(cli=0.42, rendered=0.16) == {
        "via the CLI: no-op rebuild": "missed",
        "rendered, built directly: no-op rebuild": "met",
    }
    assert _noop_verdicts(cli=0.16, rendered=0.2) == {
        "via the CLI: no-op rebuild": "met",
        "rendered, built directly: no-op rebuild": "missed",
    }
