"""The README's CI recipes are valid where they can be checked here: the GitHub Actions
job passes actionlint, and both recipes export the helper stages' cache (mode=max)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.integration.test_release_workflow import actionlint

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## CI: reuse interpreters and environments across runners"


def _recipes() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index(SECTION) :].split("\n## ", 1)[0]
    return re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)


def test_the_github_actions_recipe_passes_actionlint(tmp_path):
    github = next(r for r in _recipes() if r.startswith("jobs:"))
    workflow = tmp_path / ".github" / "workflows" / "image.yml"
    workflow.parent.mkdir(parents=True)
    # The README shows the job; a workflow file also says when it runs.
    workflow.write_text("on: push\n" + github)
    done = actionlint(workflow)
    assert done.returncode == 0, done.stdout + done.stderr
    (build,) = [
        step
        for step in yaml.safe_load(github)["jobs"]["image"]["steps"]
        if "build-push-action" in step.get("uses", "")
    ]
    assert build["with"]["cache-to"] == "type=gha,mode=max"
    assert build["with"]["cache-from"] == "type=gha"


def test_the_gitlab_recipe_exports_and_imports_the_whole_cache():
    (gitlab,) = [r for r in _recipes() if r.startswith("build-image:")]
    script = " ".join(yaml.safe_load(gitlab)["build-image"]["script"])
    assert '--cache-to "type=registry,ref=$CACHE_REF,mode=max"' in script
    assert '--cache-from "type=registry,ref=$CACHE_REF"' in script
    assert "--driver docker-container" in script  # the docker driver exports no max cache
