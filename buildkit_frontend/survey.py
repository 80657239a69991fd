"""The first pass over a Dockerfile: its PYENV lines read and checked as a whole, and
what planning will need from outside (build-context files, facts about base images).

Pure: text and build arguments in, a Survey out. Nothing is read from the context or an
engine here; `facts.gather` fetches exactly what `Survey.needs` names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import defaults, rules
from .buildargs import expand, resolve
from .dockerfile import Instruction, ParsedDockerfile, parse
from .errors import PyenvError
from .pyenv_grammar import PyenvSpec, parse_pyenv
from .settings import BuildSettings, resolve_settings
from .stages import Stage, root_of, split_stages

_ONBUILD_PYENV = re.compile(rf"^\s*{defaults.KEYWORD}\b", re.IGNORECASE)

#: The facts an image can be asked for.
IMAGE_CONFIG = "config"  # its config: ONBUILD triggers
OS_RELEASE = "os-release"  # its /etc/os-release: the Debian release


@dataclass(frozen=True)
class Needs:
    """What planning reads from outside the Dockerfile."""

    #: Context paths the PYENV lines name themselves (requirements files, lock projects,
    #: --apt-file); the files those name are found while gathering.
    context_paths: tuple[str, ...] = ()
    #: Base images (as the build resolves their names) and which facts of each.
    images: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Survey:
    """A Dockerfile's PYENV lines, validated on their own and together, and its needs."""

    dockerfile: ParsedDockerfile
    build_args: Mapping[str, str]
    global_args: Mapping[str, str]
    stages: tuple[Stage, ...]
    #: The PYENV lines of each stage with any, by stage index, in Dockerfile order.
    specs: Mapping[int, tuple[tuple[Instruction, PyenvSpec], ...]]
    settings: BuildSettings
    #: The interpreter provider of each Python version ("image" or "source").
    providers: Mapping[str, str]
    #: The --sha256 of each exact version that has one.
    checksums: Mapping[str, str]
    needs: Needs

    @property
    def environments(self) -> list[PyenvSpec]:
        """Every PYENV line's spec, in Dockerfile order."""
        return [spec for index in sorted(self.specs) for _, spec in self.specs[index]]


def survey(dockerfile: ParsedDockerfile, build_args: Mapping[str, str]) -> Survey:
    """Read and check every PYENV line of `dockerfile`; say what planning needs."""
    global_args, stages = _global_args_and_stages(dockerfile, build_args)
    specs = {
        stage.index: found
        for stage in stages
        if (found := _stage_specs(dockerfile, stage, global_args, build_args))
    }
    rules.check_names(stages, specs)
    settings = resolve_settings(build_args, global_args)
    providers = rules.providers(specs, settings)
    checksums = rules.checksums(specs)
    needs = _needs(stages, specs, global_args, settings, providers)
    return Survey(
        dockerfile, build_args, global_args, stages, specs, settings, providers, checksums, needs
    )


def survey_text(text: str, filename: str, build_args: Mapping[str, str]) -> Survey:
    """Parse Dockerfile `text` and survey it."""
    return survey(parse(text, filename), build_args)


def _needs(
    stages: tuple[Stage, ...],
    specs: Mapping[int, tuple[tuple[Instruction, PyenvSpec], ...]],
    global_args: Mapping[str, str],
    settings: BuildSettings,
    providers: Mapping[str, str],
) -> Needs:
    paths: dict[str, None] = {}
    images: dict[str, set[str]] = {}
    for index, found in specs.items():
        for _, spec in found:
            paths.update(dict.fromkeys(p for p in (spec.requirements, spec.apt_file) if p))
        root = root_of(stages[index], stages)
        image = expand(root.base, global_args, strict=False)
        if image.lower() == "scratch":
            continue  # an error when planned
        if settings.builder_image is None:
            # Whether the base has ONBUILD triggers decides where helper stages start.
            images.setdefault(image, set()).add(IMAGE_CONFIG)
        if settings.release is None and any(providers[s.version] == "image" for _, s in found):
            # The image provider copies CPython out of the official image of the base's
            # Debian release; the builder image is the one the interpreter runs on.
            builder = settings.builder_image or image
            images.setdefault(builder, set()).add(OS_RELEASE)
    return Needs(tuple(paths), {image: frozenset(want) for image, want in images.items()})


def _global_args_and_stages(
    dockerfile: ParsedDockerfile, build_args: Mapping[str, str]
) -> tuple[dict[str, str], tuple[Stage, ...]]:
    first_from = next((i for i in dockerfile.instructions if i.keyword == "FROM"), None)
    preamble_end = first_from.start if first_from else len(dockerfile.lines)
    for instruction in dockerfile.instructions:
        if instruction.keyword == defaults.KEYWORD and instruction.start < preamble_end:
            raise PyenvError(
                "PYENV must come after a FROM: it adds an environment to that stage",
                dockerfile.where(instruction),
                dockerfile.source(instruction),
            )
        if instruction.keyword == "ONBUILD" and _ONBUILD_PYENV.match(instruction.value):
            raise PyenvError(
                "ONBUILD PYENV is not supported: the image that runs the trigger would "
                "need this frontend",
                dockerfile.where(instruction),
                dockerfile.source(instruction),
                "put the PYENV line in the Dockerfile that builds FROM this image",
            )
    preamble = tuple(i for i in dockerfile.instructions if i.start < preamble_end)
    global_args = resolve(preamble, build_args, dockerfile=dockerfile)
    return global_args, split_stages(dockerfile, global_args)


def _stage_specs(
    dockerfile: ParsedDockerfile,
    stage: Stage,
    global_args: Mapping[str, str],
    build_args: Mapping[str, str],
) -> tuple[tuple[Instruction, PyenvSpec], ...]:
    """The PYENV lines of `stage`, each read with the ARGs in scope at its line."""
    variables = dict(global_args)
    found = []
    for instruction in stage.instructions:
        if instruction.keyword == "ARG":
            variables.update(resolve([instruction], build_args, variables, dockerfile=dockerfile))
        elif instruction.keyword == defaults.KEYWORD:
            where, source = dockerfile.where(instruction), dockerfile.source(instruction)
            spec = parse_pyenv(instruction.value, where, source, variables, instruction.escape)
            found.append((instruction, spec))
    return tuple(found)
