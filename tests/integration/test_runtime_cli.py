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
    assert "$ASTRO_PYENV_empty is set but empty" in empty.stderr

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


def _manifest(tmp_path, *entries):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"schema": 1, "environments": list(entries)}))
    return str(path)


def test_which_among_thousands_says_how_many_and_shows_a_few(tmp_path):
    python = str(_executable(tmp_path / "tools/bin/python"))
    records = [{"name": f"env_{i:05d}", "interpreter": python} for i in range(20_000)]
    manifest = _manifest(tmp_path, {"name": "tools", "interpreter": python}, *records)
    typo = run("which", "tool", "--manifest", manifest, env={})
    assert typo.returncode == 1 and typo.stdout == ""
    assert len(typo.stderr) < 1000, len(typo.stderr)
    assert typo.stderr.startswith(
        "error: no PYENV environment named 'tool'. This image has 20001 environments"
    )
    assert "Did you mean 'tools'?" in typo.stderr


UNSAFE_NAMES = ["evil\nforged  3.13  3.13  /usr/bin/python  ok", "\u202egnp.exe", "a\x1b[2Jb"]


def test_names_with_control_characters_are_escaped_and_kept_exact_in_json(tmp_path):
    python = str(_executable(tmp_path / "tools/bin/python"))
    entries = [{"name": name, "interpreter": python} for name in ["tools", *UNSAFE_NAMES]]
    manifest = _manifest(tmp_path, *entries)
    listed = run("envs", "--json", "--manifest", manifest, env={})
    assert listed.returncode == 1 and "Traceback" not in listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert set(rows) == {"tools", *UNSAFE_NAMES}  # exact, as JSON escapes them
    assert rows["tools"]["status"] == "ok"
    for name in UNSAFE_NAMES:
        assert "control or formatting character" in rows[name]["status"]
    assert listed.stderr.count("error: ") == 3
    assert all(line.isprintable() for line in listed.stderr.splitlines())
    assert len(listed.stderr.splitlines()) == 3
    which = run("which", UNSAFE_NAMES[1], "--manifest", manifest, env={})
    assert which.returncode == 1 and which.stdout == ""
    assert "\\u202egnp.exe" in which.stderr and which.stderr.isascii()


def test_the_envs_table_has_one_line_per_environment(tmp_path):
    python = str(_executable(tmp_path / "tools/bin/python"))
    entries = [{"name": name, "interpreter": python} for name in ["tools", *UNSAFE_NAMES]]
    table = run("envs", "--manifest", _manifest(tmp_path, *entries), env={})
    lines = table.stdout.splitlines()
    assert len(lines) == 1 + 1 + len(UNSAFE_NAMES)
    assert all(line.isprintable() for line in lines)
    assert [line.split()[0] for line in lines[1:]] == [
        "a\\x1b[2Jb",
        "evil\\nforged",
        "tools",
        "\\u202egnp.exe",
    ]


def test_two_records_with_one_name_fail_which_and_are_reported_by_envs(tmp_path):
    first = str(_executable(tmp_path / "first/bin/python"))
    second = str(_executable(tmp_path / "second/bin/python"))
    manifest = _manifest(
        tmp_path, {"name": "etl", "interpreter": first}, {"name": "etl", "interpreter": second}
    )
    which = run("which", "etl", "--manifest", manifest, env={})
    assert which.returncode == 1 and which.stdout == ""
    assert "#1" in which.stderr and "#2" in which.stderr
    assert first in which.stderr and second in which.stderr
    listed = run("envs", "--json", "--manifest", manifest, env={})
    assert listed.returncode == 1
    assert listed.stderr == (
        f"error: the PYENV manifest {manifest}: environments #1 and #2 are both named 'etl' "
        f"({first}, {second}): a name must be unique\n"
    )
