"""Dockerfile text → instructions that remember their lines.

dockerfile-parse does the reading (continuation lines, comments, the escape directive);
this layer adds what it lacks: parser directives other than escape, and heredocs, whose
body lines it would otherwise report as instructions.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass

from dockerfile_parse import DockerfileParser
from dockerfile_parse.util import WordSplitter

from .errors import SourceRange

# BuildKit recognises these at the top of a file, before any other line.
_DIRECTIVE = re.compile(r"^#\s*(syntax|escape|check)\s*=\s*(.*?)\s*$", re.IGNORECASE)
# A heredoc word as BuildKit's parser sees it: <<EOF, <<-EOF, <<"EOF", 3<<'EOF'.
_HEREDOC_WORD = re.compile(r"^\d*<<(-?)([\"']?)([^\"'<]+)\2$")
_HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})


@dataclass(frozen=True)
class Directive:
    """A parser directive such as `# syntax=...`."""

    name: str
    value: str
    line: int  # 0-based


@dataclass(frozen=True)
class Instruction:
    """One instruction; `start`/`end` are 0-based line indexes, heredoc bodies included,
    and `head_end` is its last line before any heredoc body."""

    keyword: str
    value: str
    start: int
    end: int
    head_end: int


@dataclass(frozen=True)
class ParsedDockerfile:
    """A Dockerfile split into lines, directives and instructions (comments dropped)."""

    filename: str
    lines: tuple[str, ...]
    directives: tuple[Directive, ...]
    instructions: tuple[Instruction, ...]

    def where(self, instruction: Instruction) -> SourceRange:
        """The 1-based line range of `instruction`, for error messages."""
        return SourceRange(self.filename, instruction.start + 1, instruction.end + 1)

    def source(self, instruction: Instruction) -> str:
        """The instruction's original text."""
        return "".join(self.lines[instruction.start : instruction.end + 1])


def split_lines(text: str) -> tuple[str, ...]:
    """Split on newlines only, keeping them, the way dockerfile-parse counts lines."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return tuple(lines)


def parse(text: str, filename: str = "Dockerfile") -> ParsedDockerfile:
    """Parse Dockerfile `text`; `filename` is only used to name it in messages."""
    lines = split_lines(text)
    structure = _structure(text)
    instructions: list[Instruction] = []
    skip_until = -1  # last line of the heredoc bodies seen so far
    for item in structure:
        if item["instruction"] == "COMMENT" or item["startline"] <= skip_until:
            continue
        keyword, value = item["instruction"], item["value"]
        head_end = end = item["endline"]
        if keyword in _HEREDOC_INSTRUCTIONS:
            end = _heredoc_end(lines, value, head_end)
            skip_until = end
        instructions.append(Instruction(keyword, value, item["startline"], end, head_end))
    return ParsedDockerfile(filename, lines, _directives(lines), tuple(instructions))


def _structure(text: str) -> list[dict]:
    # dockerfile-parse logs at ERROR on I/O problems only; in-memory input has none.
    logging.getLogger("dockerfile_parse").setLevel(logging.CRITICAL)
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8")), env_replace=False)
    return parser.structure


def _directives(lines: tuple[str, ...]) -> tuple[Directive, ...]:
    found = []
    for index, line in enumerate(lines):
        match = _DIRECTIVE.match(line.rstrip("\r\n"))
        if not match:
            break
        found.append(Directive(match.group(1).lower(), match.group(2), index))
    return tuple(found)


def heredoc_terminators(value: str) -> list[tuple[str, bool]]:
    """The heredocs an instruction opens, in order: (terminator, strips leading tabs)."""
    try:
        words = list(WordSplitter(value).split(dequote=False))
    except Exception:  # unbalanced quotes: BuildKit will report them
        return []
    found = []
    for word in words:
        match = _HEREDOC_WORD.match(word)
        if match:
            found.append((match.group(3), match.group(1) == "-"))
    return found


def _heredoc_end(lines: tuple[str, ...], value: str, end: int) -> int:
    """The last line of the heredoc bodies that follow line `end`, or `end` if none."""
    for terminator, strip_tabs in heredoc_terminators(value):
        index = end + 1
        while index < len(lines):
            text = lines[index].rstrip("\r\n")
            if (text.lstrip("\t") if strip_tabs else text) == terminator:
                break
            index += 1
        end = min(index, len(lines) - 1)
    return end
