"""Repeated measurements: a sample's median, minimum and maximum, and ratios between
samples taken in the same run."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

#: How each unit is printed: suffix, and the number's format by its size.
_UNITS = {"s": " s", "ms": " ms", "MB": " MB", "": ""}


def _number(value: float) -> str:
    """Three significant figures or so: 191 s, 18.9 s, 0.15 s."""
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


@dataclass(frozen=True)
class Sample:
    """The values one figure took over the repetitions of a run, in `unit`."""

    values: tuple[float, ...]
    unit: str

    @classmethod
    def of(cls, values: Iterable[float], unit: str) -> Sample:
        values = tuple(values)
        if not values:
            raise ValueError("a sample needs at least one value")
        return cls(values, unit)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    def ratio(self, baseline: Sample) -> float:
        """This sample's median over the baseline's (both in the same unit)."""
        if self.unit != baseline.unit:
            raise ValueError(f"cannot compare {self.unit} with {baseline.unit}")
        return self.median / baseline.median if baseline.median else float("inf")

    def show(self, value: float | None = None) -> str:
        """The median (or `value`) with its unit, e.g. `18.90 s`."""
        suffix = _UNITS.get(self.unit, f" {self.unit}")
        return _number(self.median if value is None else value) + suffix

    def spread(self) -> str:
        """`min - max`, or `(1 run)` when there was only one."""
        if len(self.values) == 1:
            return "(1 run)"
        return f"{self.show(self.low)} - {self.show(self.high)}"


def timed(call: Callable[[], T]) -> tuple[float, T]:
    """Run `call` once; returns (seconds it took, its result)."""
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def show_ratio(value: float) -> str:
    """A ratio as `0.48x`."""
    return f"{value:.2f}x" if value < 100 else f"{value:.0f}x"
