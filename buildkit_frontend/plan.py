"""PYENV specs → the helper stages to add and what each PYENV line becomes.

Each distinct interpreter (image the stage chain starts from, platform, version) gets
one stage, each venv one stage built on it, so independent parts build in parallel and
a changed requirements file rebuilds only its venv.
"""

from __future__ import annotations

import dataclasses
import hashlib
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Union

from . import defaults
from .base_os import BaseOS
from .buildargs import expand, resolve
from .dockerfile import Instruction, ParsedDockerfile, parse
from .errors import PyenvError
from .helper_base import builder_root
from .options import RenderOptions
from .pyenv_grammar import PyenvSpec, nested_error, parse_pyenv
from .requirements import (
    ContextPath,
    RequirementsFiles,
    RequirementsProblem,
    collect,
    package_list,
)
from .settings import BuildSettings, resolve_settings
from .stages import Root, Stage, root_of, split_stages

_ONBUILD_PYENV = re.compile(rf"^\s*{defaults.KEYWORD}\b", re.IGNORECASE)


@dataclass(frozen=True)
class InterpreterStage:
    """Helper stages that provide one CPython under PYENV_ROOT (`name`, what the image
    gets), from a stage (`source_name`) that either fetches its source or is the official
    image it is copied out of.

    The image provider has a third stage, `build_name`: the interpreter copied and usable
    for building venvs, before its finishing (library paths, stdlib bytecode) in `name`,
    so that venv installs do not wait for the finishing and run beside it."""

    name: str
    source_name: str
    build_name: str  # the stage venv, uv and manifest stages build on
    root: Root
    version: str
    provider: str  # "image" or "source"
    python_image: str | None  # the image provider's official image
    sha256: str | None
    first: PyenvSpec  # the first line that asked for it

    @property
    def stage_count(self) -> int:
        """How many stages the interpreter renders to (for renumbering the user's)."""
        return 3 if self.provider == "image" else 2


@dataclass(frozen=True)
class UvStage:
    """A helper stage with the uv binary at /uv: installed from PyPI with an interpreter
    of the build, or copied out of a uv image."""

    name: str
    root: Root
    interpreter: InterpreterStage  # the PyPI install runs on it
    version: str
    image: str | None  # set: copy uv out of this image instead
    stage_count: ClassVar[int] = 1


@dataclass(frozen=True)
class VenvStage:
    """A helper stage that builds one venv on an interpreter stage."""

    name: str
    interpreter: InterpreterStage
    spec: PyenvSpec
    installer: str  # "uv" or "pip"
    uv: UvStage | None  # with the uv installer
    #: The context paths the install reads (the requirements file first, then what it
    #: names); just the requirements file when the context could not be read.
    context_paths: tuple[ContextPath, ...] = ()
    #: The BuildKit secrets its install step mounts (PYENV_SECRETS).
    secrets: tuple[str, ...] = ()
    stage_count: ClassVar[int] = 1


@dataclass(frozen=True)
class ManifestStage:
    """A helper stage that merges the records of a user stage's environments into the
    manifest of the stage it is built on (`parent`, whose manifest already holds those of
    the stages before it), or into the base image's own manifest. One stage's merge reads
    one manifest and its own records: a chain of stages costs linear time and text."""

    name: str
    interpreter: InterpreterStage  # any interpreter: the merge runs on it
    venvs: tuple[VenvStage, ...]  # the user stage's own environments
    parent: ManifestStage | None  # the manifest of the stages it is built on, if any
    stage_count: ClassVar[int] = 1


@dataclass(frozen=True)
class ScriptsStage:
    """A helper stage holding the scripts the other helper stages run, each once, as
    files: a step mounts its script from here instead of carrying the text. A cached
    build's time grows with the text of its steps (BuildKit sends every step's command
    to the client as its name): 109 KB of steps took 1.9x a plain Dockerfile's no-op
    build, the same scripts mounted from here 1.4x. The first helper stage."""

    name: str
    stage_count: ClassVar[int] = 1


HelperStage = Union[ScriptsStage, InterpreterStage, UvStage, VenvStage, ManifestStage]


@dataclass(frozen=True)
class Expansion:
    """What one PYENV line becomes in the user's stage."""

    instruction: Instruction
    venv: VenvStage
    # Copied into the stage at this line: on a stage's first PYENV line, each interpreter
    # the stage (or one it is built on) lacks, so that the venv layers come after all of
    # them and an edited venv changes the layers after its own, never an interpreter's.
    interpreters: tuple[InterpreterStage, ...]
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
    def scripts(self) -> ScriptsStage | None:
        """The scripts stage, among the helpers when there are any."""
        return next(
            (h for g in self.helpers.values() for h in g if isinstance(h, ScriptsStage)), None
        )

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
    files: dict[str, RequirementsFiles] = {}
    specs = {
        stage.index: _stage_specs(dockerfile, stage, global_args, options, digests, files)
        for stage in stages
    }
    _check_names(stages, specs)
    settings = resolve_settings(options.build_args, global_args)
    providers = _providers(specs, settings)
    planner = _Planner(
        stages, global_args, options, settings, providers, _checksums(specs), digests, files
    )
    for found in files.values():
        planner.notes.extend(note for note in found.warnings if note not in planner.notes)
    for stage in stages:
        planner.add_stage(stage, specs[stage.index])
    ordered = {
        index: tuple(sorted(group, key=_kind_order)) for index, group in planner.helpers.items()
    }
    first = next((index for index in sorted(ordered) if ordered[index]), None)
    if first is not None:  # before every helper stage that mounts from it
        ordered[first] = (ScriptsStage(planner._unique("pyenv-scripts")), *ordered[first])
    notes = tuple(planner.notes)
    return Plan(dockerfile, stages, ordered, planner.expansions, settings.source_args, notes)


_InterpreterKey = tuple[str, Union[str, None], str, str]  # builder, platform, version, provider


class _Planner:
    """Walks the stages in order, sharing interpreters and inheriting environments."""

    def __init__(
        self,
        stages: tuple[Stage, ...],
        global_args: Mapping[str, str],
        options: RenderOptions,
        settings: BuildSettings,
        providers: Mapping[str, str],
        checksums: Mapping[str, str],
        digests: Mapping[str, str],
        files: Mapping[str, RequirementsFiles],
    ) -> None:
        self.stages = stages
        self.global_args = global_args
        self.options = options
        self.settings = settings
        self.providers = providers
        self.checksums = checksums
        self.digests = digests
        self.files = files
        self.taken = {stage.name for stage in stages if stage.name}
        self.next_number: dict[str, int] = {}
        self.interpreters: dict[_InterpreterKey, InterpreterStage] = {}
        self.builders: dict[Root, Root] = {}
        self.uv_stages: dict[Root, UvStage] = {}
        self.base_os: dict[str, BaseOS] = {}
        self.helpers: dict[int, list[HelperStage]] = {}
        self.expansions: dict[int, Expansion] = {}
        self.notes: list[str] = []
        # What each stage has, its parents' included: interpreters, and the manifest.
        self.has_interpreter: dict[int, set[_InterpreterKey]] = {}
        self.manifest_of: dict[int, ManifestStage | None] = {}

    def add_stage(self, stage: Stage, specs: list[tuple[Instruction, PyenvSpec]]) -> None:
        """Plan the PYENV lines of one stage (stages come in Dockerfile order)."""
        parent = stage.parent
        present = self.has_interpreter[stage.index] = set(self.has_interpreter.get(parent, ()))
        inherited = self.manifest_of[stage.index] = self.manifest_of.get(parent)
        own: list[VenvStage] = []
        if not specs:
            return
        builder = self._builder(stage, specs[0][1])
        self.helpers[stage.index] = []
        lines: list[tuple[Instruction, VenvStage]] = []
        copied: list[InterpreterStage] = []
        for instruction, spec in specs:
            provider = self.providers[spec.version]
            # By the image it names, so FROM ${BASE} and FROM <that image> share one
            # interpreter; its FROM keeps the reference, so a later --build-arg still
            # gives helper stages and the user's stage the same base.
            image = expand(builder.base, self.global_args, strict=False)
            key = (image, builder.platform, spec.version, provider)
            interpreter = self.interpreters.get(key) or self._new_interpreter(key, stage, spec)
            installer = spec.installer or self.settings.installer
            uv = self._uv(stage, interpreter) if installer == "uv" else None
            name = self._unique(f"pyenv-venv-{spec.name.lower()}")
            found = self.files.get(spec.requirements or "")
            paths = found.paths if found else ()
            if spec.requirements and not paths:
                paths = _lock_paths(spec) if spec.lock else (ContextPath(spec.requirements),)
            if spec.lock and installer != "uv":
                raise PyenvError(
                    f"{spec.requirements} is a lock file that only uv installs, and this line "
                    "uses pip",
                    spec.where,
                    spec.source,
                    "drop --installer=pip (or PYENV_INSTALLER=pip) for this line",
                )
            if spec.apt_file and all(p.path != spec.apt_file for p in paths):
                paths = (*paths, ContextPath(spec.apt_file))
            venv = VenvStage(name, interpreter, spec, installer, uv, paths, self.settings.secrets)
            self.helpers[stage.index].append(venv)
            own.append(venv)
            lines.append((instruction, venv))
            if key not in present:
                copied.append(interpreter)
            present.add(key)
        manifest = ManifestStage(self._unique("pyenv-manifest"), interpreter, tuple(own), inherited)
        self.manifest_of[stage.index] = manifest
        self.helpers[stage.index].append(manifest)
        for instruction, venv in lines:
            first, last = instruction is lines[0][0], instruction is lines[-1][0]
            self.expansions[instruction.start] = Expansion(
                instruction,
                venv,
                tuple(copied) if first else (),
                manifest if last else None,
                self.digests.get(venv.spec.requirements or ""),
            )

    def _builder(self, stage: Stage, first: PyenvSpec) -> Root:
        """The image the stage's helper stages start from."""
        root = root_of(stage, self.stages)
        if expand(root.base, self.global_args, strict=False).lower() == "scratch":
            raise PyenvError(
                f"PYENV needs a base image with a shell and apt-get; "
                f"{stage.label} starts FROM scratch",
                first.where,
                first.source,
            )
        if root not in self.builders:
            self.builders[root], note = builder_root(
                root, self.global_args, self.options, first, self.settings.builder_image
            )
            if note:
                self.notes.append(note)
        return self.builders[root]

    def _new_interpreter(
        self, key: _InterpreterKey, stage: Stage, spec: PyenvSpec
    ) -> InterpreterStage:
        _, platform, version, provider = key
        root = Root(self.builders[root_of(stage, self.stages)].base, platform)
        name = self._unique(f"pyenv-python-{version}")
        if provider == "image":
            source_name = self._unique(f"{name}-image")
            build_name = self._unique(f"{name}-copy")
            python_image = self._python_image(root, version, spec)
        else:
            source_name, python_image = self._unique(f"{name}-source"), None
            build_name = name
        interpreter = InterpreterStage(
            name,
            source_name,
            build_name,
            root,
            version,
            provider,
            python_image,
            self.checksums.get(version) if provider == "source" else None,
            spec,
        )
        self.interpreters[key] = interpreter
        self.helpers[stage.index].append(interpreter)
        return interpreter

    def _python_image(self, root: Root, version: str, spec: PyenvSpec) -> str:
        """The official image of the base's Debian release that has CPython `version`."""
        release = self.settings.release
        if release is None:
            image = expand(root.base, self.global_args, strict=False)
            if image not in self.base_os:
                lookup = self.options.base_os
                self.base_os[image] = (
                    lookup(image) if lookup else BaseOS(unknown_because="nothing was looked up")
                )
            found = self.base_os[image]
            release = found.debian_release
            if release is None:
                why = found.unknown_because or (
                    f"it is {found.os_id or 'not Debian'} {found.codename or ''}".rstrip()
                    + ", not Debian"
                )
                raise PyenvError(
                    f"cannot tell which Debian release {image} is ({why}), so not which "
                    f"{self.settings.python_image}:{version}-slim-<release> image to copy "
                    "CPython from",
                    spec.where,
                    spec.source,
                    f"pass --build-arg {defaults.RELEASE_ARG}=<release> (bookworm, trixie...) "
                    "for a Debian base, or use --provider=source to build CPython on it",
                )
        return f"{self.settings.python_image}:{version}-slim-{release}"

    def _uv(self, stage: Stage, interpreter: InterpreterStage) -> UvStage:
        """The uv stage of the interpreter's root (uv is a binary of its platform)."""
        root = interpreter.root
        if root not in self.uv_stages:
            uv = UvStage(
                self._unique("pyenv-uv"),
                root,
                interpreter,
                self.settings.uv_version,
                self.settings.uv_image,
            )
            self.uv_stages[root] = uv
            self.helpers[stage.index].append(uv)
        return self.uv_stages[root]

    def _unique(self, name: str) -> str:
        """`name`, or `name-2`, `name-3`...: never a stage name already used. The next
        number to try is kept per name, so n stages with one name cost n steps."""
        number = self.next_number.get(name, 1)
        candidate = name if number == 1 else f"{name}-{number}"
        while candidate in self.taken:
            number += 1
            candidate = f"{name}-{number}"
        self.next_number[name] = number + 1
        self.taken.add(candidate)
        return candidate


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
    return global_args, split_stages(dockerfile, global_args)


def _stage_specs(
    dockerfile: ParsedDockerfile,
    stage: Stage,
    global_args: Mapping[str, str],
    options: RenderOptions,
    digests: dict[str, str],
    files: dict[str, RequirementsFiles],
) -> list[tuple[Instruction, PyenvSpec]]:
    variables = dict(global_args)
    found = []
    for instruction in stage.instructions:
        if instruction.keyword == "ARG":
            variables.update(resolve([instruction], options.build_args, variables))
        elif instruction.keyword == defaults.KEYWORD:
            where, source = dockerfile.where(instruction), dockerfile.source(instruction)
            spec = _locked_project(
                parse_pyenv(instruction.value, where, source, variables), options
            )
            digest = _requirements_digest(spec, options)
            if digest:
                digests[spec.requirements or ""] = digest
                if spec.requirements not in files:
                    files[spec.requirements or ""] = (
                        RequirementsFiles(_lock_paths(spec))
                        if spec.lock
                        else _requirements_files(spec, options)
                    )
            _check_apt_file(spec, options)
            found.append((instruction, spec))
    return found


def _requirements_digest(spec: PyenvSpec, options: RenderOptions) -> str | None:
    """The SHA-256 of the requirements file; an error if the context lacks it."""
    if not spec.requirements or options.context_file is None:
        return None
    data = _context_file(spec, options, spec.requirements, "requirements file")
    return hashlib.sha256(data).hexdigest()


def _context_file(spec: PyenvSpec, options: RenderOptions, path: str, what: str) -> bytes:
    """The bytes of a context file the line of `spec` names; an error at that line when
    the build cannot see it (options.context_file is set)."""
    assert options.context_file is not None
    data = options.context_file(path)
    if data is None:
        raise PyenvError(
            f"{what} {path!r} is not in {options.context_label}",
            spec.where,
            spec.source,
            "paths are relative to the build context, as for COPY",
        )
    return data


def _requirements_files(spec: PyenvSpec, options: RenderOptions) -> RequirementsFiles:
    """Every context path the requirements file of `spec` reads; errors at its line."""
    assert spec.requirements and options.context_file is not None
    try:
        return collect(spec.requirements, options.context_file, options.context_dir)
    except RequirementsProblem as problem:
        raise PyenvError(problem.message, spec.where, spec.source, problem.hint) from None


def _locked_project(spec: PyenvSpec, options: RenderOptions) -> PyenvSpec:
    """`spec`, with a uv project directory it names taken as that project's uv.lock; an
    error for a uv.lock without its pyproject.toml."""
    read, is_dir = options.context_file, options.context_dir
    if not spec.requirements or read is None:
        return spec
    if read(spec.requirements) is None and is_dir is not None and is_dir(spec.requirements):
        lock = posixpath.join(spec.requirements, "uv.lock")
        if read(lock) is None:
            raise PyenvError(
                f"{spec.requirements!r} is a directory without a uv.lock",
                spec.where,
                spec.source,
                "name a requirements file, a pylock.toml, or a uv project directory "
                "(pyproject.toml and uv.lock: run `uv lock` there)",
            )
        spec = dataclasses.replace(spec, requirements=posixpath.normpath(lock))
    if spec.lock == "uv.lock":
        project = posixpath.join(posixpath.dirname(spec.requirements or ""), "pyproject.toml")
        if read(spec.requirements or "") is not None and read(posixpath.normpath(project)) is None:
            raise PyenvError(
                f"{spec.requirements} has no pyproject.toml beside it in {options.context_label}",
                spec.where,
                spec.source,
                "a uv.lock belongs to a uv project: name the project's directory or its uv.lock",
            )
    return spec


def _lock_paths(spec: PyenvSpec) -> tuple[ContextPath, ...]:
    """What a locked environment copies: a uv project's whole directory (its package
    sources with it), or the pylock.toml alone."""
    if spec.lock == "uv.lock":
        return (ContextPath(posixpath.dirname(spec.requirements or "") or ".", directory=True),)
    return (ContextPath(spec.requirements or ""),)


def _check_apt_file(spec: PyenvSpec, options: RenderOptions) -> None:
    """The --apt-file of `spec` is in the context and lists Debian package names."""
    if spec.apt_file is None or options.context_file is None:
        return
    data = _context_file(spec, options, spec.apt_file, "--apt-file")
    try:
        package_list(data.decode("utf-8", "replace"), spec.apt_file)
    except RequirementsProblem as problem:
        raise PyenvError(problem.message, spec.where, spec.source, problem.hint) from None


def _check_names(
    stages: tuple[Stage, ...], specs: Mapping[int, list[tuple[Instruction, PyenvSpec]]]
) -> None:
    """A name or venv path may appear once in a stage and the stages it is built on, and
    no venv may lie inside another's there.

    Walks the tree of stages depth first with one scope of what the stages above have,
    undoing each stage's entries on the way back, so a chain of n stages costs n steps,
    not n squared. Of several faults, the one at the earliest line is reported."""
    children: dict[int | None, list[Stage]] = {}
    for stage in stages:
        children.setdefault(stage.parent, []).append(stage)
    scope: dict[tuple[str, str], PyenvSpec] = {}  # ("name"|"path"|"below", key) -> spec
    faults: list[PyenvError] = []
    # Items: a stage to enter, or the entries of a stage to undo when leaving it.
    walk: list[Stage | list[tuple[tuple[str, str], PyenvSpec | None]]] = list(
        reversed(children.get(None, []))
    )
    while walk:
        item = walk.pop()
        if isinstance(item, list):
            for key, previous in reversed(item):
                if previous is None:
                    del scope[key]
                else:
                    scope[key] = previous
            continue
        undo: list[tuple[tuple[str, str], PyenvSpec | None]] = []
        for _, spec in specs[item.index]:
            fault = _scope_fault(scope, spec)
            if fault is not None:
                faults.append(fault)
                continue
            for key in _scope_keys(spec):
                if key not in scope:
                    undo.append((key, None))
                    scope[key] = spec
        walk.append(undo)
        walk.extend(reversed(children.get(item.index, [])))
    if faults:
        raise min(faults, key=lambda fault: fault.where.start if fault.where else 0)


def _scope_keys(spec: PyenvSpec) -> list[tuple[str, str]]:
    """What `spec` claims in its stage chain: its name, its path, the directories above."""
    keys = [("name", spec.name.lower()), ("path", spec.venv_path)]
    parent = posixpath.dirname(spec.venv_path)
    while parent != "/":
        keys.append(("below", parent))
        parent = posixpath.dirname(parent)
    return keys


def _scope_fault(scope: Mapping[tuple[str, str], PyenvSpec], spec: PyenvSpec) -> PyenvError | None:
    """The error for `spec` against what the stage chain above it already has."""
    for kind, key, what in (
        ("name", spec.name.lower(), "venv name"),
        ("path", spec.venv_path, "venv path"),
    ):
        earlier = scope.get((kind, key))
        if earlier is not None and earlier is not spec:
            value = spec.name if kind == "name" else spec.venv_path
            return PyenvError(
                f"{what} {value!r} is already used by {earlier.where}",
                spec.where,
                spec.source,
                "each environment in a stage needs its own name and path"
                + (" (names are compared ignoring case)" if kind == "name" else ""),
            )
    around = scope.get(("below", spec.venv_path))  # an earlier venv inside this one
    if around is not None:
        return nested_error(around, spec)
    parent = posixpath.dirname(spec.venv_path)
    while parent != "/":  # an earlier venv this one is inside
        outer = scope.get(("path", parent))
        if outer is not None:
            return nested_error(spec, outer)
        parent = posixpath.dirname(parent)
    return None


def _providers(
    specs: Mapping[int, list[tuple[Instruction, PyenvSpec]]], settings: BuildSettings
) -> dict[str, str]:
    """The provider of each version: one for all lines that name it, since both would
    install into PYENV_ROOT/versions/<version>."""
    chosen: dict[str, PyenvSpec] = {}
    every = [spec for group in specs.values() for _, spec in group]
    for spec in every:
        if spec.provider is None:
            continue
        earlier = chosen.setdefault(spec.version, spec)
        if earlier.provider != spec.provider:
            raise PyenvError(
                f"Python {spec.version} comes from --provider={spec.provider} here but from "
                f"--provider={earlier.provider} at {earlier.where} (--sha256 means source)",
                spec.where,
                spec.source,
                "one version has one provider in a build: give both lines the same",
            )
    return {
        spec.version: chosen[spec.version].provider if spec.version in chosen else settings.provider
        for spec in every
    }


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


def _kind_order(stage: HelperStage) -> int:
    """Interpreters, uv, venvs, then the manifest; otherwise in order of first use."""
    return (ScriptsStage, InterpreterStage, UvStage, VenvStage, ManifestStage).index(type(stage))


def context_files_named(text: str, filename: str, build_args: Mapping[str, str]) -> list[str]:
    """The build-context files the PYENV lines name themselves (requirements files, lock
    projects, --apt-file), read from the text alone: what the frontend fetches from the
    context before it plans, so that it plans once with the files at hand."""
    dockerfile = parse(text, filename)
    options = RenderOptions(build_args)
    global_args, stages = _global_args_and_stages(dockerfile, options)
    named: set[str] = set()
    for stage in stages:
        for _, spec in _stage_specs(dockerfile, stage, global_args, options, {}, {}):
            named.update(name for name in (spec.requirements, spec.apt_file) if name)
    return sorted(named)


def plan_dockerfile(text: str, filename: str, options: RenderOptions) -> Plan:
    """Parse and plan Dockerfile `text` in one step."""
    return make_plan(parse(text, filename), options)
