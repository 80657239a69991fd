"""A plan → plain Dockerfile text, and a map from its lines back to the user's.

The user's lines are copied byte for byte, with three exceptions: each PYENV line
becomes COPY and ENV lines, this frontend's own `# syntax=` line is dropped, and a
numeric stage reference (`COPY --from=1`) is renumbered when helper stages come
before the stage it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import defaults, quoting, templates
from .dockerfile import ParsedDockerfile
from .errors import SourceRange
from .plan import Expansion, HelperStage, InterpreterStage, Plan, UvStage, VenvStage

# Numeric stage references: COPY's --from flag and the from= of a RUN --mount.
_NUMERIC_FROM = {
    "COPY": re.compile(r"(?<=\s)(--from=)(\d+)(?=\s)"),
    "RUN": re.compile(r"(--mount=\S*?(?<=[=,])from=)(\d+)\b"),
}
_REQUIREMENTS_COPY = "/tmp/buildkit-pyenv/requirements.txt"
# Where a helper stage mounts the official python image it copies from, and uv.
_DIST_DIR = "/tmp/buildkit-pyenv/python-image"
_UV_PATH = "/tmp/buildkit-pyenv/uv"


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
    dropped = {
        d.line
        for d in dockerfile.directives
        if d.name == "syntax" and (is_own_frontend(d.value) or d.value == frontend_image)
    }
    inserts = {
        _insertion_line(dockerfile, plan.stages[i].from_instruction.start): i for i in plan.helpers
    }
    renumber = _renumbering(plan)
    escape = _escape(plan)
    rewritable = {
        line: _NUMERIC_FROM[instruction.keyword]
        for instruction in dockerfile.instructions
        if instruction.keyword in _NUMERIC_FROM and renumber
        for line in range(instruction.start, instruction.head_end + 1)
    }

    line = 0
    while line < len(dockerfile.lines):
        if line in inserts:
            for helper in plan.helpers[inserts[line]]:
                out.generated(_helper_text(plan, helper, escape), _helper_origin(helper))
        expansion = plan.expansions.get(line)
        if expansion is not None:
            text = _expansion_text(plan, expansion, escape)
            out.generated(text, dockerfile.where(expansion.instruction))
            line = expansion.instruction.end + 1
            continue
        text = dockerfile.lines[line]
        if line in dropped:
            line += 1
            continue
        if line in rewritable:
            text = rewritable[line].sub(lambda m: _renumbered(m, renumber), text)
        out.verbatim(text, line + 1)
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


def _insertion_line(dockerfile: ParsedDockerfile, from_line: int) -> int:
    """Helper stages go above a stage's FROM and the comment lines directly above it."""
    directive_lines = {d.line for d in dockerfile.directives}
    line = from_line
    while (
        line > 0
        and line - 1 not in directive_lines
        and dockerfile.lines[line - 1].lstrip().startswith("#")
    ):
        line -= 1
    return line


def _renumbering(plan: Plan) -> dict[int, int]:
    """New index of each user stage whose index helper stages before it shift."""
    mapping, shift = {}, 0
    for stage in plan.stages:
        shift += sum(helper.stage_count for helper in plan.helpers.get(stage.index, ()))
        if shift:
            mapping[stage.index] = stage.index + shift
    return mapping


def _renumbered(match: re.Match[str], renumber: dict[int, int]) -> str:
    index = int(match.group(2))
    return match.group(1) + str(renumber.get(index, index))


def _helper_template(helper: HelperStage) -> str:
    if isinstance(helper, InterpreterStage):
        return f"interpreter-{helper.provider}-stage.Dockerfile.j2"
    if isinstance(helper, UvStage):
        return "uv-stage.Dockerfile.j2"
    if isinstance(helper, VenvStage):
        return "venv-stage.Dockerfile.j2"
    return "manifest-stage.Dockerfile.j2"


def _escape(plan: Plan) -> str:
    """The Dockerfile's escape character, for the continuation lines we write."""
    found = next((d.value for d in plan.dockerfile.directives if d.name == "escape"), "\\")
    return found if found in ("`", "\\") else "\\"


def _helper_text(plan: Plan, helper: HelperStage, escape: str) -> str:
    text = templates.render(
        _helper_template(helper),
        escape=escape,
        dist_dir=_DIST_DIR,
        uv_path=_UV_PATH,
        stage=helper,
        state_dir=defaults.STATE_DIR,
        pyenv_root=defaults.PYENV_ROOT,
        manifest=defaults.MANIFEST_PATH,
        record=defaults.RECORD_NAME,
        requirements_copy=_REQUIREMENTS_COPY,
        build_args=plan.build_args,
        scripts=_Scripts(),
    )
    return text + "\n"


def _helper_origin(helper: HelperStage) -> SourceRange:
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
        "requirements-sha256": expansion.requirements_sha256,
    }
    prefix = f"{defaults.LABEL_PREFIX}{spec.name}."
    return {prefix + key: value for key, value in facts.items() if value is not None}


class _Scripts:
    """Lets templates write scripts["name.sh"] for a script's verbatim text."""

    def __getitem__(self, name: str) -> str:
        return templates.script(name)
