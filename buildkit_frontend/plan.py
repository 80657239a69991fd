"""PYENV specs → the helper stages to add and what each PYENV line becomes.

Each distinct interpreter (image the stage chain starts from, platform, version) gets
one stage, each venv one stage built on it, so independent parts build in parallel and
a changed requirements file rebuilds only its venv.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Union

from . import defaults
from .buildargs import resolve
from .builder import builder_root
from .directive import PyenvSpec, parse_pyenv
from .dockerfile import Instruction, ParsedDockerfile, parse
from .errors import PyenvError
from .options import RenderOptions
from .stages import Root, Stage, ancestors, root_of, split_stages

_ONBUILD_PYENV = re.compile(rf"^\s*{defaults.KEYWORD}\b", re.IGNORECASE)


@dataclass(frozen=True)
class InterpreterStage:
    """Helper stages that fetch (`source_name`) and build (`name`) one CPython."""

    name: str
    source_name: str
    root: Root
    version: str
    sha256: str | None
    first: PyenvSpec  # the first line that asked for it


@dataclass(frozen=True)
class VenvStage:
    """A helper stage that builds one venv on an interpreter stage."""

    name: str
    interpreter: InterpreterStage
    spec: PyenvSpec


@dataclass(frozen=True)
class ManifestStage:
    """A helper stage that merges the records of a user stage's environments (its own and
    those of the stages it is built on) into the image manifest."""

    name: str
    interpreter: InterpreterStage  # any interpreter: the merge runs on it
    venvs: tuple[VenvStage, ...]


HelperStage = Union[InterpreterStage, VenvStage, ManifestStage]


@dataclass(frozen=True)
class Expansion:
    """What one PYENV line becomes in the user's stage."""

    instruction: Instruction
    venv: VenvStage
    copy_interpreter: bool  # False when the stage (or one it is built on) has it already
    manifest: ManifestStage | None  # on the stage's last PYENV line
    requirements_sha256: str | None  # when the build context could be read


@dataclass(frozen=True)
class Plan:
    """Everything render needs: the input, helper stages by the user stage they precede,
    and the expansion of every PYENV line by its first line."""

    dockerfile: ParsedDockerfile
    stages: tuple[Stage, ...]
    helpers: Mapping[int, tuple[HelperStage, ...]]
    expansions: Mapping[int, Expansion]
    build_args: Mapping[str, str]
    notes: tuple[str, ...] = ()  # worth telling the user, though not an error

    @property
    def environments(self) -> list[PyenvSpec]:
        """Every environment, in Dockerfile order."""
        return [self.expansions[line].venv.spec for line in sorted(self.expansions)]

    def stage_of(self, spec: PyenvSpec) -> Stage:
        """The user stage a PYENV line sits in."""
        line = spec.where.start - 1
        return next(s for s in reversed(self.stages) if s.from_instruction.start < line)


def make_plan(dockerfile: ParsedDockerfile, options: RenderOptions) -> Plan:
    """Validate every PYENV line of `dockerfile` and decide the helper stages."""
    global_args, stages = _global_args_and_stages(dockerfile, options)
    digests: dict[str, str] = {}
    specs = {
        stage.index: _stage_specs(dockerfile, stage, global_args, options, digests)
        for stage in stages
    }
    _check_names(stages, specs)
    checksums = _checksums(specs)

    taken = {stage.name for stage in stages if stage.name}
    interpreters: dict[tuple[str, str | None, str], InterpreterStage] = {}
    helpers: dict[int, list[HelperStage]] = {}
    expansions: dict[int, Expansion] = {}
    has_interpreter: dict[int, set[tuple[str, str | None, str]]] = {}
    venvs_of: dict[int, list[VenvStage]] = {}  # a stage's environments, inherited ones first
    builders: dict[Root, Root] = {}
    notes: list[str] = []
    for stage in stages:
        root = root_of(stage, stages)
        if specs[stage.index] and root.base.lower() == "scratch":
            first = specs[stage.index][0][1]
            raise PyenvError(
                f"PYENV needs a base image with a shell and apt-get; "
                f"{stage.label} starts FROM scratch",
                first.where,
                first.source,
            )
        inherited = set().union(
            *(has_interpreter.get(s.index, set()) for s in ancestors(stage, stages))
        )
        present = has_interpreter.setdefault(stage.index, set(inherited))
        if specs[stage.index] and root not in builders:
            builders[root], note = builder_root(
                root, global_args, options, specs[stage.index][0][1]
            )
            if note:
                notes.append(note)
        parent_venvs = venvs_of.get(stage.parent, []) if stage.parent is not None else []
        chain = venvs_of.setdefault(stage.index, list(parent_venvs))
        lines: list[tuple[Instruction, VenvStage, bool]] = []
        for instruction, spec in specs[stage.index]:
            builder = builders[root]
            key = (builder.base, builder.platform, spec.version)
            interpreter = interpreters.get(key)
            if interpreter is None:
                name = _unique(f"pyenv-python-{spec.version}", taken)
                source_name = _unique(f"{name}-source", taken)
                sha256 = checksums.get(spec.version)
                interpreter = InterpreterStage(
                    name, source_name, builder, spec.version, sha256, spec
                )
                interpreters[key] = interpreter
                helpers.setdefault(stage.index, []).append(interpreter)
            venv = VenvStage(_unique(f"pyenv-venv-{spec.name.lower()}", taken), interpreter, spec)
            helpers.setdefault(stage.index, []).append(venv)
            chain.append(venv)
            lines.append((instruction, venv, key not in present))
            present.add(key)
        if not lines:
            continue
        manifest = ManifestStage(
            _unique("pyenv-manifest", taken), lines[-1][1].interpreter, tuple(chain)
        )
        helpers[stage.index].append(manifest)
        for instruction, venv, copy_interpreter in lines:
            last = instruction is lines[-1][0]
            digest = digests.get(venv.spec.requirements or "")
            expansions[instruction.start] = Expansion(
                instruction, venv, copy_interpreter, manifest if last else None, digest
            )

    ordered = {index: tuple(sorted(group, key=_kind_order)) for index, group in helpers.items()}
    build_args = {
        name: options.build_args.get(name, global_args.get(name, default))
        for name, default in defaults.BUILD_ARG_DEFAULTS.items()
    }
    return Plan(dockerfile, stages, ordered, expansions, build_args, tuple(notes))


def _global_args_and_stages(
    dockerfile: ParsedDockerfile, options: RenderOptions
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
    global_args = resolve(preamble, options.build_args)
    _, stages = split_stages(dockerfile, global_args)
    return global_args, stages


def _stage_specs(
    dockerfile: ParsedDockerfile,
    stage: Stage,
    global_args: Mapping[str, str],
    options: RenderOptions,
    digests: dict[str, str],
) -> list[tuple[Instruction, PyenvSpec]]:
    variables = dict(global_args)
    found = []
    for instruction in stage.instructions:
        if instruction.keyword == "ARG":
            variables.update(resolve([instruction], options.build_args, variables))
        elif instruction.keyword == defaults.KEYWORD:
            where, source = dockerfile.where(instruction), dockerfile.source(instruction)
            spec = parse_pyenv(instruction.value, where, source, variables)
            digest = _requirements_digest(spec, options)
            if digest:
                digests[spec.requirements or ""] = digest
            found.append((instruction, spec))
    return found


def _requirements_digest(spec: PyenvSpec, options: RenderOptions) -> str | None:
    """The SHA-256 of the requirements file; an error if the context lacks it."""
    if not spec.requirements or options.context_file is None:
        return None
    data = options.context_file(spec.requirements)
    if data is None:
        raise PyenvError(
            f"requirements file {spec.requirements!r} is not in {options.context_label}",
            spec.where,
            spec.source,
            "paths are relative to the build context, as for COPY",
        )
    return hashlib.sha256(data).hexdigest()


def _check_names(
    stages: tuple[Stage, ...], specs: Mapping[int, list[tuple[Instruction, PyenvSpec]]]
) -> None:
    """A name or venv path may appear once in a stage and the stages it is built on."""
    for stage in stages:
        seen: dict[str, PyenvSpec] = {}
        chain = [*reversed(ancestors(stage, stages)), stage]
        for spec in (spec for s in chain for _, spec in specs[s.index]):
            for key, what in ((spec.name.lower(), "venv name"), (spec.venv_path, "venv path")):
                earlier = seen.get(key)
                if earlier is not None and earlier is not spec:
                    value = spec.name if what == "venv name" else spec.venv_path
                    raise PyenvError(
                        f"{what} {value!r} is already used by {earlier.where}",
                        spec.where,
                        spec.source,
                        "each environment in a stage needs its own name and path"
                        + (" (names are compared ignoring case)" if what == "venv name" else ""),
                    )
                seen[key] = spec


def _checksums(specs: Mapping[int, list[tuple[Instruction, PyenvSpec]]]) -> dict[str, str]:
    """The --sha256 of each exact version; two lines must not disagree on one."""
    by_version: dict[str, PyenvSpec] = {}
    for _, spec in (item for group in specs.values() for item in group):
        if spec.sha256 is None:
            continue
        earlier = by_version.setdefault(spec.version, spec)
        if earlier.sha256 != spec.sha256:
            raise PyenvError(
                f"--sha256 for Python {spec.version} differs from the one at {earlier.where}",
                spec.where,
                spec.source,
            )
    return {version: spec.sha256 for version, spec in by_version.items() if spec.sha256}


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name}-{number}"
    taken.add(candidate)
    return candidate


def _kind_order(stage: HelperStage) -> int:
    """Interpreters, then venvs, then the manifest; otherwise in order of first use."""
    return (InterpreterStage, VenvStage, ManifestStage).index(type(stage))


def plan_dockerfile(text: str, filename: str, options: RenderOptions) -> Plan:
    """Parse and plan Dockerfile `text` in one step."""
    return make_plan(parse(text, filename), options)
