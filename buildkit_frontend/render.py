"""A plan → plain Dockerfile text, and a map from its lines back to the user's.

The user's lines are copied byte for byte, with three exceptions: each PYENV line
becomes COPY and ENV lines, this frontend's own `# syntax=` line is dropped, and a
numeric stage reference (`COPY --from=1`) is renumbered when helper stages come
before the stage it names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from . import contract, defaults, quoting, templates
from .defaults import KEYWORD
from .dockerfile import Instruction, ParsedDockerfile
from .errors import PyenvError, SourceRange
from .plan import (
    Expansion,
    HelperStage,
    InterpreterPart,
    InterpreterStage,
    Plan,
    ScriptsStage,
    UvStage,
    VenvStage,
)

# A stage index as BuildKit reads one (Go's strconv.Atoi).
_STAGE_INDEX = re.compile(r"[+-]?[0-9]+")
# Where a venv stage copies the context files its requirements read, at their layout.
_CONTEXT_COPY = "/tmp/buildkit-pyenv/context"
# Where a helper stage mounts the official python image it copies from, and uv.
_DIST_DIR = "/tmp/buildkit-pyenv/python-image"
# The parts of that image the helpers read (a link like /lib is followed): BuildKit hashes
# the content of every mount before a step starts, and the whole image takes longer.
_IMAGE_PARTS = ("/usr/local", "/usr/lib", "/lib", "/var/lib/dpkg/status")
_UV_PATH = "/tmp/buildkit-pyenv/uv"
# Where a step mounts the scripts it runs from the scripts stage.
_SCRIPTS_DIR = "/tmp/buildkit-pyenv/scripts"


@dataclass(frozen=True)
class Segment:
    """Lines `start`..`end` (1-based) of the output came from `origin` in the input.

    `verbatim` segments map line for line; the others (helper stages, PYENV expansions)
    map as a whole to the PYENV line that caused them.
    """

    start: int
    end: int
    origin: SourceRange
    verbatim: bool


@dataclass(frozen=True)
class Rendered:
    """The plain Dockerfile and where each of its lines came from."""

    text: str
    segments: tuple[Segment, ...]

    def is_generated(self, line: int) -> bool:
        """Whether output line `line` (1-based) was written by buildkit-pyenv."""
        return any(s.start <= line <= s.end and not s.verbatim for s in self.segments)

    def origin_of(self, line: int) -> SourceRange | None:
        """The input lines that output line `line` (1-based) stands for."""
        for segment in self.segments:
            if segment.start <= line <= segment.end:
                if not segment.verbatim:
                    return segment.origin
                source_line = segment.origin.start + (line - segment.start)
                return SourceRange(segment.origin.file, source_line, source_line)
        return None


def is_own_frontend(image: str) -> bool:
    """Whether a `# syntax=` image is this frontend (or the one it replaces)."""
    name = image.split("@", 1)[0]
    if name.rfind(":") > name.rfind("/"):
        name = name[: name.rfind(":")]
    return any(name == own or name.endswith("/" + own) for own in defaults.OWN_FRONTEND_NAMES)


def render(plan: Plan, frontend_image: str | None = None) -> Rendered:
    """Render `plan` as a plain multi-stage Dockerfile.

    A `# syntax=` line naming this frontend is dropped: by its known names, or as
    `frontend_image` when BuildKit says which image is running.
    """
    dockerfile = plan.dockerfile
    out = _Output(dockerfile.filename)

    def own(image: str) -> bool:
        return is_own_frontend(image) or image == frontend_image

    # Where BuildKit looks for the frontend (DetectSyntax: after a `#!` line, `//` too),
    # and the syntax directives its parser reads.
    dropped = {d.line for d in dockerfile.directives if d.name == "syntax" and own(d.image)}
    if dockerfile.syntax is not None and own(dockerfile.syntax.image):
        dropped.add(dockerfile.syntax.line)
    # The line after each instruction's predecessor, by the instruction's start.
    ends = {
        later.start: earlier.end + 1
        for earlier, later in zip(dockerfile.instructions, dockerfile.instructions[1:])
    }
    inserts = {
        _insertion_line(dockerfile, plan.stages[i].from_instruction, ends): i for i in plan.helpers
    }
    renumber = _renumbering(plan)
    escape = _escape(plan)
    rewritten = _renumbered_lines(plan, renumber) if renumber else {}
    starts = {instruction.start: instruction for instruction in dockerfile.instructions}
    texts = _helper_texts(plan, escape)

    line = 0
    while line < len(dockerfile.lines):
        if line in inserts:
            for helper in plan.helpers[inserts[line]]:
                out.generated(texts[helper.name], _helper_origin(plan, helper))
        expansion = plan.expansions.get(line)
        if expansion is not None:
            text = _expansion_text(plan, expansion, escape)
            out.generated(text, dockerfile.where(expansion.instruction))
            line = expansion.instruction.end + 1
            continue
        instruction = starts.get(line)
        if instruction is not None and instruction.keyword == KEYWORD:
            raise PyenvError(
                "this PYENV line was not expanded",
                dockerfile.where(instruction),
                dockerfile.source(instruction),
            )
        if line in dropped:
            line += 1
            continue
        out.verbatim(rewritten.get(line, dockerfile.lines[line]), line + 1)
        line += 1
    return out.result()


class _Output:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.parts: list[str] = []
        self.segments: list[Segment] = []
        self.lines = 0

    def generated(self, text: str, origin: SourceRange) -> None:
        count = text.count("\n")
        self.parts.append(text)
        self.segments.append(Segment(self.lines + 1, self.lines + count, origin, False))
        self.lines += count

    def verbatim(self, text: str, source_line: int) -> None:
        self.parts.append(text)
        self.lines += 1
        last = self.segments[-1] if self.segments else None
        if (
            last
            and last.verbatim
            and last.end == self.lines - 1
            and last.origin.end == source_line - 1
        ):
            origin = SourceRange(self.filename, last.origin.start, source_line)
            self.segments[-1] = Segment(last.start, self.lines, origin, True)
        else:
            origin = SourceRange(self.filename, source_line, source_line)
            self.segments.append(Segment(self.lines, self.lines, origin, True))

    def result(self) -> Rendered:
        return Rendered("".join(self.parts), tuple(self.segments))


def _insertion_line(
    dockerfile: ParsedDockerfile, from_instruction: Instruction, ends: Mapping[int, int]
) -> int:
    """Helper stages go above a stage's FROM and the comment lines directly above it,
    but never above a parser directive nor into the lines of an earlier instruction
    (a heredoc body line may look like a comment). `ends` maps each instruction's start
    to the line after the instruction before it."""
    floor = max((d.line + 1 for d in dockerfile.directives), default=0)
    floor = max(floor, ends.get(from_instruction.start, 0))
    from_line = from_instruction.start
    line = from_line
    while line > floor and dockerfile.lines[line - 1].lstrip().startswith("#"):
        line -= 1
    return line


def _renumbering(plan: Plan) -> dict[int, int]:
    """New index of each user stage whose index helper stages before it shift."""
    moved = {stage.index: plan.index_of(stage) for stage in plan.stages}
    return {old: new for old, new in moved.items() if old != new}


def _renumbered_lines(plan: Plan, renumber: dict[int, int]) -> dict[int, str]:
    """The input lines that change because a numeric stage reference is renumbered.

    Only where BuildKit reads a flag: COPY --from=N and the from=N of a RUN --mount (not
    those of ONBUILD, which name stages of another Dockerfile), wherever the number sits
    (a continuation line, quotes, an escape after it). A COPY --from=N that names no
    stage of the input is an error: with helper stages inserted, it would name one."""
    dockerfile = plan.dockerfile
    edits: dict[int, list[tuple[int, int, str]]] = {}
    for instruction in dockerfile.instructions:
        for value, positions in _stage_references(instruction):
            if not _STAGE_INDEX.fullmatch(value) or len(positions) != len(value):
                continue
            index = int(value)
            if not 0 <= index < len(plan.stages):
                if instruction.keyword != "COPY":
                    continue  # BuildKit takes it as an image name, as before
                raise PyenvError(
                    f"--from={value} names no stage: the stages of this Dockerfile are "
                    f"numbered from 0 to {len(plan.stages) - 1}",
                    dockerfile.where(instruction),
                    dockerfile.source(instruction),
                    "name the stage (FROM ... AS <name>) and use --from=<name>",
                )
            if index not in renumber:
                continue
            replacement = str(renumber[index])
            for number, (line, column) in enumerate(positions):
                edits.setdefault(line, []).append(
                    (column, column + 1, replacement if number == 0 else "")
                )
    rewritten = {}
    for line, changes in edits.items():
        text = dockerfile.lines[line]
        for start, end, replacement in sorted(changes, reverse=True):
            text = text[:start] + replacement + text[end:]
        rewritten[line] = text
    return rewritten


def _stage_references(instruction: Instruction) -> list[tuple[str, tuple[tuple[int, int], ...]]]:
    """(value, where each character is) of each stage reference among the flags."""
    found = []
    for flag in instruction.flags:
        if instruction.keyword == "COPY" and flag.name == "from":
            found.append((flag.value, flag.positions))
        elif instruction.keyword == "RUN" and flag.name == "mount":
            offset = 0
            for field in flag.value.split(","):
                key, equals, value = field.partition("=")
                if equals and key.lower() == "from":
                    at = offset + len(key) + 1
                    found.append((value, flag.positions[at : at + len(value)]))
                offset += len(field) + 1
    return found


def _helper_template(helper: HelperStage) -> str:
    if isinstance(helper, (InterpreterPart, InterpreterStage)):
        return f"{helper.template}.Dockerfile.j2"
    if isinstance(helper, UvStage):
        return "uv-stage.Dockerfile.j2"
    if isinstance(helper, VenvStage):
        return "venv-stage.Dockerfile.j2"
    return "manifest-stage.Dockerfile.j2"


def _escape(plan: Plan) -> str:
    """The Dockerfile's escape character, for the continuation lines we write."""
    found = next((d.value for d in plan.dockerfile.directives if d.name == "escape"), "\\")
    return found if found in ("`", "\\") else "\\"


def _helper_texts(plan: Plan, escape: str) -> dict[str, str]:
    """The text of each helper stage, by name; the scripts stage's last, with the
    scripts the others mount, in the order they first do."""
    stage = plan.scripts
    scripts = _Scripts(stage.name if stage else "")
    texts = {
        helper.name: _helper_text(plan, helper, escape, scripts)
        for group in plan.helpers.values()
        for helper in group
        if helper is not stage
    }
    if stage is not None:
        files = [(name, templates.script(name)) for name in scripts.used]
        text = templates.render("scripts-stage.Dockerfile.j2", stage=stage, files=files)
        texts[stage.name] = text + "\n"
    return texts


def _helper_text(plan: Plan, helper: HelperStage, escape: str, scripts: _Scripts) -> str:
    interpreter = helper.interpreter if isinstance(helper, InterpreterPart) else helper
    if isinstance(interpreter, InterpreterStage) and interpreter.unknown_image:
        raise PyenvError(
            f"the Debian release of {interpreter.root.base} was not looked up, so not which "
            f"official image to copy CPython {interpreter.version} from",
            interpreter.first.where,
            interpreter.first.source,
            f"pass --build-arg {defaults.RELEASE_ARG}=<release>, or render with an engine",
        )
    text = templates.render(
        _helper_template(helper),
        escape=escape,
        dist_dir=_DIST_DIR,
        image_parts=_IMAGE_PARTS,
        uv_path=_UV_PATH,
        stage=helper.interpreter if isinstance(helper, InterpreterPart) else helper,
        state_dir=defaults.STATE_DIR,
        pyenv_root=defaults.PYENV_ROOT,
        manifest=defaults.MANIFEST_PATH,
        record=defaults.RECORD_NAME,
        context_copy=_CONTEXT_COPY,
        build_args=plan.build_args,
        scripts=scripts,
    )
    return text + "\n"


def _helper_origin(plan: Plan, helper: HelperStage) -> SourceRange:
    if isinstance(helper, ScriptsStage):  # stands for the helper stage after it
        group = next(group for group in plan.helpers.values() if helper in group)
        return _helper_origin(plan, group[group.index(helper) + 1])
    if isinstance(helper, InterpreterPart):
        return helper.interpreter.first.where
    if isinstance(helper, InterpreterStage):
        return helper.first.where
    if isinstance(helper, VenvStage):
        return helper.spec.where
    if isinstance(helper, UvStage):
        return helper.interpreter.first.where
    return helper.venvs[-1].spec.where


def _expansion_text(plan: Plan, expansion: Expansion, escape: str) -> str:
    original = plan.dockerfile.source(expansion.instruction).rstrip("\n").split("\n")
    return templates.render(
        "pyenv-line.Dockerfile.j2",
        expansion=expansion,
        original=[line.rstrip("\r") for line in original],
        pyenv_root=defaults.PYENV_ROOT,
        manifest=defaults.MANIFEST_PATH,
        state_dir=defaults.STATE_DIR,
        escape=escape,
        labels=[
            f"{quoting.dockerfile_value(key, escape)}={quoting.dockerfile_value(value, escape)}"
            for key, value in _labels(expansion).items()
        ],
    )


def _labels(expansion: Expansion) -> dict[str, str]:
    """What image labels tell about one environment before anything is built."""
    spec = expansion.venv.spec
    facts = {
        "requested": spec.version,
        "venv": spec.venv_path,
        "interpreter": spec.python,
        "requirements": spec.requirements,
        "requirements_sha256": expansion.requirements_sha256,
    }
    return {contract.label(spec.name, key): value for key, value in facts.items() if value}


class _Scripts:
    """What templates write to run a script of templates/ from the scripts stage:
    `scripts.mount(name)`, the RUN flag that mounts it, and `scripts.path(name)`, where
    the step finds it. Remembers which scripts were mounted, for the scripts stage."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self.used: dict[str, None] = {}  # in the order of first use

    def mount(self, name: str) -> str:
        templates.script(name)  # a name without a script fails the render here
        self.used.setdefault(name)
        return f"--mount=from={self.stage},source=/{name},target={self.path(name)}"

    def path(self, name: str) -> str:
        return f"{_SCRIPTS_DIR}/{name}"
