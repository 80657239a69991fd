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


def test_which_and_envs(tmp_path):
    python = tmp_path / "tools/bin/python"
    python.parent.mkdir(parents=True)
    python.write_text("#!/bin/sh\n")
    python.chmod(0o755)
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
