"""The runtime helper: finding environments by name, and failing helpfully."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from buildkit_frontend import runtime
from buildkit_frontend.runtime import BrokenEnvironment, EnvironmentNotFound

ROOT = Path(__file__).resolve().parents[2]


def interpreter(tmp_path: Path, name: str, executable: bool = True) -> str:
    path = tmp_path / name / "bin" / "python"
    path.parent.mkdir(parents=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755 if executable else 0o644)
    return str(path)


def manifest(tmp_path: Path, *entries: dict) -> str:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"schema": 1, "environments": list(entries)}))
    return str(path)


def test_environments_from_manifest_and_variables(tmp_path):
    tools = interpreter(tmp_path, "tools")
    legacy = interpreter(tmp_path, "legacy")
    path = manifest(
        tmp_path,
        {
            "name": "tools",
            "interpreter": "/elsewhere/python",
            "python": "3.13.5",
            "requested": "3.13",
            "packages": {"six": "1.16.0"},
        },
    )
    found = runtime.environments(
        path,
        {
            "ASTRO_PYENV_tools": tools,
            "ASTRO_PYENV_legacy": legacy,
            "ASTRO_PYENV_": "ignored",
            "PATH": "/bin",
        },
    )
    assert list(found) == ["legacy", "tools"]
    assert found["tools"].interpreter == tools  # the variable is what tasks use: it wins
    assert (found["tools"].python, found["tools"].packages) == ("3.13.5", {"six": "1.16.0"})
    assert found["tools"].in_manifest and found["tools"].in_environment
    assert found["legacy"].python is None and not found["legacy"].in_manifest


def test_python_path(tmp_path):
    tools = interpreter(tmp_path, "tools")
    assert (
        runtime.python_path("tools", str(tmp_path / "none.json"), {"ASTRO_PYENV_tools": tools})
        == tools
    )
    only_manifest = manifest(tmp_path, {"name": "tools", "interpreter": tools})
    assert runtime.python_path("tools", only_manifest, {}) == tools


def test_unknown_name_lists_the_others_and_the_fix(tmp_path):
    env = {"ASTRO_PYENV_tools": interpreter(tmp_path, "tools"), "ASTRO_PYENV_reports": "/x"}
    with pytest.raises(EnvironmentNotFound) as raised:
        runtime.python_path("tool", str(tmp_path / "none.json"), env)
    message = str(raised.value)
    assert "no PYENV environment named 'tool'. This image has: reports, tools." in message
    assert "Did you mean 'tools'?" in message
    assert message.endswith("add to the Dockerfile: PYENV 3.13 tool requirements.txt")


def test_unknown_name_in_an_image_without_any(tmp_path):
    with pytest.raises(EnvironmentNotFound, match="This image has none"):
        runtime.python_path("x", str(tmp_path / "none.json"), {})


def test_missing_or_not_executable_interpreter_is_an_error(tmp_path):
    missing = {"ASTRO_PYENV_gone": str(tmp_path / "gone/bin/python")}
    with pytest.raises(BrokenEnvironment, match=r"\$ASTRO_PYENV_gone points at .* does not exist"):
        runtime.python_path("gone", str(tmp_path / "none.json"), missing)
    plain = {"ASTRO_PYENV_plain": interpreter(tmp_path, "plain", executable=False)}
    with pytest.raises(BrokenEnvironment, match="is not an executable file"):
        runtime.python_path("plain", str(tmp_path / "none.json"), plain)
    directory = {"ASTRO_PYENV_dir": str(tmp_path)}
    with pytest.raises(BrokenEnvironment, match="is not an executable file"):
        runtime.python_path("dir", str(tmp_path / "none.json"), directory)


def test_unreadable_manifest_is_an_error(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text("{not json")
    with pytest.raises(BrokenEnvironment, match="cannot read the PYENV manifest"):
        runtime.environments(str(path), {})


@pytest.mark.parametrize("module", ["buildkit_frontend.runtime", "buildkit_frontend.airflow"])
def test_importable_with_the_standard_library_alone(module):
    """-S leaves site-packages off the path: any third-party import would fail."""
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); import {module}; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'click', 'jinja2', 'dockerfile_parse', 'docker', 'grpc', 'airflow'}))"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", code],
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
