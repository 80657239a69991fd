"""Property tests: how lines join into instructions, and that rendering keeps them.

Dockerfiles are generated from blocks whose instruction boundaries are known by
construction (the reference model of BuildKit's rules: continuation lines, comment and
empty lines inside them, heredoc bodies, the escape directive); the reader must find
exactly those boundaries, and rendering must never add, remove or split a user
instruction.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from buildkit_frontend.dockerfile import parse
from buildkit_frontend.plan import plan_dockerfile
from buildkit_frontend.render import render
from tests.unit.facts import debian

# Lines between instructions, and lines inside a continued one, that BuildKit skips.
SEPARATORS = ["", "   ", "\t", "# a comment", "  # indented comment", "#"]
# Pieces of an instruction after its first line (never empty, never a comment).
CHUNKS = ["  a", "b=1", "&& c", "\tx y", " PYENV 3.12 in-args", "d'e'", '"f g"']
HEADS = ["RUN echo hi", "ENV A=1", "LABEL x=y", "run true", "COPY a /b", "WORKDIR /w"]
HEREDOC_BODY = ["PYENV 3.12 fake", "RUN x \\", "", "# c", "EOFX", "\tEOF-not", "echo $A"]


@dataclass(frozen=True)
class Block:
    """One instruction as text lines, and which of them it spans."""

    keyword: str
    lines: tuple[str, ...]


@st.composite
def continued(draw, head: str, escape: str, in_render: bool) -> list[str]:
    """`head` and zero or more continuation lines, with skipped lines between them."""
    chunks = draw(st.lists(st.sampled_from(CHUNKS), max_size=3))
    if in_render:  # a PYENV word after an empty continuation line is an error there
        chunks = [c for c in chunks if "PYENV" not in c]
    pieces = [head, *chunks]
    lines = []
    for number, piece in enumerate(pieces):
        last = number == len(pieces) - 1
        if last:
            lines.append(piece)
            break
        marker = draw(st.sampled_from([escape, " " + escape, escape + " \t", " " + escape + " "]))
        lines.append(piece + marker)
        skipped = [] if in_render else draw(st.lists(st.sampled_from(SEPARATORS), max_size=2))
        lines.extend(skipped)
    return lines


@st.composite
def block(draw, escape: str, in_render: bool, pyenv_name: str | None = None) -> Block:
    kind = draw(
        st.sampled_from(["plain", "heredoc", "pyenv"] if pyenv_name else ["plain", "heredoc"])
    )
    if kind == "pyenv":
        # its words, each line break a continuation (the next line starts with a blank)
        lines = ["PYENV"]
        for word in ("3.12", pyenv_name):
            if draw(st.booleans()):
                lines[-1] += draw(st.sampled_from([" " + escape, escape, escape + "\t"]))
                lines.append(draw(st.sampled_from([" ", "\t", "    "])) + word)
            else:
                lines[-1] += " " + word
        return Block("PYENV", tuple(lines))
    if kind == "heredoc":
        name = draw(st.sampled_from(["EOF", "END", "E1"]))
        chomp = draw(st.booleans())
        quote = draw(st.sampled_from(["", "'", '"']))
        command = draw(st.sampled_from(["RUN", "COPY", "ONBUILD RUN", "ONBUILD COPY"]))
        target = " /dst" if command.endswith("COPY") else ""
        head = f"{command} <<{'-' if chomp else ''}{quote}{name}{quote}{target}"
        body = draw(st.lists(st.sampled_from(HEREDOC_BODY), max_size=3))
        end = ("\t" if chomp and draw(st.booleans()) else "") + name
        return Block(command.split()[0], (head, *body, end))
    head = draw(st.sampled_from(HEADS))
    return Block(head.split()[0].upper(), tuple(draw(continued(head, escape, in_render))))


@st.composite
def dockerfile(draw, in_render: bool = False):
    """(text, escape, blocks with their first line) of a generated Dockerfile."""
    escape = draw(st.sampled_from(["\\", "`"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines: list[str] = []
    if escape == "`":
        lines.append(draw(st.sampled_from(["# escape=`", " # escape=`", "#escape = `"])))
    blocks: list[tuple[Block, int]] = []
    count = draw(st.integers(min_value=1, max_value=6))
    for number in range(count):
        if in_render and number == 0:
            found = Block("FROM", ("FROM img",))
        else:
            name = f"env{number}" if in_render else None
            found = draw(block(escape, in_render, name))
        lines.extend(draw(st.lists(st.sampled_from(SEPARATORS), max_size=2)))
        blocks.append((found, len(lines)))
        lines.extend(found.lines)
    trailing = draw(st.lists(st.sampled_from(SEPARATORS), max_size=2))
    last, last_start = blocks[-1]
    at_eof = not in_render and last.keyword not in ("COPY", "ONBUILD") and draw(st.booleans())
    if at_eof and "<<" not in last.lines[0]:
        # the file ends while the last instruction still continues: it takes the rest
        lines[-1] += " " + escape
        blocks[-1] = (Block(last.keyword, (*last.lines, *trailing)), last_start)
    lines.extend(trailing)
    # (a last line that is empty exists only if a newline ends it)
    end = newline if lines[-1] == "" else draw(st.sampled_from([newline, ""]))
    text = newline.join(lines) + end
    return text, escape, blocks


@settings(max_examples=300, deadline=None)
@given(dockerfile())
def test_instruction_boundaries_match_the_model(case):
    text, escape, blocks = case
    parsed = parse(text)
    assert parsed.escape == escape
    expected = [(b.keyword, start, start + len(b.lines) - 1) for b, start in blocks]
    assert [(i.keyword, i.start, i.end) for i in parsed.instructions] == expected


@settings(max_examples=60, deadline=None)
@given(dockerfile(in_render=True))
def test_render_never_adds_removes_or_splits_a_user_instruction(case):
    text, _, _ = case
    options = dict(images=debian())
    rendered = render(plan_dockerfile(text, "Dockerfile", **options))
    source = parse(text)
    output = parse(rendered.text)
    kept = []
    for instruction in output.instructions:
        generated = {
            rendered.is_generated(line + 1)
            for line in range(instruction.start, instruction.end + 1)
        }
        assert len(generated) == 1, "an instruction mixes user and generated lines"
        if generated == {False}:
            kept.append((instruction.keyword, output.source(instruction)))
    assert kept == [
        (i.keyword, source.source(i)) for i in source.instructions if i.keyword != "PYENV"
    ]


@st.composite
def numeric_references(draw):
    """A Dockerfile with PYENV lines in some stages and COPY --from=N / RUN --mount
    from=N references to earlier stages, written the many ways BuildKit still reads as
    flags, plus the same text where it is not a flag."""
    escape = "\\"
    stage_count = draw(st.integers(min_value=2, max_value=4))
    with_pyenv = draw(st.sets(st.integers(0, stage_count - 1), min_size=1))
    lines, references = [], []
    for stage in range(stage_count):
        lines.append(f"FROM img AS s{stage}")
        if stage in with_pyenv:
            lines.append(f"PYENV 3.12 env{stage}")
        for _ in range(draw(st.integers(0, 2)) if stage else 0):
            target = draw(st.integers(0, stage - 1))
            number = draw(st.sampled_from([str(target), f"0{target}", f"+{target}"]))
            form = draw(st.sampled_from(["plain", "next-line", "escape-after", "quoted", "mount"]))
            if form == "plain":
                lines.append(f"COPY --chown=1 --from={number} /a /b")
            elif form == "next-line":
                lines += ["COPY \\", f"--from={number} /a /b"]
            elif form == "escape-after":
                lines += [f"COPY --from={number}{escape}", " /a /b"]
            elif form == "quoted":
                lines.append(f'COPY --from="{number}" /a /b')
            else:
                lines += [
                    "RUN --mount=type=cache,target=/c \\",
                    f"  --mount=target=/x,from={number} true",
                ]
            references.append(target)
        lines.append(f'RUN echo "--from={stage}" --mount=from={stage}')
    return "\n".join(lines) + "\n", references


@settings(max_examples=100, deadline=None)
@given(numeric_references())
def test_numeric_references_follow_their_stage_and_nothing_else_changes(case):
    text, references = case
    plan = plan_dockerfile(text, "Dockerfile", images=debian())
    output = parse(render(plan).text)
    stage_names = [i.value.split()[-1] for i in output.instructions if i.keyword == "FROM"]
    found = []
    for instruction in output.instructions:
        for flag in instruction.flags:
            values = []
            if instruction.keyword == "COPY" and flag.name == "from":
                values = [flag.value]
            if instruction.keyword == "RUN" and flag.name == "mount":
                values = [f[5:] for f in flag.value.split(",") if f.startswith("from=")]
            found += [int(v) for v in values if v.lstrip("+").isdigit()]
    # each reference now names, by its new index, the stage it named before
    assert [stage_names[index] for index in found] == [f"s{t}" for t in references]
    user_runs = [i.value for i in parse(text).instructions if i.value.startswith("echo")]
    assert [i.value for i in output.instructions if i.value.startswith("echo")] == user_runs
