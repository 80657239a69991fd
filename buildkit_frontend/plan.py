"""PYENV specs → the helper stages to add and what each PYENV line becomes.

Each distinct interpreter (image the stage chain starts from, platform, version) gets
one stage, each venv one stage built on it, so independent parts build in parallel and
a changed requirements file rebuilds only its venv.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Union

from . import defaults
from .base_os import BaseOS
from .buildargs import expand
from .credentials import redacted, token_like_path
from .dockerfile import Instruction, ParsedDockerfile
from .environment_files import EnvironmentFiles, environment_files
from .errors import PyenvError
from .facts import ContextSource, Facts, ImageFacts, ImageSource, gather
from .helper_base import builder_root
from .pyenv_grammar import PyenvSpec
from .requirements import ContextPath
from .settings import RELEASE, BuildSettings
from .stages import Root, Stage, root_of
from .survey import Survey, survey_text


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
    #: The image provider's official image; None for the source provider, and for the
    #: image provider when the base's Debian release was not looked up (check, list):
    #: render refuses such a plan (`unknown_image`).
    python_image: str | None
    sha256: str | None
    first: PyenvSpec  # the first line that asked for it

    @property
    def unknown_image(self) -> bool:
        """Whether the official image to copy from is not known (nothing looked up)."""
        return self.provider == "image" and self.python_image is None

    @property
    def template(self) -> str:
        """The template of its own (last) stage."""
        return "interpreter-finish-stage" if self.provider == "image" else "interpreter-build-stage"


@dataclass(frozen=True)
class InterpreterPart:
    """One of the stages before an interpreter's own: the official image it is copied
    from (`image`) and the copy that venvs build on (`copy`), or the source it is built
    from (`source`)."""

    interpreter: InterpreterStage
    part: str  # "image", "copy" or "source"

    @property
    def name(self) -> str:
        """The stage's name."""
        if self.part == "copy":
            return self.interpreter.build_name
        return self.interpreter.source_name

    @property
    def template(self) -> str:
        """The template of the stage."""
        return f"interpreter-{self.part}-stage"


@dataclass(frozen=True)
class UvStage:
    """A helper stage with the uv binary at /uv: installed from PyPI with an interpreter
    of the build, or copied out of a uv image."""

    name: str
    root: Root
    interpreter: InterpreterStage  # the PyPI install runs on it
    version: str
    image: str | None  # set: copy uv out of this image instead


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


@dataclass(frozen=True)
class ScriptsStage:
    """A helper stage holding the scripts the other helper stages run, each once, as
    files: a step mounts its script from here instead of carrying the text. A cached
    build's time grows with the text of its steps (BuildKit sends every step's command
    to the client as its name): 109 KB of steps took 1.9x a plain Dockerfile's no-op
    build, the same scripts mounted from here 1.4x. The first helper stage."""

    name: str


#: Each helper is one stage of the output.
HelperStage = Union[
    ScriptsStage, InterpreterPart, InterpreterStage, UvStage, VenvStage, ManifestStage
]


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
    the expansion of every PYENV line by its first line, and every stage of the output
    in order (`dispatch`: its position is the stage's index, as in BuildKit's
    dispatchStates)."""

    dockerfile: ParsedDockerfile
    stages: tuple[Stage, ...]
    helpers: Mapping[int, tuple[HelperStage, ...]]
    expansions: Mapping[int, Expansion]
    build_args: Mapping[str, str]
    notes: tuple[str, ...] = ()  # worth telling the user, though not an error
    facts: Facts = field(default_factory=Facts)  # what it was made from, besides the text
    dispatch: tuple[HelperStage | Stage, ...] = ()

    def index_of(self, stage: Stage) -> int:
        """The index in the output of the user stage `stage`."""
        return self.dispatch.index(stage) if self.dispatch else stage.index

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


def make_plan(survey: Survey, facts: Facts) -> Plan:
    """Decide the helper stages of a surveyed Dockerfile from the gathered facts; reads
    nothing else. Errors name the PYENV line they are about."""
    planner = _Planner(survey, facts)
    for stage in survey.stages:
        planner.add_stage(stage, survey.specs.get(stage.index, ()))
    ordered = {
        index: tuple(sorted(group, key=_kind_order)) for index, group in planner.helpers.items()
    }
    first = next((index for index in sorted(ordered) if ordered[index]), None)
    if first is not None:  # before every helper stage that mounts from it
        ordered[first] = (ScriptsStage(planner._unique("pyenv-scripts")), *ordered[first])
    dispatch: list[HelperStage | Stage] = []
    for stage in survey.stages:
        dispatch.extend(ordered.get(stage.index, ()))
        dispatch.append(stage)
    return Plan(
        survey.dockerfile,
        survey.stages,
        ordered,
        planner.expansions,
        survey.settings.source_args,
        tuple(planner.notes),
        facts,
        tuple(dispatch),
    )


def plan_dockerfile(
    text: str,
    filename: str,
    build_args: Mapping[str, str] | None = None,
    context: ContextSource | None = None,
    images: ImageSource | None = None,
) -> Plan:
    """Survey Dockerfile `text`, gather what it needs from `context` and `images` (None:
    not looked at), and plan: the steps the CLI and the frontend share."""
    surveyed = survey_text(text, filename, build_args or {})
    return make_plan(surveyed, gather(surveyed, context, images))


_InterpreterKey = tuple[str, Union[str, None], str, str]  # builder, platform, version, provider


class _Planner:
    """Walks the stages in order, sharing interpreters and inheriting environments."""

    def __init__(self, survey: Survey, facts: Facts) -> None:
        self.stages = survey.stages
        self.global_args = survey.global_args
        self.settings: BuildSettings = survey.settings
        self.providers = survey.providers
        self.checksums = survey.checksums
        self.facts = facts
        self.context = facts.context()
        self.taken = {stage.name for stage in survey.stages if stage.name}
        self.next_number: dict[str, int] = {}
        self.interpreters: dict[_InterpreterKey, InterpreterStage] = {}
        self.builders: dict[Root, Root] = {}
        self.uv_stages: dict[Root, UvStage] = {}
        self.helpers: dict[int, list[HelperStage]] = {}
        self.expansions: dict[int, Expansion] = {}
        self.notes: list[str] = []
        # What each stage has, its parents' included: interpreters, and the manifest.
        self.has_interpreter: dict[int, set[_InterpreterKey]] = {}
        self.manifest_of: dict[int, ManifestStage | None] = {}

    def add_stage(self, stage: Stage, specs: tuple[tuple[Instruction, PyenvSpec], ...]) -> None:
        """Plan the PYENV lines of one stage (stages come in Dockerfile order)."""
        parent = stage.parent
        present = self.has_interpreter[stage.index] = set(self.has_interpreter.get(parent, ()))
        inherited = self.manifest_of[stage.index] = self.manifest_of.get(parent)
        own: list[VenvStage] = []
        if not specs:
            return
        builder = self._builder(stage, specs[0][1])
        self.helpers[stage.index] = []
        lines: list[tuple[Instruction, VenvStage, EnvironmentFiles]] = []
        copied: list[InterpreterStage] = []
        for instruction, line_spec in specs:
            found = environment_files(line_spec, self.context)
            spec = found.spec
            self.notes.extend(note for note in found.warnings if note not in self.notes)
            self.notes.extend(_token_notes(spec))
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
            if spec.lock and installer != "uv":
                raise PyenvError(
                    f"{spec.requirements} is a lock file that only uv installs, and this line "
                    "uses pip",
                    spec.where,
                    spec.source,
                    "drop --installer=pip (or PYENV_INSTALLER=pip) for this line",
                )
            venv = VenvStage(
                name, interpreter, spec, installer, uv, found.paths, self.settings.secrets
            )
            self.helpers[stage.index].append(venv)
            own.append(venv)
            lines.append((instruction, venv, found))
            if key not in present:
                copied.append(interpreter)
            present.add(key)
        manifest = ManifestStage(self._unique("pyenv-manifest"), interpreter, tuple(own), inherited)
        self.manifest_of[stage.index] = manifest
        self.helpers[stage.index].append(manifest)
        for instruction, venv, found in lines:
            first, last = instruction is lines[0][0], instruction is lines[-1][0]
            self.expansions[instruction.start] = Expansion(
                instruction,
                venv,
                tuple(copied) if first else (),
                manifest if last else None,
                found.requirements_sha256,
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
            image = expand(root.base, self.global_args, strict=False)
            self.builders[root], note = builder_root(
                root,
                image,
                self.facts.images.get(image),
                first,
                self.settings.builder_image,
                self.settings.runtime_repositories,
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
            python_image = self._python_image(stage, version, spec)
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
        parts = ("image", "copy") if provider == "image" else ("source",)
        group = self.helpers[stage.index]
        group.extend(InterpreterPart(interpreter, part) for part in parts)
        group.append(interpreter)
        return interpreter

    def _python_image(self, stage: Stage, version: str, spec: PyenvSpec) -> str | None:
        """The official image of the base's Debian release that has CPython `version`."""
        release = self.settings.release
        if release is None:
            # The survey asked for the OS of the builder image, or of the stage's root.
            image = self.settings.builder_image or expand(
                root_of(stage, self.stages).base, self.global_args, strict=False
            )
            found = self.facts.images.get(image)
            if found is None:
                return None  # not asked: a plan to list or check, not to render
            release = _debian_release(found)
            if release is not None and not RELEASE.fullmatch(release):
                # Read from the image (or a cache of it): checked like the build arg it
                # stands for, since it is pasted into a FROM line.
                raise PyenvError(
                    f"{image} says its Debian release is {redacted(release)!r}, which is not "
                    "a release name",
                    spec.where,
                    spec.source,
                    f"pass --build-arg {defaults.RELEASE_ARG}=<release> (bookworm, trixie...)",
                )
            if release is None:
                why = _why_not_debian(found, self.facts.endpoint)
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


def _kind_order(stage: HelperStage) -> int:
    """Interpreters (each with its parts before it), uv, venvs, then the manifest;
    otherwise in order of first use (the sort is stable)."""
    kinds = (ScriptsStage, InterpreterStage, UvStage, VenvStage, ManifestStage)
    return kinds.index(InterpreterStage if isinstance(stage, InterpreterPart) else type(stage))


def _token_notes(spec: PyenvSpec) -> list[str]:
    """Warnings for index URLs of a line whose path looks like it holds a token."""
    notes = []
    for flag, url in (("index-url", spec.index_url), ("extra-index-url", spec.extra_index_url)):
        part = token_like_path(url or "")
        if part is not None:
            notes.append(
                f"{spec.where}: --{flag} has a path part that looks like a token ({part}); "
                "it is written into the Dockerfile and the build's history: pass the URL as "
                "a BuildKit secret (id=index-url) instead"
            )
    return notes


def _debian_release(found: ImageFacts) -> str | None:
    """The Debian codename the image's os-release gives, when it is Debian."""
    return found.os.debian_release if found.os is not None else None


def _why_not_debian(found: ImageFacts, endpoint: str | None) -> str:
    """Why an image's Debian release is not known, for an error message."""
    if found.os is None:
        return found.unknown_because or f"nothing was learned about it from {endpoint}"
    os: BaseOS = found.os
    if os.unknown_because:
        return os.unknown_because
    return f"it is {os.os_id or 'not Debian'} {os.codename or ''}".rstrip() + ", not Debian"
