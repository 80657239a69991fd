"""The release workflow passes actionlint and does what a release needs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
ACTIONLINT = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or "actionlint"


def actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ACTIONLINT, "-color=false", "-no-color", str(path)], capture_output=True, text=True
    )


def test_actionlint_passes():
    done = actionlint(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / ".github" / "workflows" / "release.yml"
    broken.parent.mkdir(parents=True)
    text = WORKFLOW.read_text().replace("needs: [dists, frontend-image]", "needs: [dist]")
    broken.write_text(text)
    done = actionlint(broken)
    assert done.returncode == 1
    assert 'job "pypi" needs job "dist" which does not exist' in done.stdout


def test_image_is_multi_platform_with_provenance_and_pushed():
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    (push,) = [
        s for s in jobs["frontend-image"]["steps"] if "build-push-action" in s.get("uses", "")
    ]
    assert push["with"]["file"] == "images/frontend/Dockerfile"
    assert set(push["with"]["platforms"].split(",")) == {"linux/amd64", "linux/arm64"}
    assert push["with"]["provenance"] == "mode=max"
    assert push["with"]["push"] is True


def test_both_dists_published_with_trusted_publishing():
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    build = "\n".join(step.get("run", "") for step in jobs["dists"]["steps"])
    assert "python -m build --outdir dist ." in build
    assert "python -m build --outdir dist packaging/runtime" in build
    publish = jobs["pypi"]
    assert publish["permissions"] == {"id-token": "write"}
    uses = [step["uses"] for step in publish["steps"]]
    assert "pypa/gh-action-pypi-publish@release/v1" in uses
    assert all("password" not in step.get("with", {}) for step in publish["steps"])
