"""The pre-commit hook, run by pre-commit itself on a sample repository.

`pre-commit try-repo` installs the hook from a repository's committed state (plus
uncommitted changes of tracked files), so a new or untracked file of this work tree
would be missed: the test copies what the hook installs into a fresh repository and
commits it there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What `pip install <repo>` needs, and the hook's definition.
HOOK_REPO_FILES = (
    "pyproject.toml",
    "README.md",
    "LICENSE",
    ".pre-commit-hooks.yaml",
    "buildkit_frontend",
    "templates",
)
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def git(cwd: Path, *args: str) -> None:
    """Run git in a test repository, as a fixed author."""
    subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@localhost", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed copy of this repository's hook and package."""
    repo = tmp_path_factory.mktemp("hook-repo")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in HOOK_REPO_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=ignore)
        else:
            shutil.copy2(source, repo / name)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "hook")
    return repo


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pre-commit's cache of hook environments, shared by this module's runs."""
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(sample: Path, hook_repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """`pre-commit try-repo <hook repo> buildkit-pyenv-check --all-files` in `sample`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["PRE_COMMIT_HOME"] = str(home)
    env["PRE_COMMIT_COLOR"] = "never"
    return subprocess.run(
        [*PRE_COMMIT, "try-repo", str(hook_repo), "buildkit-pyenv-check", "--all-files"],
        cwd=sample,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def sample_repo(path: Path, files: dict[str, str]) -> Path:
    """A git repository holding `files` (added, as pre-commit wants them)."""
    path.mkdir()
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    git(path, "init", "-q")
    git(path, "add", "-A")
    return path


GOOD = {
    "Dockerfile": "FROM img\nPYENV 3.13 etl requirements.txt\n",
    "requirements.txt": "requests\n",
    "README.md": "PYENV 3.13 ../not-a-dockerfile\n",
}


def test_hook_passes_on_good_dockerfiles(tmp_path, hook_repo, pre_commit_home):
    sample = sample_repo(tmp_path / "good", GOOD)
    done = try_repo(sample, hook_repo, pre_commit_home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "buildkit-pyenv check" in done.stdout
    assert "Passed" in done.stdout


def test_hook_fails_naming_the_bad_line(tmp_path, hook_repo, pre_commit_home):
    files = {
        **GOOD,
        "services/api.Dockerfile": "FROM img\nRUN true\nPYENV 3.13 tools ../x.txt\n",
    }
    sample = sample_repo(tmp_path / "bad", files)
    done = try_repo(sample, hook_repo, pre_commit_home)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Failed" in done.stdout
    assert (
        "error: services/api.Dockerfile:3: requirements file '../x.txt' leaves the build context"
        in done.stdout
    )
    assert "PYENV 3.13 tools ../x.txt" in done.stdout
