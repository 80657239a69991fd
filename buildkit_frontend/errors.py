"""Errors a user sees: what is wrong, where in the Dockerfile, and what would be right."""

from __future__ import annotations

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
    """A problem with the user's input; shown as one message, never as a traceback."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        where: SourceRange | None = None,
        source: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.source = source
        self.hint = hint

    def __str__(self) -> str:
        head = f"{self.where}: {self.message}" if self.where else self.message
        lines = [head]
        if self.where and self.source:
            for offset, text in enumerate(self.source.rstrip("\n").split("\n")):
                lines.append(f"  {self.where.start + offset:>4} | {text.rstrip()}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


class EngineError(PyenvError):
    """The container engine could not be used or reported a failed build."""
