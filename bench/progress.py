"""What a build did, read from BuildKit's `--progress plain` output: which steps ran,
which came from the cache, and how long each took."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_LINE = re.compile(r"^#(\d+) (.*)$")
_HEADER = re.compile(r"^\[(?P<where>[^\]]*)\] (?P<command>.*)$")
_POSITION = re.compile(r"^(?P<stage>.*?) *\d+/\d+$")  # `stage 2/5`, or ` 2/5` in a 1-stage file
_DONE = re.compile(r"^DONE (\d+(?:\.\d+)?)s$")


@dataclass
class Step:
    """One vertex of the build: `[stage n/m] COMMAND`, with what became of it."""

    number: int
    stage: str
    command: str
    cached: bool = False
    seconds: float | None = None
    failed: bool = False
    output: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"[{self.stage}] {self.command}"

    @property
    def ran(self) -> bool:
        """True when the step was executed rather than taken from the cache. A stage's
        FROM only resolves its image; it is never counted."""
        if self.command.startswith("FROM "):
            return False
        return not self.cached and (self.seconds is not None or self.failed)


def parse(output: str) -> list[Step]:
    """The steps of a build's plain progress output, in the order they first appear.
    Internal vertices (`[internal] ...`, exporting, loading metadata) are left out."""
    steps: dict[int, Step] = {}
    for line in output.splitlines():
        match = _LINE.match(line.rstrip())
        if not match:
            continue
        number, text = int(match.group(1)), match.group(2)
        step = steps.get(number)
        if step is None:
            header = _HEADER.match(text)
            if header and header.group("where") != "internal":
                where = header.group("where").strip()
                position = _POSITION.match(where)
                stage = position.group("stage") if position else where
                steps[number] = Step(number, stage, header.group("command"))
            continue
        if text == "CACHED":
            step.cached = True
        elif done := _DONE.match(text):
            step.seconds = float(done.group(1))
        elif text.startswith(("ERROR", "CANCELED")):
            step.failed = True
        else:
            step.output.append(text)
    return list(steps.values())


def matching(steps: Iterable[Step], pattern: re.Pattern[str]) -> list[Step]:
    """The steps whose `[stage] COMMAND` matches `pattern` (re.search)."""
    return [step for step in steps if pattern.search(step.name)]


def printing(steps: Iterable[Step], pattern: re.Pattern[str]) -> list[Step]:
    """The steps that ran and printed a line matching `pattern` (re.search)."""
    return [
        step for step in steps if step.ran and any(pattern.search(line) for line in step.output)
    ]
