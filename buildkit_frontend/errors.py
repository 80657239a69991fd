"""Errors a user sees: what is wrong, where in the Dockerfile, and what would be right."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SourceRange:
    """Lines of a Dockerfile, 1-based and inclusive, as BuildKit reports them."""

    file: str
    start: int
    end: int

    def __str__(self) -> str:
        return f"{self.file}:{self.start}"


class PyenvError(Exception):
    """A problem with the user's input; shown as one message, never as a traceback.

    It carries where it is (`where`, and `also` for the other lines of a conflict such
    as a duplicate name); the Dockerfile's text is attached where the error is shown
    (`show`, the gateway's errdefs.Source), as BuildKit's parser.WithLocation does."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        where: SourceRange | None = None,
        source: str | None = None,
        hint: str | None = None,
        also: tuple[SourceRange, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.source = source
        self.hint = hint
        self.also = also

    @property
    def ranges(self) -> tuple[SourceRange, ...]:
        """Every range of the Dockerfile the error is about, the main one first."""
        return ((self.where,) if self.where else ()) + self.also

    def show(self, lines: Sequence[str] | None = None) -> str:
        """The message, each range's lines of the Dockerfile (`lines`, its text split
        into lines; without it the main range's own text, if known) and the hint."""
        head = f"{self.where}: {self.message}" if self.where else self.message
        shown = [head]
        for number, at in enumerate(self.ranges):
            if lines is not None and 0 < at.start <= len(lines):
                excerpt = lines[at.start - 1 : at.end]
            elif number == 0 and self.source:
                excerpt = self.source.rstrip("\n").split("\n")
            else:
                continue
            if number:
                shown.append(f"  {at}:")
            for offset, text in enumerate(excerpt):
                shown.append(f"  {at.start + offset:>4} | {text.rstrip()}")
        if self.hint:
            shown.append(f"  hint: {self.hint}")
        return "\n".join(shown)

    def __str__(self) -> str:
        return self.show()


class EngineError(PyenvError):
    """The container engine could not be used or reported a failed build."""
