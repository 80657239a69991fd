"""What a run measured: one row per figure and subject, each with the rows (of the same
run, on the same engine) it is compared with."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from .stats import Sample

#: The figures, in the order the report shows them: key → title.
FIGURES = {
    "cold": "cold build (build cache pruned)",
    "edit": "rebuild after editing one requirements file",
    "noop": "no-op rebuild",
    "add": "rebuild after adding a PYENV line",
    "size": "size added to the base image",
    "interpreter-size": "size of each interpreter",
    "environment-size": "size of each environment",
    "install": "install time on a warm cache (3 environments, sum of the install steps)",
    "imported-cache": "cold build from an imported cache (second engine)",
    "frontend": "cached build, three ways in",
    "render": "render time",
    "startup": "`import pandas` as the task user (astro)",
    "scale": "render time of the largest input, and its growth (exponent 1 = linear)",
}


@dataclass
class Row:
    """One measured figure for one subject (a variant, or a way of doing something).

    `compare` lists the (figure, subject) of the rows this one is a ratio of; `counts`
    holds what the targets need besides the sample (steps rerun, compiles, ...).
    """

    figure: str
    subject: str
    label: str
    sample: Sample
    note: str = ""
    compare: tuple[tuple[str, str], ...] = ()
    counts: dict[str, float] = field(default_factory=dict)


@dataclass
class Results:
    """The rows of a run, and what could not be measured (scenario → why)."""

    rows: list[Row] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, rows: list[Row]) -> None:
        self.rows.extend(rows)

    def get(self, figure: str, subject: str) -> Row | None:
        for row in self.rows:
            if (row.figure, row.subject) == (figure, subject):
                return row
        return None

    def ratios(self, row: Row) -> Iterator[tuple[Row, float]]:
        """Each baseline row of `row` that was measured, with row's ratio to it."""
        for figure, subject in row.compare:
            baseline = self.get(figure, subject)
            if baseline is not None:
                yield baseline, row.sample.ratio(baseline.sample)

    def ratio(self, row: Row | None, figure: str, subject: str) -> float | None:
        """row's ratio to the row (figure, subject), when both were measured."""
        baseline = self.get(figure, subject)
        if row is None or baseline is None:
            return None
        return row.sample.ratio(baseline.sample)
