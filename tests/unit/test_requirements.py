"""Requirements files as teams write them: includes, constraints, local paths, hashes,
inline credentials; what the venv stage copies, and the errors at the PYENV line."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buildkit_frontend.context import LocalContext
from buildkit_frontend.errors import PyenvError
from buildkit_frontend.plan import VenvStage, plan_dockerfile
from buildkit_frontend.render import render
from buildkit_frontend.requirements import (
    RequirementsProblem,
    credential_lines,
    logical_lines,
    option_words,
    package_list,
)
from tests.bed.fixtures import write_context
from tests.unit.facts import Context, debian

TEAM_PROJECT = {
    "Dockerfile": "FROM img\nPYENV 3.13 etl reqs/etl.txt\nPYENV 3.13 other other.txt\n",
    "reqs/etl.txt": "# the team's habits\n"
    "-r common.txt\n"
    "--constraint=../constraints.txt\n"
    "./libs/mypkg[fast] ; python_version >= '3.9'\n"
    "-e ./libs/editable\n"
    "dist/tool-1.0-py3-none-any.whl\n"
    "six==1.16.0 \\\n"
    "    --hash=sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254\n",
    "reqs/common.txt": "-c nested/pins.txt\nrequests\n",
    "reqs/nested/pins.txt": "requests==2.32.3\n",
    "constraints.txt": "six==1.16.0\n",
    "libs/mypkg/pyproject.toml": "[project]\nname='mypkg'\n",
    "libs/editable/pyproject.toml": "[project]\nname='editable'\n",
    "dist/tool-1.0-py3-none-any.whl": "not really a wheel",
    "other.txt": "tabulate\n",
}


def plan_context(tmp_path, files):
    root = write_context(tmp_path, files)
    context = LocalContext(root)
    return plan_dockerfile(files["Dockerfile"], "Dockerfile", context=context, images=debian())


def venvs(plan) -> dict[str, VenvStage]:
    return {
        h.spec.name: h for group in plan.helpers.values() for h in group if isinstance(h, VenvStage)
    }


def error_of(tmp_path, files) -> str:
    with pytest.raises(PyenvError) as raised:
        plan_context(tmp_path, files)
    return str(raised.value)


def test_every_file_a_requirements_file_names_is_copied_at_its_layout(tmp_path):
    plan = plan_context(tmp_path, TEAM_PROJECT)
    etl = venvs(plan)["etl"]
    assert [(p.path, p.directory) for p in etl.context_paths] == [
        ("reqs/etl.txt", False),
        ("reqs/common.txt", False),
        ("constraints.txt", False),
        ("libs/mypkg", True),
        ("libs/editable", True),
        ("dist/tool-1.0-py3-none-any.whl", False),
        ("reqs/nested/pins.txt", False),
    ]
    text = render(plan).text
    stage = text[text.index("AS pyenv-venv-etl") : text.index("AS pyenv-venv-other")]
    assert 'COPY ["libs/mypkg", "/tmp/buildkit-pyenv/context/libs/mypkg"]\n' in stage
    assert 'COPY ["reqs/nested/pins.txt", "/tmp/buildkit-pyenv/context/reqs/nested/pins.txt"]' in (
        stage
    )
    assert "PYENV_REQUIREMENTS=/tmp/buildkit-pyenv/context/reqs/etl.txt" in stage
    # The other environment copies only its own file: a change to etl's files never
    # touches its stage.
    other = text[text.index("AS pyenv-venv-other") :]
    assert other.count("COPY [") == 1
    assert 'COPY ["other.txt", "/tmp/buildkit-pyenv/context/other.txt"]' in other


def test_a_missing_include_is_an_error_at_the_pyenv_line(tmp_path):
    files = {**TEAM_PROJECT, "reqs/common.txt": "-r gone.txt\n"}
    text = error_of(tmp_path, files)
    assert text.startswith(
        "Dockerfile:2: reqs/common.txt:1: requirements file 'gone.txt' (reqs/gone.txt) "
        "is not in the build context"
    )
    assert "2 | PYENV 3.13 etl reqs/etl.txt" in text
    assert "relative to the file that names them" in text


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("-r ../../outside.txt", "reqs/etl.txt:1: '../../outside.txt' leaves the build context"),
        ("-c /etc/pins.txt", "reqs/etl.txt:1: '/etc/pins.txt' is an absolute path"),
        ("../sibling/pkg", "reqs/etl.txt:1: '../sibling/pkg' leaves the build context"),
        ("pkg @ file:///opt/wheels/pkg.whl", "'/opt/wheels/pkg.whl' is an absolute path"),
        ("./libs/nothing", "reqs/etl.txt:1: local path './libs/nothing' is not in the build"),
        ("./libs/*", "holds a wildcard, $ or backslash"),
    ],
)
def test_references_leaving_the_context_are_errors(tmp_path, line, message):
    files = {**TEAM_PROJECT, "reqs/etl.txt": line + "\n"}
    text = error_of(tmp_path, files)
    assert text.startswith("Dockerfile:2: "), text
    assert message in text


def test_a_dockerignored_local_project_is_not_in_the_context(tmp_path):
    from buildkit_frontend.context import read_ignore

    root = write_context(tmp_path, TEAM_PROJECT)
    ignore = read_ignore(b"libs/editable\n", ".dockerignore")
    context = LocalContext(root, ignore)
    with pytest.raises(PyenvError) as raised:
        plan_dockerfile(TEAM_PROJECT["Dockerfile"], "Dockerfile", context=context, images=debian())
    assert "local path './libs/editable' is not in the build context" in str(raised.value)


def test_credentials_in_a_url_are_a_warning_that_does_not_repeat_them(tmp_path):
    files = {
        **TEAM_PROJECT,
        "reqs/common.txt": "--extra-index-url https://build:s3cr3t-t0ken@pkgs.invalid/simple\n"
        "requests\n",
    }
    plan = plan_context(tmp_path, files)
    assert plan.notes == (
        "reqs/common.txt:1 has credentials in a URL; pass credentials as a BuildKit secret "
        "instead (--secret id=netrc, pip.conf, uv.toml or index-url; README: Private package "
        "indexes)",
    )
    assert "s3cr3t" not in " ".join(plan.notes)


def test_variables_and_ssh_users_are_not_credentials(tmp_path):
    files = {
        **TEAM_PROJECT,
        "reqs/common.txt": "-i https://${INDEX_USER}:${INDEX_TOKEN}@pkgs.invalid/simple\n"
        "pkg @ git+ssh://git@git.invalid/pkg.git\n",
    }
    assert plan_context(tmp_path, files).notes == ()


def test_an_include_loop_is_followed_once(tmp_path):
    files = {**TEAM_PROJECT, "reqs/common.txt": "-r etl.txt\n"}
    paths = [p.path for p in venvs(plan_context(tmp_path, files))["etl"].context_paths]
    assert paths.count("reqs/etl.txt") == 1


def test_without_a_context_only_the_named_file_is_copied():
    plan = plan_dockerfile("FROM img\nPYENV 3.13 etl reqs/etl.txt\n", "-", images=debian())
    text = render(plan).text
    assert text.count("COPY [") == 1
    assert 'COPY ["reqs/etl.txt", "/tmp/buildkit-pyenv/context/reqs/etl.txt"]' in text


def test_the_project_itself_as_a_local_path(tmp_path):
    files = {"Dockerfile": "FROM img\nPYENV 3.13 app requirements.txt\n"}
    files["requirements.txt"] = "-e .\n"
    files["pyproject.toml"] = "[project]\nname='app'\n"
    paths = venvs(plan_context(tmp_path, files))["app"].context_paths
    assert [(p.path, p.directory) for p in paths] == [("requirements.txt", False), (".", True)]


def test_index_flags_and_secret_mounts_in_the_venv_stage():
    plan = plan_dockerfile(
        "FROM img\nPYENV --index-url=https://pkgs.invalid/simple/ "
        "--extra-index-url=https://more.invalid/simple --trusted-host=pkgs.invalid:8443 "
        "3.13 etl requirements.txt\n",
        "Dockerfile",
        {"PYENV_SECRETS": "netrc, pip.conf,netrc"},
        images=debian(),
    )
    text = render(plan).text
    stage = text[text.index("AS pyenv-venv-etl") :]
    mounts = re.findall(r"--mount=type=secret,id=([^,]+),required=false", stage)
    assert mounts == ["netrc", "pip.conf"]
    assert (
        "PYENV_INDEX_URL=https://pkgs.invalid/simple/ "
        "PYENV_EXTRA_INDEX_URL=https://more.invalid/simple PYENV_TRUSTED_HOST=pkgs.invalid:8443"
    ) in stage
    assert "\nARG PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST" in stage


def test_without_pyenv_secrets_no_secret_is_mounted():
    # Each secret mount costs the step a round trip to the client when it starts.
    plan = plan_dockerfile("FROM img\nPYENV 3.13 etl\n", "Dockerfile", images=debian())
    assert "type=secret" not in render(plan).text


def test_an_unknown_secret_id_is_an_error_naming_the_build_arg():
    with pytest.raises(PyenvError) as raised:
        plan_dockerfile(
            "FROM img\nPYENV 3.13 etl\n",
            "Dockerfile",
            {"PYENV_SECRETS": "netrc,token"},
            images=debian(),
        )
    assert "PYENV_SECRETS names 'token'" in str(raised.value)


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("--index-url=https://me:tok@pkgs.invalid/simple", "--index-url holds credentials"),
        ("--extra-index-url=https://tok@pkgs.invalid/simple", "--extra-index-url holds cred"),
        ("--index-url=pkgs.invalid/simple", "is not an http(s):// or file:// URL"),
        ("--trusted-host=a/b", "--trusted-host=a/b is not a host name"),
    ],
)
def test_bad_index_flags_are_errors_at_the_line(flag, message):
    with pytest.raises(PyenvError) as raised:
        plan_dockerfile(f"FROM img\nPYENV {flag} 3.13 etl\n", "Dockerfile", images=debian())
    text = str(raised.value)
    assert text.startswith("Dockerfile:2: ")
    assert message in text
    if "credentials" in message:
        assert "--secret id=netrc" in text


def test_apt_packages_and_an_astro_packages_file(tmp_path):
    files = {
        "Dockerfile": "FROM img\nPYENV --apt=libpq-dev,unixodbc-dev --apt-file=packages.txt "
        "3.13 db requirements.txt\n",
        "requirements.txt": "psycopg2\n",
        "packages.txt": "# what Astro installs\nlibldap2-dev libsasl2-dev\n",
    }
    plan = plan_context(tmp_path, files)
    db = venvs(plan)["db"]
    assert db.spec.apt == ("libpq-dev", "unixodbc-dev")
    assert [p.path for p in db.context_paths] == ["requirements.txt", "packages.txt"]
    text = render(plan).text
    assert (
        "PYENV_APT='libpq-dev unixodbc-dev' PYENV_APT_FILE=/tmp/buildkit-pyenv/context/packages.txt"
    ) in text
    assert 'COPY ["packages.txt", "/tmp/buildkit-pyenv/context/packages.txt"]' in text


@pytest.mark.parametrize(
    ("flag", "packages", "message"),
    [
        ("--apt=libpq-dev,Bad_Name", None, "--apt: 'Bad_Name' is not a Debian package name"),
        ("--apt=libpq-dev;rm", None, "--apt: 'libpq-dev;rm' is not a Debian package name"),
        ("--apt-file=packages.txt", "libpq-dev\n$(reboot)\n", "packages.txt:2: '$(reboot)' is"),
        ("--apt-file=missing.txt", None, "--apt-file 'missing.txt' is not in"),
        ("--apt-file=../packages.txt", None, "--apt-file '../packages.txt' leaves the build"),
    ],
)
def test_bad_system_packages_are_errors_at_the_line(tmp_path, flag, packages, message):
    files = {"Dockerfile": f"FROM img\nPYENV {flag} 3.13 db\n"}
    if packages is not None:
        files["packages.txt"] = packages
    text = error_of(tmp_path, files)
    assert text.startswith("Dockerfile:2: ")
    assert message in text


UV_PROJECT = {
    "Dockerfile": "FROM img\nPYENV 3.13 project app\nPYENV 3.13 pinned app/pylock.toml\n",
    "app/pyproject.toml": "[project]\nname = 'app'\nversion = '0.1.0'\n",
    "app/uv.lock": 'version = 1\n\n[[package]]\nname = "app"\nversion = "0.1.0"\n',
    "app/pylock.toml": 'lock-version = "1.0"\n\n[[packages]]\nname = "six"\n',
}


def test_a_uv_project_directory_and_a_pylock_file(tmp_path):
    plan = plan_context(tmp_path, UV_PROJECT)
    found = venvs(plan)
    project, pinned = found["project"], found["pinned"]
    assert project.spec.requirements == "app/uv.lock" and project.spec.lock == "uv.lock"
    assert [(p.path, p.directory) for p in project.context_paths] == [("app", True)]
    assert pinned.spec.lock == "pylock"
    assert [p.path for p in pinned.context_paths] == ["app/pylock.toml"]
    text = render(plan).text
    stage = text[text.index("AS pyenv-venv-project") : text.index("AS pyenv-venv-pinned")]
    assert "PYENV_LOCK=uv.lock" in stage
    assert "PYENV_REQUIREMENTS=/tmp/buildkit-pyenv/context/app/uv.lock" in stage


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"app/uv.lock": None}, "'app' is a directory without a uv.lock"),
        ({"app/pyproject.toml": None}, "app/uv.lock has no pyproject.toml beside it"),
        (
            {"Dockerfile": "FROM img\nPYENV --installer=pip 3.13 pinned app/pylock.toml\n"},
            "app/pylock.toml is a lock file that only uv installs, and this line uses pip",
        ),
    ],
)
def test_bad_locked_environments_are_errors_at_the_line(tmp_path, files, message):
    project = {**UV_PROJECT, **files}
    project = {name: text for name, text in project.items() if text is not None}
    text = error_of(tmp_path, project)
    assert text.startswith("Dockerfile:2: ")
    assert message in text


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"app/uv.lock": "version = 1\n[[package]\n"},
            "app/uv.lock is not valid TOML: Expected ']]' at the end of an array declaration "
            "(at line 2, column 10)",
        ),
        (
            {"app/pylock.toml": 'lock-version = "1.0"\npackages = [\n'},
            "app/pylock.toml is not valid TOML: ",
        ),
        ({"app/uv.lock": b"version = 1\n# \xff\n"}, "app/uv.lock is not UTF-8 text (byte 14)"),
        ({"app/uv.lock": '[[package]]\nname = "app"\n'}, "app/uv.lock has no `version`"),
        ({"app/uv.lock": 'version = "1"\n[[package]]\n'}, "app/uv.lock has no `version`"),
        ({"app/uv.lock": "version = 1\n"}, "app/uv.lock has no [[package]] tables"),
        ({"app/uv.lock": "version = 1\npackage = 3\n"}, "app/uv.lock has no [[package]] tables"),
        ({"app/pylock.toml": "[[packages]]\n"}, "app/pylock.toml has no `lock-version`"),
        ({"app/pylock.toml": 'lock-version = "1.0"\n'}, "has no [[packages]] tables"),
        ({"app/pylock.toml": 'lock-version = "1.0"\n[packages]\n'}, "no [[packages]] tables"),
        (
            {"app/uv.lock": "version = 1\n[[package]]\n" + "a" + ".a" * 40 + " = 1\n"},
            "more than 32 parts on line 3",
        ),
        ({"app/uv.lock": "version = 1\nx = " + "[" * 5000 + "\n"}, "nested too deeply"),
    ],
)
def test_a_malformed_lock_file_is_an_error_at_the_line(files, message):
    project = {**UV_PROJECT, **files}
    encoded = {
        name: text if isinstance(text, bytes) else text.encode() for name, text in project.items()
    }
    context = Context(encoded, is_directory=lambda path: path == "app")
    with pytest.raises(PyenvError) as raised:
        plan_dockerfile(project["Dockerfile"], "Dockerfile", context=context, images=debian())
    text = str(raised.value)
    pylock = "app/pylock.toml" in files
    assert text.startswith(f"Dockerfile:{3 if pylock else 2}: "), text
    assert message in text
    hint = "uv export --format pylock.toml" if pylock else "uv lock"
    assert hint in text


# How the linear readers of requirements.py compare with what they replace: shlex (as
# pip splits an options line) and pip's comment pattern.
_PIP_COMMENT = re.compile(r"(^|\s+)#.*$")


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=" \t\r\n'\"\\ab#=\u00a0", max_size=24))
def test_an_options_line_splits_as_shlex_splits_it(line):
    try:
        expected: object = shlex.split(line)
    except ValueError as error:
        expected = str(error)
    try:
        found: object = option_words(line)
    except ValueError as error:
        found = str(error)
    assert found == expected


def _pip_logical_lines(text):
    """logical_lines with pip's pattern (and time quadratic in a line's length)."""
    found, pending, start, continued = [], "", 0, False
    for number, raw in enumerate(text.splitlines(), 1):
        if not continued:
            start = number  # a line that an empty one continues counts from there
        if raw.endswith("\\"):
            pending += raw[:-1]
            continued = True
            continue
        line = _PIP_COMMENT.sub("", pending + raw).strip()
        pending, continued = "", False
        if line:
            found.append((start, line))
    if pending and _PIP_COMMENT.sub("", pending).strip():
        found.append((start, _PIP_COMMENT.sub("", pending).strip()))
    return found


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=" \t#ab\\\n\u00a0\u2028", max_size=24))
def test_comments_are_dropped_as_pip_drops_them(text):
    assert logical_lines(text) == _pip_logical_lines(text)


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("https://user:pass@host/simple\n", [1]),
        ("-i https://token@host/simple\n", [1]),
        ("pkg @ git+ssh://git@host/pkg.git\n", []),
        ("x 1http://a@b\n", [1]),
        ("-i https://${USER}:${TOKEN}@host\n", []),
        ("a://b@c ftp://u:p@host\n", [1]),
        ("a://b@c\nftp://u:p@host\n", [2]),
        ("://user:pass@host\n", []),
        ("9://user:pass@host\n", []),
    ],
)
def test_credentials_are_found_in_any_url(text, lines):
    assert credential_lines(text) == lines


# --apt-file: read at render (package_list) and at build (templates/venv-build.sh) the
# same way: CRs dropped, `#` to the end of a line a comment, words split at spaces,
# tabs and newlines (the shell's IFS), each `name[:arch][=version]`.
VENV_BUILD = Path(__file__).resolve().parents[2] / "templates" / "venv-build.sh"


def build_time_packages(tmp_path, data: bytes) -> list[str]:
    """The words venv-build.sh makes of an --apt-file, by running its own lines."""
    lines = VENV_BUILD.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("    apt_packages="))
    end = next(i for i, line in enumerate(lines) if "$(echo $apt_packages)" in line)
    script = "\n".join(line.strip() for line in lines[start : end + 1])
    (tmp_path / "packages.txt").write_bytes(data)
    done = subprocess.run(
        ["sh", "-c", f'{script}\nfor word in $apt_packages; do printf "%s\\n" "$word"; done'],
        env={"PATH": "/usr/bin:/bin", "PYENV_APT_FILE": str(tmp_path / "packages.txt")},
        capture_output=True,
        check=True,
    )
    return done.stdout.decode().split("\n")[:-1]


@pytest.mark.parametrize(
    "text",
    [
        "libpq-dev\r\nunixodbc-dev\r\n",
        "libpq-dev # the client library\r\n# a comment\r\n\r\nlibldap2-dev\tlibsasl2-dev",
        "libpq-dev=15.8-0+deb12u1 libc6:amd64 libssl-dev:arm64=3.0.15-1~deb12u1\n",
        "g++ libstdc++6:i386=1:12.2.0-14\nlib.x+y-z\n",
        "a\rb\n",  # an old Mac line break: one line to the shell, so one here
        "# caf\u00e9 \u2028 not a package\nlibpq-dev\n",
    ],
)
def test_an_apt_file_is_read_at_render_as_the_build_reads_it(tmp_path, text):
    found = package_list(text, "packages.txt")
    assert found == build_time_packages(tmp_path, text.encode())


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("libpq-dev\u00a0unixodbc-dev\n", "libpq-dev\u00a0unixodbc-dev"),
        ("libpq-dev\x0bunixodbc-dev\n", "libpq-dev\x0bunixodbc-dev"),
        ("libpq-dev\x0cx\n", "libpq-dev\x0cx"),
        ("a\u2028b\n", "a\u2028b"),
        ("libpq-dev;reboot\n", "libpq-dev;reboot"),
        ("$(reboot)\n", "$(reboot)"),
        ("`reboot`\n", "`reboot`"),
        ("lib*\n", "lib*"),
        ("lib?x [ab]\n", "lib?x"),
        ("libpq-dev|x\n", "libpq-dev|x"),
        ("a&b\n", "a&b"),
        ("a>b\n", "a>b"),
        ("'libpq-dev'\n", "'libpq-dev'"),
        ('"libpq-dev"\n', '"libpq-dev"'),
        ("libpq\\-dev\n", "libpq\\-dev"),
        ("Libpq-dev\n", "Libpq-dev"),
        ("-y\n", "-y"),
        ("x\n", "x"),
        ("libpq-dev=\n", "libpq-dev="),
        ("libpq-dev=1.0 $x\n", "$x"),
        ("libpq-dev=1.0;x\n", "libpq-dev=1.0;x"),
        ("libpq-dev:AMD64\n", "libpq-dev:AMD64"),
        ("libpq-dev:amd64:i386\n", "libpq-dev:amd64:i386"),
        ("libpq-dev=1.0=2\n", "libpq-dev=1.0=2"),
        ("libpq-dev=1.0-\n", "libpq-dev=1.0-"),
        ("libpq-dev=a:1.0\n", "libpq-dev=a:1.0"),
        ("libpq-dev/bookworm\n", "libpq-dev/bookworm"),
        ("libpq-dev={1,2}\n", "libpq-dev={1,2}"),
    ],
)
def test_an_apt_file_refuses_what_is_no_package(text, word):
    with pytest.raises(RequirementsProblem) as raised:
        package_list(text, "packages.txt")
    assert raised.value.message == f"packages.txt:1: {word!r} is not a Debian package name"
    assert "name[:arch][=version]" in raised.value.hint


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "libpq-dev",
                "g++",
                "libc6:amd64",
                "x1=1:2.0~rc1-3+b1",
                " ",
                "\t",
                "\n",
                "\r",
                "\r\n",
                "#",
                "# c",
                "\u00e9",
                "\u00a0",
                "\x0b",
            ]
        ),
        max_size=12,
    ).map("".join)
)
def test_render_and_build_agree_on_any_apt_file(tmp_path_factory, text):
    try:
        found: object = package_list(text, "packages.txt")
    except RequirementsProblem:
        return  # refused at render: the build never reads it
    assert found == build_time_packages(tmp_path_factory.mktemp("apt"), text.encode())
