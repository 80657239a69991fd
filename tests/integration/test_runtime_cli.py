"""`buildkit-pyenv envs` and `which`, as run inside a container."""

from __future__ import annotations

import json
import os
import subprocess

from tests.bed.fixtures import CLI


def run(*args: str, env: dict[str, str]):
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, env={"PATH": os.environ["PATH"], **env}
    )


def _executable(path):
    """An executable file at `path`: what the runtime checks an interpreter for."""
    path.parent.mkdir(parents=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_which_and_envs(tmp_path):
    python = _executable(tmp_path / "tools/bin/python")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "environments": [
                    {
                        "name": "tools",
                        "interpreter": str(python),
                        "python": "3.13.5",
                        "requested": "3.13",
                    }
                ]
            }
        )
    )
    env = {"ASTRO_PYENV_broken": str(tmp_path / "missing")}

    which = run("which", "tools", "--manifest", str(manifest), env=env)
    assert (which.returncode, which.stdout) == (0, f"{python}\n")

    typo = run("which", "tool", "--manifest", str(manifest), env=env)
    assert typo.returncode == 1
    assert typo.stderr.startswith(
        "error: no PYENV environment named 'tool'. This image has: broken, tools."
    )

    listed = run("envs", "--json", "--manifest", str(manifest), env=env)
    assert listed.returncode == 1  # one environment is broken
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["tools"]["status"] == "ok" and rows["tools"]["python"] == "3.13.5"
    assert rows["broken"]["status"].endswith("does not exist")

    table = run("envs", "--manifest", str(manifest), env={}).stdout.splitlines()
    assert table[0].split() == ["NAME", "PYTHON", "REQUESTED", "INTERPRETER", "STATUS"]
    assert table[1].split() == ["tools", "3.13.5", "3.13", str(python), "ok"]


def test_a_broken_manifest_is_an_error_without_a_traceback(tmp_path):
    python = _executable(tmp_path / "tools/bin/python")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "environments": [
                    {"name": "tools", "interpreter": str(python)},
                    {"name": "bad", "interpreter": 1},
                    "junk",
                ]
            }
        )
    )
    env = {"ASTRO_PYENV_empty": ""}
    which = run("which", "tools", "--manifest", str(manifest), env=env)
    assert (which.returncode, which.stdout) == (0, f"{python}\n")
    bad = run("which", "bad", "--manifest", str(manifest), env=env)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert f"its record in the manifest {manifest} has 'interpreter': 1" in bad.stderr
    empty = run("which", "empty", "--manifest", str(manifest), env=env)
    assert empty.returncode == 1 and "no PYENV environment named 'empty'" in empty.stderr

    listed = run("envs", "--json", "--manifest", str(manifest), env=env)
    assert listed.returncode == 1 and "Traceback" not in listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["tools"]["status"] == "ok"
    assert rows["bad"]["status"] == "has 'interpreter': 1, not an absolute path"
    assert f"error: the PYENV manifest {manifest}: environment #3 is a string" in listed.stderr

    os.unlink(manifest)
    os.mkfifo(manifest)  # would block a plain open()
    fifo = run("envs", "--manifest", str(manifest), env={"ASTRO_PYENV_tools": str(python)})
    assert fifo.returncode == 1
    assert fifo.stdout.splitlines()[1].split()[0] == "tools"
    assert fifo.stderr == (
        f"error: cannot read the PYENV manifest {manifest}: it is not a regular file\n"
    )
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000)
    nested = run("which", "tools", "--manifest", str(deep), env={})
    assert nested.returncode == 1 and "Traceback" not in nested.stderr
    assert nested.stderr.startswith(
        "error: no PYENV environment named 'tools'. This image has no ASTRO_PYENV_* variable "
        f"and no manifest that can be read. cannot read the PYENV manifest {deep}: "
    )
