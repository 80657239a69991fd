"""The CLI as users run it: a subprocess, real files, exit codes and output streams."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bed.fixtures import CLI

GOLDEN = Path(__file__).resolve().parent.parent / "golden"


# No engine holds these tests' base images: name their Debian release instead.
RELEASE = ("--build-arg", "PYENV_DEBIAN_RELEASE=bookworm")


def run(*args: str, cwd: Path | None = None, stdin: str | None = None, env=None):
    if args and args[0] in ("render", "check", "list") and "--image" not in args:
        args = (args[0], *RELEASE, *args[1:])
    return subprocess.run(
        [*CLI, *args], cwd=cwd, input=stdin, capture_output=True, text=True, env=env
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text(
        "# syntax=buildkit-pyenv/frontend:dev\n"
        "FROM debian:bookworm\n"
        "PYENV 3.13 tools requirements.txt\n"
        "PYENV 3.12 legacy\n"
    )
    (tmp_path / "requirements.txt").write_text("six\n")
    return tmp_path


QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart"


@pytest.mark.parametrize("command", ["check", "list"])
def test_check_and_list_need_no_engine(command, tmp_path):
    """No engine anywhere and no build args: the quickstart checks and lists."""
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    done = subprocess.run(
        [*CLI, command, str(QUICKSTART / "Dockerfile")], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert ("OK, 1 environment" if command == "check" else "etl") in done.stdout


def test_render_without_an_engine_names_the_endpoint_it_tried(tmp_path):
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    done = subprocess.run(
        [*CLI, "render", str(QUICKSTART / "Dockerfile")], capture_output=True, text=True, env=env
    )
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {QUICKSTART}/Dockerfile:6: cannot tell which Debian")
    assert f"unix://{tmp_path}/no-engine.sock (DOCKER_HOST)" in done.stderr
    assert "Traceback" not in done.stderr


def test_render_prints_the_plain_dockerfile(project):
    done = run("render", cwd=project)
    assert done.returncode == 0, done.stderr
    # With the Debian release given, render asks no engine anything.
    assert done.stderr == ""
    assert not done.stdout.startswith("# syntax=")
    assert "ENV ASTRO_PYENV_tools=/home/astro/.venv/tools/bin/python\n" in done.stdout
    assert "PYENV" not in [line.split(" ")[0] for line in done.stdout.splitlines()]


def test_render_matches_the_golden_file():
    case = GOLDEN / "shared-interpreter"
    done = run("render", str(case / "Dockerfile"))
    assert done.stdout == (case / "expected.Dockerfile").read_text()


def test_render_is_deterministic(project):
    assert run("render", cwd=project).stdout == run("render", cwd=project).stdout


def test_render_from_stdin_without_context():
    done = run("render", "-", stdin="FROM img\nPYENV 3.13 a missing.txt\n")
    assert done.returncode == 0, done.stderr  # the context is unknown: nothing to check
    assert 'COPY ["missing.txt", ' in done.stdout


def test_render_from_stdin_with_context(project):
    done = run("render", "-", "--context", str(project), stdin="FROM img\nPYENV 3.13 a nope.txt\n")
    assert done.returncode == 1
    assert "<stdin>:2: requirements file 'nope.txt' is not in the build context" in done.stderr


def test_output_file_is_written_only_on_success(project):
    out = project / "Dockerfile.rendered"
    assert run("render", "-o", str(out), cwd=project).returncode == 0
    first = out.read_text()
    assert "FROM debian:bookworm AS pyenv-python-3.13-copy\n" in first
    (project / "Dockerfile").write_text("FROM img\nPYENV 3.13\n")
    failed = run("render", "-o", str(out), cwd=project)
    assert failed.returncode == 1
    assert out.read_text() == first
    assert sorted(p.name for p in project.iterdir()) == [
        "Dockerfile",
        "Dockerfile.rendered",
        "requirements.txt",
    ]


def test_errors_name_file_and_line_without_traceback(project):
    (project / "Dockerfile").write_text("FROM img\nRUN true\nPYENV 3.13 tools \\\n  ../x.txt\n")
    done = run("check", cwd=project)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("error: Dockerfile:3: requirements file '../x.txt' leaves")
    assert "     3 | PYENV 3.13 tools \\\n     4 |   ../x.txt" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_requirements_file(project):
    (project / "requirements.txt").unlink()
    done = run("check", cwd=project)
    assert done.returncode == 1
    assert "Dockerfile:3: requirements file 'requirements.txt' is not in the build context" in (
        done.stderr
    )


def test_context_option_changes_where_requirements_are_looked_up(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("ctx")
    done = run("check", str(project / "Dockerfile"), "--context", str(elsewhere))
    assert done.returncode == 1
    (elsewhere / "requirements.txt").write_text("six\n")
    assert run("check", str(project / "Dockerfile"), "--context", str(elsewhere)).returncode == 0


def test_check_reports_the_count(project):
    done = run("check", cwd=project)
    assert (done.returncode, done.stdout) == (0, "Dockerfile: OK, 2 environments\n")


def test_missing_dockerfile(tmp_path):
    done = run("check", str(tmp_path / "nope"))
    assert done.returncode == 1
    assert "cannot read" in done.stderr and "No such file" in done.stderr


def test_list_table_and_json(project):
    table = run("list", cwd=project).stdout.splitlines()
    assert table[0].split() == ["NAME", "PYTHON", "REQUIREMENTS", "VENV", "VARIABLE", "STAGE"]
    assert table[1].split() == [
        "tools",
        "3.13",
        "requirements.txt",
        "/home/astro/.venv/tools",
        "ASTRO_PYENV_tools",
        "0",
    ]
    assert table[2].split()[:3] == ["legacy", "3.12", "-"]
    rows = json.loads(run("list", "--json", cwd=project).stdout)
    assert rows[1] == {
        "name": "legacy",
        "python": "3.12",
        "requirements": None,
        "venv": "/home/astro/.venv/legacy",
        "variable": "ASTRO_PYENV_legacy",
        "interpreter": "/home/astro/.venv/legacy/bin/python",
        "stage": "0",
        "line": 4,
    }


def test_build_args(project, monkeypatch):
    (project / "Dockerfile").write_text("ARG PY=3.11\nFROM img\nPYENV ${PY} env\n")
    assert json.loads(run("list", "--json", cwd=project).stdout)[0]["python"] == "3.11"
    given = run("list", "--json", "--build-arg", "PY=3.12", cwd=project)
    assert json.loads(given.stdout)[0]["python"] == "3.12"
    env = {**__import__("os").environ, "PY": "3.13"}
    from_env = run("list", "--json", "--build-arg", "PY", cwd=project, env=env)
    assert json.loads(from_env.stdout)[0]["python"] == "3.13"


def test_unset_build_arg(project):
    (project / "Dockerfile").write_text("FROM img\nPYENV ${PY} env\n")
    done = run("check", cwd=project)
    assert done.returncode == 1
    assert "Dockerfile:2: $PY is not set" in done.stderr


def test_non_utf8_dockerfile(project):
    """BuildKit builds a Dockerfile that is not UTF-8: without PYENV lines it goes
    through byte for byte; with one, it is an error naming the byte and its line."""
    original = b"FROM img\nRUN echo \xff\n"
    (project / "Dockerfile").write_bytes(original)
    assert run("check", cwd=project).returncode == 0
    rendered = subprocess.run([*CLI, "render"], cwd=project, capture_output=True)
    assert rendered.returncode == 0 and rendered.stdout == original
    (project / "Dockerfile").write_bytes(b"FROM img\nRUN echo \xff\nPYENV 3.13 x\n")
    done = run("check", cwd=project)
    assert done.returncode == 1
    assert "Dockerfile:2: Dockerfile is not UTF-8 text: byte 0xff on line 2" in done.stderr


def test_help_and_version():
    assert "render" in run("--help").stdout
    assert run("--version").stdout.startswith("buildkit-pyenv, version ")


def test_output_dash_is_standard_output(project):
    done = run("render", "-o", "-", cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stdout == run("render", cwd=project).stdout
    assert not (project / "-").exists()


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("missing/out", "cannot write missing/out: directory {p}/missing does not exist"),
        (".", "cannot write .: it is a directory"),
        ("sub", "cannot write sub: it is a directory"),
        ("fifo", "cannot write fifo: it is not a regular file"),
        ("/dev/null", "cannot write /dev/null: it is not a regular file"),
        ("/proc/buildkit-pyenv-rendered", "cannot write /proc/buildkit-pyenv-rendered: "),
        ("Dockerfile", "refusing to write Dockerfile over the Dockerfile it renders"),
        ("link-to-dockerfile", "refusing to write link-to-dockerfile over the Dockerfile"),
    ],
)
def test_output_errors_are_clear(project, output, message):
    (project / "sub").mkdir()
    os.mkfifo(project / "fifo")
    (project / "link-to-dockerfile").symlink_to("Dockerfile")
    before = (project / "Dockerfile").read_bytes()
    done = run("render", "-o", output, cwd=project)
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    assert f"\nerror: {message.format(p=project)}" in "\n" + done.stderr
    assert "Traceback" not in done.stderr
    assert (project / "Dockerfile").read_bytes() == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".")) == []


def test_output_gets_normal_permissions(project):
    out = project / "out.Dockerfile"
    done = subprocess.run(
        ["sh", "-c", 'umask 022 && exec "$@"', "sh", *CLI, "render", *RELEASE, "-o", str(out)],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    done = subprocess.run(
        ["sh", "-c", 'umask 077 && exec "$@"', "sh", *CLI, "render", *RELEASE, "-o", "new"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert stat.S_IMODE((project / "new").stat().st_mode) == 0o600
    out.chmod(0o640)  # a file that is replaced keeps its mode
    assert run("render", "-o", str(out), cwd=project).returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


def test_output_symlink_is_written_through(project):
    (project / "rendered").mkdir()
    (project / "out").symlink_to("rendered/Dockerfile.real")
    done = run("render", "-o", "out", cwd=project)
    assert done.returncode == 0, done.stderr
    assert (project / "out").is_symlink()
    assert (project / "rendered" / "Dockerfile.real").read_text() == run(
        "render", cwd=project
    ).stdout


def test_a_symlink_out_of_the_context_is_not_in_it(project):
    (project / "requirements.txt").unlink()
    (project / "requirements.txt").symlink_to("/etc/passwd")
    done = run("render", cwd=project)
    assert done.returncode == 1
    assert "Dockerfile:3: requirements file 'requirements.txt' is not in the build context" in (
        done.stderr
    )
    outside = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()
    assert outside not in done.stdout + done.stderr
    # Inside the context, the link is followed as BuildKit follows it.
    (project / "requirements.txt").unlink()
    (project / "reqs").mkdir()
    (project / "reqs" / "real.txt").write_text("six\n")
    (project / "requirements.txt").symlink_to("reqs/real.txt")
    done = run("render", cwd=project)
    assert done.returncode == 0, done.stderr
    assert hashlib.sha256(b"six\n").hexdigest() in done.stdout


def test_dockerignore_is_applied(project):
    (project / ".dockerignore").write_text("*.txt\n")
    done = run("check", cwd=project)
    assert done.returncode == 1
    assert (
        "Dockerfile:3: requirements file 'requirements.txt' is not in the build context "
        "./ (after .dockerignore)"
    ) in done.stderr
    (project / ".dockerignore").write_text("*.txt\n!requirements.txt\n")
    assert run("check", cwd=project).returncode == 0


def test_the_dockerfiles_own_dockerignore_replaces_the_contexts(project):
    (project / "build").mkdir()
    dockerfile = project / "build" / "app.Dockerfile"
    dockerfile.write_text((project / "Dockerfile").read_text())
    (project / ".dockerignore").write_text("requirements.txt\n")
    args = ("check", str(dockerfile), "--context", str(project))
    assert "after" in run(*args).stderr and run(*args).returncode == 1
    (project / "build" / "app.Dockerfile.dockerignore").write_text("build\n")
    assert run(*args).returncode == 0
    (project / "build" / "app.Dockerfile.dockerignore").write_text("requirements.*\n")
    done = run(*args)
    assert done.returncode == 1
    assert f"(after {dockerfile}.dockerignore)" in done.stderr


def test_an_invalid_dockerignore_pattern_is_an_error(project):
    (project / ".dockerignore").write_text("[\n")
    done = run("check", cwd=project)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "error: .dockerignore: Invalid ignore pattern '['" in done.stderr


def fake_docker(tmp_path: Path) -> dict[str, str]:
    """A `docker` on PATH that records its arguments, the -f file and its ignore file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "docker-call.json"
    script = bin_dir / "docker"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        "args = sys.argv[1:]\n"
        "f = args[args.index('-f') + 1]\n"
        "text = sys.stdin.read() if f == '-' else open(f).read()\n"
        "ignore = f + '.dockerignore'\n"
        "ignored = open(ignore).read() if os.path.exists(ignore) else None\n"
        "call = {'args': args, 'text': text, 'ignore': ignored}\n"
        f"json.dump(call, open({str(record)!r}, 'w'))\n"
    )
    script.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def test_build_passes_the_dockerfiles_own_dockerignore_on(project, tmp_path_factory):
    scratch = tmp_path_factory.mktemp("docker")
    env = fake_docker(scratch)
    (project / "app.Dockerfile").write_text((project / "Dockerfile").read_text())
    (project / "app.Dockerfile.dockerignore").write_text("secret\n")
    done = run("build", "-f", str(project / "app.Dockerfile"), *RELEASE, str(project), env=env)
    assert done.returncode == 0, done.stderr
    call = json.loads((scratch / "docker-call.json").read_text())
    assert call["ignore"] == "secret\n"
    assert "ENV ASTRO_PYENV_tools=" in call["text"]
    assert call["args"][-1] == str(project)
    # Without one, the rendered file goes through standard input as before.
    (project / "app.Dockerfile.dockerignore").unlink()
    again = run("build", "-f", str(project / "app.Dockerfile"), *RELEASE, str(project), env=env)
    assert again.returncode == 0, again.stderr
    call = json.loads((scratch / "docker-call.json").read_text())
    assert call["args"][:5] == ["buildx", "build", "-f", "-", "--build-arg"]


TAG = "my-image:1"


@pytest.mark.parametrize(
    ("order", "passed_on"),
    [
        (
            ["-t", TAG, "--build-arg", "PY=3.12", "-f", "{file}", "{context}"],
            ["-t", TAG, "--build-arg", "PY=3.12"],
        ),
        (
            ["{context}", "-t", TAG, "--build-arg", "PY=3.12", "-f", "{file}"],
            ["-t", TAG, "--build-arg", "PY=3.12"],
        ),
        (
            [f"--tag={TAG}", "{context}", "--file={file}", "--load", "--build-arg=PY=3.12"],
            ["--tag", TAG, "--load", "--build-arg", "PY=3.12"],
        ),
        (
            [f"-qt{TAG}", "--build-arg", "PY=3.12", "{context}", "--no-cache", "-f{file}"],
            ["-q", "-t", TAG, "--build-arg", "PY=3.12", "--no-cache"],
        ),
    ],
)
def test_build_takes_docker_options_before_or_after_the_context(
    project, tmp_path_factory, order, passed_on
):
    """docker's argument order: `build -t x .` and `build . -t x` run the same build."""
    scratch = tmp_path_factory.mktemp("docker")
    env = fake_docker(scratch)
    dockerfile = project / "app.Dockerfile"
    dockerfile.write_text("ARG PY=3.11\nFROM img\nPYENV ${PY} tools requirements.txt\n")
    args = [arg.format(file=dockerfile, context=project) for arg in order]
    done = run("build", *RELEASE, *args, env=env)
    assert done.returncode == 0, done.stderr
    call = json.loads((scratch / "docker-call.json").read_text())
    # -f names the Dockerfile rendered here; docker gets the render on standard input.
    assert call["args"] == ["buildx", "build", "-f", "-", *RELEASE, *passed_on, str(project)]
    assert "CPython 3.12" in call["text"] and "CPython 3.11" not in call["text"]


def test_build_refuses_two_contexts(project):
    done = run("build", str(project), "-t", "x", str(project))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "error: more than one build context" in done.stderr


@pytest.mark.parametrize(
    ("secret", "mounted"),
    [
        (["--secret", "id=netrc,src=/dev/null"], ["netrc"]),
        (["--secret=id=index-url,env=INDEX_URL"], ["index-url"]),
        (["--secret", "src=/home/ci/pip.conf"], ["pip.conf"]),  # buildx: id = file name
        (["--secret", "id=deploy-key,src=/dev/null"], []),  # not one an install reads
        ([], []),
    ],
)
def test_build_mounts_the_secrets_it_is_given(project, tmp_path_factory, secret, mounted):
    """`build --secret id=netrc,...` mounts that secret for the installs, and no other:
    each mount costs a step a round trip to the client."""
    scratch = tmp_path_factory.mktemp("docker")
    env = fake_docker(scratch)
    done = run("build", *RELEASE, *secret, str(project), env=env)
    assert done.returncode == 0, done.stderr
    call = json.loads((scratch / "docker-call.json").read_text())
    # The project's two environments, each mounting exactly those.
    assert re.findall(r"--mount=type=secret,id=([^,]+),", call["text"]) == mounted * 2
    # docker still gets every --secret.
    assert ("--secret" in call["args"]) == bool(secret)
