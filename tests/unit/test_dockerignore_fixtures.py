"""The .dockerignore matcher against BuildKit's own: tests/fixtures/dockerignore holds how
moby/patternmatcher, as moby/buildkit vendors it, reads each case's file and which paths
it leaves out (tools/dockerignore-match regenerates it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from buildkit_frontend.context import read_ignore
from buildkit_frontend.errors import PyenvError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dockerignore"
CASES = json.loads((FIXTURES / "cases.json").read_text())
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())

#: Where e2b-dockerfile-utils' port and BuildKit part, by the case's file text. Go builds
#: a regular expression in which a backslash before a letter is a regexp escape (\s a
#: class, \R an error); the port reads the letter itself. The local source keeps a space
#: after "!", where the port trims it.
KNOWN_DIVERGENCES = {
    "\\sub": "\\s is a regexp class in BuildKit, a literal s in the port",
    "a\\R": "\\R is no Go regexp escape: BuildKit fails the build, the port reads R",
    "*\n/! b": "BuildKit's local source matches ' b' after '!', the port trims it to 'b'",
}


def observed(case: dict) -> dict:
    try:
        ignore = read_ignore(case["ignore"].encode("utf-8"), ".dockerignore")
    except PyenvError as error:
        return {"error": str(error)}
    return {
        "patterns": list(ignore.patterns),
        "error": "",
        "excluded": [ignore.excludes(path) for path in case["paths"]],
    }


def test_the_fixtures_are_complete():
    assert len(CASES) == len(EXPECTED) > 400
    assert (FIXTURES / "BUILDKIT_COMMIT").read_text().strip()
    assert set(KNOWN_DIVERGENCES) <= {case["ignore"] for case in CASES}


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        pytest.param(c, e, id=f"{i}:{c['ignore'][:30]!r}")
        for i, (c, e) in enumerate(zip(CASES, EXPECTED))
    ],
)
def test_read_and_matched_as_buildkit_does(case, expected):
    got = observed(case)
    same = bool(got["error"]) == bool(expected["error"]) and (
        bool(expected["error"]) or got == {**expected, "error": ""}
    )
    if case["ignore"] in KNOWN_DIVERGENCES:
        assert not same, f"no longer diverges: {KNOWN_DIVERGENCES[case['ignore']]}"
    else:
        assert same, (got, expected)
