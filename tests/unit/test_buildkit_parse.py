"""Our reader against BuildKit's own parser.

tests/fixtures/buildkit-parse/<case>.json is what moby/buildkit's
frontend/dockerfile/parser makes of <case>.Dockerfile (tools/buildkit-parse/regenerate.sh
writes them); buildkit_frontend.dockerfile must read every case the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from buildkit_frontend.dockerfile import parse
from buildkit_frontend.errors import PyenvError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "buildkit-parse"
CASES = sorted(p.name.removesuffix(".Dockerfile") for p in FIXTURES.glob("*.Dockerfile"))


def load(case: str) -> tuple[str, dict]:
    text = (FIXTURES / f"{case}.Dockerfile").read_bytes().decode("utf-8")
    return text, json.loads((FIXTURES / f"{case}.json").read_text(encoding="utf-8"))


def test_every_case_has_buildkits_reading():
    assert CASES
    for case in CASES:
        assert (FIXTURES / f"{case}.json").is_file(), (
            f"run tools/buildkit-parse/regenerate.sh ({case})"
        )


@pytest.mark.parametrize("case", CASES)
def test_instructions_and_lines_match_buildkit(case):
    text, buildkit = load(case)
    if buildkit.get("error"):
        with pytest.raises(PyenvError) as raised:
            parse(text)
        assert raised.value.message == buildkit["error"]
        assert raised.value.where.start == buildkit["error_start"]
        return
    parsed = parse(text)
    ours = [(i.keyword, i.start + 1, i.end + 1) for i in parsed.instructions]
    theirs = [(i["keyword"].upper(), i["start"], i["end"]) for i in buildkit["instructions"]]
    assert ours == theirs
    assert [i.keyword_as_written for i in parsed.instructions] == [
        i["keyword"] for i in buildkit["instructions"]
    ]
    assert parsed.escape == buildkit["escape"]
    assert [(d.name, d.value, d.line + 1) for d in parsed.directives] == [
        (d["name"], d["value"], d["line"]) for d in buildkit["directives"]
    ]
    assert [(w.message, w.line + 1) for w in parsed.warnings] == [
        (w["short"], w["line"]) for w in buildkit["warnings"]
    ]
    # The frontend BuildKit forwards the build to (parser.DetectSyntax).
    assert (parsed.syntax.image if parsed.syntax else "") == buildkit["syntax"]


@pytest.mark.parametrize("case", CASES)
def test_flags_heredocs_and_triggers_match_buildkit(case):
    text, buildkit = load(case)
    if buildkit.get("error"):
        return
    instructions = parse(text).instructions
    assert len(instructions) == len(buildkit["instructions"])
    for ours, theirs in zip(instructions, buildkit["instructions"]):
        assert [(h.name, h.expand, h.chomp) for h in ours.heredocs] == [
            (h["name"], h["expand"], h["chomp"]) for h in theirs["heredocs"]
        ], theirs["original"]
        trigger = theirs.get("trigger")
        assert ours.trigger == (trigger["keyword"].upper() if trigger else None)
        flags = (trigger or theirs)["flags"]
        assert [f.word for f in ours.flags] == flags, theirs["original"]
