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


def raw_manifest(tmp_path: Path, text: str) -> str:
    path = tmp_path / "manifest.json"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "is a list, not a JSON object"),
        ('"x"', "is a string, not a JSON object"),
        ('{"environments": {"a": 1}}', "has 'environments': an object, not a list"),
        ('{"environments": 7}', "has 'environments': a number, not a list"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"environments": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        ("\xff", "not valid JSON"),
        ("", "not valid JSON"),
    ],
)
def test_a_malformed_manifest_is_named_and_variables_keep_working(tmp_path, text, message):
    path = raw_manifest(tmp_path, text)
    tools = interpreter(tmp_path, "tools")
    found = runtime.inventory(path, {"ASTRO_PYENV_tools": tools})
    assert list(found.environments) == ["tools"]
    assert len(found.manifest_problems) == 1
    assert path in found.manifest_problems[0] and message in found.manifest_problems[0]
    assert runtime.python_path("tools", path, {"ASTRO_PYENV_tools": tools}) == tools
    with pytest.raises(BrokenEnvironment, match=message):
        runtime.environments(path, {})
    with pytest.raises(EnvironmentNotFound) as raised:
        runtime.python_path("other", path, {})
    assert path in str(raised.value)


def test_a_fifo_manifest_is_refused_without_blocking(tmp_path):
    path = tmp_path / "manifest.json"
    os.mkfifo(path)
    found = runtime.inventory(str(path), {})
    assert found.manifest_problems == (
        f"cannot read the PYENV manifest {path}: it is not a regular file",
    )


def test_a_huge_manifest_is_refused(tmp_path):
    path = tmp_path / "manifest.json"
    with path.open("wb") as handle:
        handle.truncate(runtime.MAX_MANIFEST_BYTES + 1)  # sparse: no disk used
    (problem,) = runtime.inventory(str(path), {}).manifest_problems
    assert "more than a manifest may have" in problem


def test_a_directory_manifest_is_an_error_not_a_traceback(tmp_path):
    (problem,) = runtime.inventory(str(tmp_path), {}).manifest_problems
    assert problem.startswith(f"cannot read the PYENV manifest {tmp_path}: ")


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"name": "bad", "interpreter": 1}, "has 'interpreter': 1, not an absolute path"),
        ({"name": "bad"}, "has 'interpreter': null, not an absolute path"),
        ({"name": "bad", "interpreter": "rel/python"}, "not an absolute path"),
        ({"name": "bad", "interpreter": "/x\u0000y"}, "not an absolute path"),
        ({"name": "bad", "interpreter": "/x", "python": 3.13}, "has 'python': 3.13, not a string"),
        ({"name": "bad", "interpreter": "/x", "packages": ["six"]}, "has 'packages': a list"),
        ({"name": "bad", "interpreter": "/x", "packages": {"six": 1}}, "has 'packages'"),
    ],
)
def test_a_bad_record_breaks_only_its_environment(tmp_path, record, message):
    good = interpreter(tmp_path, "good")
    path = manifest(tmp_path, {"name": "good", "interpreter": good}, record)
    found = runtime.inventory(path, {})
    assert found.environments["good"].problem is None
    assert message in found.environments["bad"].problem
    assert found.manifest_problems == (
        f"the PYENV manifest {path}: environment #2 ('bad') " + found.environments["bad"].problem,
    )
    assert runtime.python_path("good", path, {}) == good
    with pytest.raises(BrokenEnvironment) as raised:
        runtime.python_path("bad", path, {})
    assert f"its record in the manifest {path} has " in str(raised.value)
    assert message in str(raised.value)
    # A variable for it is enough: the task uses the variable's path.
    assert runtime.python_path("bad", path, {"ASTRO_PYENV_bad": good}) == good


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (["a"], "environment #2 is a list, not an object"),
        ({"interpreter": "/x"}, "environment #2 has 'name': null, not a name"),
        ({"name": 5, "interpreter": "/x"}, "environment #2 has 'name': 5, not a name"),
        ({"name": "", "interpreter": "/x"}, "environment #2 has 'name': \"\", not a name"),
    ],
)
def test_a_record_without_a_name_is_reported(tmp_path, record, message):
    good = interpreter(tmp_path, "good")
    path = manifest(tmp_path, {"name": "good", "interpreter": good}, record)
    found = runtime.inventory(path, {})
    assert list(found.environments) == ["good"]
    assert found.manifest_problems == (f"the PYENV manifest {path}: {message}",)
    assert runtime.python_path("good", path, {}) == good


def test_an_interpreter_that_is_a_number_is_never_a_file_descriptor(tmp_path):
    path = manifest(tmp_path, {"name": "one", "interpreter": 1})
    assert "not an absolute path" in runtime.inventory(path, {}).environments["one"].problem


def test_an_empty_variable_is_not_set(tmp_path):
    tools = interpreter(tmp_path, "tools")
    path = manifest(tmp_path, {"name": "tools", "interpreter": tools})
    found = runtime.inventory(path, {"ASTRO_PYENV_tools": "", "ASTRO_PYENV_empty": ""})
    assert list(found.environments) == ["tools"]
    assert found.environments["tools"].interpreter == tools
    assert not found.environments["tools"].in_environment


def test_a_name_that_differs_in_case_gets_a_did_you_mean(tmp_path):
    env = {"ASTRO_PYENV_ETL": interpreter(tmp_path, "etl"), "ASTRO_PYENV_zzz": "/x"}
    with pytest.raises(EnvironmentNotFound, match="Did you mean 'ETL'\\?"):
        runtime.python_path("etl", str(tmp_path / "none.json"), env)


def test_manifest_records_checks_the_data_of_any_manifest():
    entries, problems = runtime.manifest_records(
        {"environments": [{"name": "a", "interpreter": "/a/bin/python"}, 3]}, "M"
    )
    assert [e.name for e in entries] == ["a"]
    assert problems == ["the PYENV manifest M: environment #2 is a number, not an object"]
    assert runtime.manifest_records([], "M") == (
        [],
        ["the PYENV manifest M is a list, not a JSON object"],
    )


def test_an_empty_variable_is_named_when_there_is_no_record(tmp_path):
    with pytest.raises(EnvironmentNotFound) as raised:
        runtime.python_path("etl", str(tmp_path / "none.json"), {"ASTRO_PYENV_etl": ""})
    assert str(raised.value) == (
        "no PYENV environment named 'etl': $ASTRO_PYENV_etl is set but empty. This image "
        f"has none (no other ASTRO_PYENV_* variable and no {tmp_path / 'none.json'}). Set "
        "$ASTRO_PYENV_etl to the environment's interpreter (<venv>/bin/python), or unset "
        "it and add to the Dockerfile: PYENV 3.13 etl requirements.txt"
    )


def test_an_empty_variable_among_others_names_them_too(tmp_path):
    env = {"ASTRO_PYENV_etl": "", "ASTRO_PYENV_tools": interpreter(tmp_path, "tools")}
    with pytest.raises(EnvironmentNotFound) as raised:
        runtime.python_path("etl", str(tmp_path / "none.json"), env)
    message = str(raised.value)
    assert message.startswith(
        "no PYENV environment named 'etl': $ASTRO_PYENV_etl is set but empty. "
        "This image has: tools. Set $ASTRO_PYENV_etl to "
    )
