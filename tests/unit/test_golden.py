"""Golden renders: given tests/golden/<case>/Dockerfile, exactly expected.Dockerfile comes out.

Regenerate after an intended change with `make golden`, then review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from buildkit_frontend.context import LocalContext
from buildkit_frontend.dockerfile import parse
from buildkit_frontend.plan import plan_dockerfile
from buildkit_frontend.render import Rendered, render
from tests.unit.facts import debian

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "Dockerfile").is_file())


def render_case(case: Path) -> str:
    return render_golden(case).text


def render_golden(case: Path) -> Rendered:
    """The render of `case`'s Dockerfile with its build-args, and where its lines came from."""
    args_file = case / "build-args"
    build_args = {}
    if args_file.is_file():
        for line in args_file.read_text().splitlines():
            key, _, value = line.partition("=")
            build_args[key] = value
    text = (case / "Dockerfile").read_text()
    plan = plan_dockerfile(text, "Dockerfile", build_args, LocalContext(case), debian())
    return render(plan)


@pytest.mark.parametrize("name", CASES)
def test_golden(name):
    case = GOLDEN / name
    rendered = render_case(case)
    expected = case / "expected.Dockerfile"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        expected.write_text(rendered)
    assert expected.is_file(), f"no {expected}; run `make golden`"
    assert rendered == expected.read_text()


@pytest.mark.parametrize("name", CASES)
def test_user_lines_survive_byte_for_byte(name):
    """Every line that is not PYENV (nor our syntax line) appears, in order, unchanged;
    numeric stage references may be renumbered."""
    case = GOLDEN / name
    text = (case / "Dockerfile").read_text()
    parsed = parse(text)
    pyenv_lines = {
        line
        for i in parsed.instructions
        if i.keyword == "PYENV"
        for line in range(i.start, i.end + 1)
    }
    rendered = render_case(case).split("\n")
    position = 0
    for number, line in enumerate(text.split("\n")):
        if number in pyenv_lines or line.startswith("# syntax=") or "from=" in line:
            continue
        position = rendered.index(line, position) + 1
