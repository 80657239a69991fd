"""Instructions → build stages, each knowing the image it ultimately starts from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dockerfile_parse.util import WordSplitter

from .buildargs import expand
from .dockerfile import Instruction, ParsedDockerfile
from .errors import PyenvError


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
    """The stages of `dockerfile` (instructions before the first FROM belong to none)."""
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


def root_of(stage: Stage, stages: tuple[Stage, ...]) -> Root:
    """The external image (and platform) at the start of `stage`'s chain of parents."""
    while stage.parent is not None:
        stage = stages[stage.parent]
    return Root(stage.base, stage.platform)


def ancestors(stage: Stage, stages: tuple[Stage, ...]) -> list[Stage]:
    """The stages `stage` is built on, nearest first."""
    found = []
    while stage.parent is not None:
        stage = stages[stage.parent]
        found.append(stage)
    return found


def _parse_from(
    dockerfile: ParsedDockerfile, instruction: Instruction
) -> tuple[str, str | None, str | None]:
    words = list(WordSplitter(instruction.value).split(dequote=False))
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
