"""Instructions → build stages, each knowing the image it ultimately starts from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .buildargs import expand, shell_words
from .defaults import KEYWORD
from .dockerfile import BUILDKIT_INSTRUCTIONS, Instruction, ParsedDockerfile
from .errors import PyenvError, SourceRange

_INSTRUCTIONS = (*BUILDKIT_INSTRUCTIONS, KEYWORD)


@dataclass(frozen=True)
class Stage:
    """One FROM and the instructions up to the next one."""

    index: int
    name: str | None  # the AS name, lower-cased as BuildKit compares it
    base: str  # the image as written, ${VARS} and all
    platform: str | None  # the --platform value as written
    parent: int | None  # index of the earlier stage `base` names, if it names one
    from_instruction: Instruction
    instructions: tuple[Instruction, ...]

    @property
    def label(self) -> str:
        """How messages refer to the stage."""
        return f"stage {self.name!r}" if self.name else f"stage {self.index}"


@dataclass(frozen=True)
class Root:
    """The external image a chain of stages starts from, and its platform flag."""

    base: str
    platform: str | None


def split_stages(dockerfile: ParsedDockerfile, global_args: Mapping[str, str]) -> tuple[Stage, ...]:
    """The stages of `dockerfile` (instructions before the first FROM belong to none).

    Fails, as BuildKit would, on an unknown instruction, and on a PYENV line that
    BuildKit reads as part of the instruction above it."""
    check_instructions(dockerfile)
    stages: list[Stage] = []
    current: tuple[Instruction, list[Instruction]] | None = None
    groups: list[tuple[Instruction, list[Instruction]]] = []
    for instruction in dockerfile.instructions:
        if instruction.keyword == "FROM":
            current = (instruction, [])
            groups.append(current)
        elif current is not None:
            current[1].append(instruction)

    names: dict[str, int] = {}
    for index, (from_instruction, body) in enumerate(groups):
        base, platform, name = _parse_from(dockerfile, from_instruction)
        resolved = expand(base, global_args, strict=False).lower()
        stages.append(
            Stage(index, name, base, platform, names.get(resolved), from_instruction, tuple(body))
        )
        if name:
            names[name] = index
    return tuple(stages)


def check_instructions(dockerfile: ParsedDockerfile) -> None:
    """Every instruction is one BuildKit knows, or PYENV; no PYENV line is swallowed by
    the instruction above it through an empty continuation line."""
    for instruction in dockerfile.instructions:
        if instruction.keyword not in _INSTRUCTIONS:
            raise _unknown_instruction(dockerfile, instruction)
        _check_swallowed_pyenv(dockerfile, instruction)


def _unknown_instruction(dockerfile: ParsedDockerfile, instruction: Instruction) -> PyenvError:
    written = instruction.keyword_as_written or instruction.keyword
    message = f"unknown instruction: {written}"
    suggestion = _suggest(written, _INSTRUCTIONS)
    if suggestion:
        message += f" (did you mean {suggestion}?)"
    hint = None
    if instruction.keyword.startswith(KEYWORD):
        hint = f"put a space (not the escape character) between {KEYWORD} and its arguments"
    return PyenvError(message, dockerfile.where(instruction), dockerfile.source(instruction), hint)


def _suggest(value: str, options: tuple[str, ...]) -> str | None:
    """The closest option, at most two edits away, in the case `value` is written in
    (BuildKit's suggest.Search)."""
    best, best_distance = None, 3
    lowered = value.lower()
    for option in options:
        option = option.lower()
        if option == lowered:
            return None
        distance = _levenshtein(lowered, option)
        if distance < best_distance:
            best, best_distance = option, distance
    if best is None or value == value.lower():
        return best
    return best.upper() if value == value.upper() else best


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def _check_swallowed_pyenv(dockerfile: ParsedDockerfile, instruction: Instruction) -> None:
    """A PYENV line after an empty line inside a continued instruction is, to BuildKit,
    more words of that instruction (the empty line is skipped, with a warning)."""
    after_empty = False
    for line in range(instruction.start + 1, instruction.head_end + 1):
        text = dockerfile.lines[line].strip()
        if not text:
            after_empty = True
            continue
        if text.startswith("#"):
            continue
        first = text.split(None, 1)[0]
        if after_empty and first.upper() == KEYWORD:
            start = instruction.start
            raise PyenvError(
                f"the {KEYWORD} line {line + 1} is part of the {instruction.keyword} "
                "instruction above it: an empty line does not end a continued instruction "
                "(BuildKit skips it)",
                SourceRange(dockerfile.filename, start + 1, line + 1),
                "".join(dockerfile.lines[start : line + 1]),
                "end the line before the empty line without the escape character "
                f"({dockerfile.escape})",
            )
        after_empty = False


def root_of(stage: Stage, stages: tuple[Stage, ...]) -> Root:
    """The external image (and platform) at the start of `stage`'s chain of parents."""
    while stage.parent is not None:
        stage = stages[stage.parent]
    return Root(stage.base, stage.platform)


def _parse_from(
    dockerfile: ParsedDockerfile, instruction: Instruction
) -> tuple[str, str | None, str | None]:
    words = shell_words(instruction.value, instruction.escape)
    platform = None
    while words and words[0].startswith("--"):
        key, _, value = words.pop(0)[2:].partition("=")
        if key == "platform":
            platform = value
    if len(words) == 3 and words[1].lower() == "as":
        return words[0], platform, words[2].lower()
    if len(words) == 1:
        return words[0], platform, None
    raise PyenvError(
        "FROM needs an image, optionally followed by AS <name>",
        dockerfile.where(instruction),
        dockerfile.source(instruction),
        "FROM [--platform=<platform>] <image> [AS <name>]",
    )
