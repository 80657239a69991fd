"""The PYENV grammar: what a line may say, and the error each mistake gets."""

from __future__ import annotations

import pytest

from buildkit_frontend.errors import PyenvError, SourceRange
from buildkit_frontend.pyenv_grammar import parse_pyenv
from buildkit_frontend.survey import survey_text

WHERE = SourceRange("Dockerfile", 3, 3)


def pyenv(value: str, **variables: str):
    return parse_pyenv(value, WHERE, f"PYENV {value}\n", variables)


def error_of(value: str, **variables: str) -> str:
    with pytest.raises(PyenvError) as raised:
        pyenv(value, **variables)
    return str(raised.value)


def test_upstream_forms_are_accepted():
    spec = pyenv("3.8 snowpark snowpark-requirements.txt")
    assert (spec.version, spec.name, spec.requirements) == (
        "3.8",
        "snowpark",
        "snowpark-requirements.txt",
    )
    assert spec.venv_path == "/home/astro/.venv/snowpark"
    assert spec.variable == "ASTRO_PYENV_snowpark"
    assert spec.python == "/home/astro/.venv/snowpark/bin/python"
    bare = pyenv("3.10 venv1")
    assert bare.requirements is None
    assert pyenv("3.10 python-310").name == "python-310"


@pytest.mark.parametrize("version", ["3.13", "3.13.5", "3.14.0rc1", "3.12.0b3", "3.9.0a1"])
def test_versions(version):
    assert pyenv(f"{version} tools").version == version


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("3 tools", "invalid Python version '3'"),
        ("3.13.x tools", "invalid Python version '3.13.x'"),
        ("latest tools", "invalid Python version 'latest'"),
        ("3.13rc1 tools", "invalid Python version '3.13rc1'"),
        ("2.7 legacy", "Python 2.7 is not supported"),
        ("3.13 my.env", "invalid venv name 'my.env'"),
        ("3.13 -tools", "invalid venv name '-tools'"),
        ("3.13", "needs a Python version and a venv name, got only '3.13'"),
        ("", "needs a Python version and a venv name, got nothing"),
        ("3.13 a b.txt c", "unexpected argument 'c'"),
        ("--pth=/x 3.13 a", "unknown flag --pth"),
        ("--path 3.13 a", "--path needs a value"),
        ("--path=/a --path=/b 3.13 a", "--path is given twice"),
        ("--path=relative 3.13 a", "--path=relative must be an absolute directory"),
        ("--path=/opt/pyenv/x 3.13 a", "inside /opt/pyenv"),
        ("--sha256=abc 3.13.5 a", "64 hexadecimal digits"),
        (f"--sha256={'a' * 64} 3.13 a", "needs an exact version such as 3.13.0"),
        ("3.13 a /abs/req.txt", "must be a path inside the build context"),
        ("3.13 a ../req.txt", "leaves the build context"),
        ("3.13 a sub/../../req.txt", "leaves the build context"),
        ("3.13 a req*.txt", "holds a wildcard"),
        ("3.13 a .", "is a directory"),
    ],
)
def test_errors_say_what_is_wrong(value, message):
    text = error_of(value)
    assert text.startswith("Dockerfile:3: ")
    assert message in text
    assert f"3 | PYENV {value}".rstrip() in text


def test_flag_after_positionals_gets_a_hint():
    text = error_of("3.13 a req.txt --path=/x")
    assert "unexpected argument '--path=/x'" in text
    assert "hint: flags go before the version" in text


def test_unknown_flag_lists_the_known_ones():
    assert "hint: PYENV knows --path, --sha256" in error_of("--foo=1 3.13 a")


def test_flags():
    digest = "AB" * 32
    spec = pyenv(f"--path=/srv/envs/x/ --sha256={digest} 3.13.5 x")
    assert spec.venv_path == "/srv/envs/x"
    assert spec.python == "/srv/envs/x/bin/python"
    assert spec.sha256 == digest.lower()


def test_airflow_is_a_switch():
    assert pyenv("--airflow 3.13 etl requirements.txt").airflow is True
    assert pyenv("--airflow=false 3.13 etl").airflow is False
    assert pyenv("3.13 etl").airflow is False
    assert "--airflow=3.3.2 is not one of true, false" in error_of("--airflow=3.3.2 3.13 etl")
    assert "--airflow is given twice" in error_of("--airflow --airflow 3.13 etl")


def test_requirements_path_is_normalised():
    assert pyenv("3.13 a ./reqs//a.txt").requirements == "reqs/a.txt"


def test_quoted_arguments():
    assert pyenv('3.13 a "my reqs.txt"').requirements == "my reqs.txt"


def test_build_args_are_substituted():
    spec = pyenv("${PY} ${NAME}_env $REQS", PY="3.12", NAME="etl", REQS="etl.txt")
    assert (spec.version, spec.name, spec.requirements) == ("3.12", "etl_env", "etl.txt")
    assert pyenv("${PY:-3.11} a").version == "3.11"
    assert pyenv("${PY:-3.11} a", PY="3.13").version == "3.13"


def test_single_quotes_and_escapes_are_not_substituted():
    assert "invalid venv name '$NAME'" in error_of("3.13 '$NAME'", NAME="x")
    assert "invalid venv name '$NAME'" in error_of("3.13 \\$NAME", NAME="x")


def test_unset_build_arg_names_the_fix():
    text = error_of("${PY} tools")
    assert "$PY is not set" in text
    assert "ARG PY=<value>" in text and "--build-arg PY=<value>" in text


def test_build_arg_with_spaces_is_refused():
    assert "not a single word" in error_of("$PY tools", PY="3.13 evil")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/", "is the system directory /"),
        ("/usr", "is the system directory /usr"),
        ("/usr/local", "is the system directory /usr/local"),
        ("/etc", "is the system directory /etc"),
        ("/bin", "is the system directory /bin"),
        ("/home/astro", "is the system directory /home/astro"),
        ("/home/astro/", "is the system directory /home/astro"),
        ("/root", "is the system directory /root"),
        ("/var/lib/", "is the system directory /var/lib"),
        ("/opt", "is the system directory /opt"),
        ("/usr/local/lib/..", "is the system directory /usr/local"),
        ("/home/astro/.venv/../../..", "is the system directory /"),
        ("/opt/pyenv", "is inside /opt/pyenv, which buildkit-pyenv uses"),
        ("/opt/pyenv/versions/x", "is inside /opt/pyenv"),
        ("/etc/buildkit-pyenv", "is inside /etc/buildkit-pyenv"),
        ("/var/lib/buildkit-pyenv/export", "is inside /var/lib/buildkit-pyenv"),
        ("/var/cache/buildkit-pyenv", "is inside /var/cache/buildkit-pyenv"),
        ("/tmp/buildkit-pyenv/x", "is inside /tmp/buildkit-pyenv"),
        ("/root/.cache", "would hold /root/.cache/uv"),
        ("/root/.cache/uv/venv", "is inside /root/.cache/uv"),
    ],
)
def test_path_may_not_be_or_hold_a_system_or_own_directory(path, message):
    text = error_of(f"--path={path} 3.13 a")
    assert f"--path={path} {message}" in text
    assert "hint: put the venv in a directory of its own" in text


@pytest.mark.parametrize(
    "path", ["/usr/local/venvs/a", "/srv/envs/a", "/home/astro/.venv", "/opt/venvs/a", "/data"]
)
def test_path_below_a_system_directory_is_fine(path):
    assert pyenv(f"--path={path} 3.13 a").venv_path == path


def survey_paths(*paths: str) -> None:
    """Survey a Dockerfile whose PYENV lines, in one stage, use `paths`."""
    lines = ["FROM img", *(f"PYENV --path={p} 3.13 e{n}" for n, p in enumerate(paths))]
    survey_text("\n".join(lines) + "\n", "Dockerfile", {})


def test_a_venv_inside_another_is_refused_at_the_later_line_naming_both():
    with pytest.raises(PyenvError) as raised:
        survey_paths("/envs/a", "/envs/a-b", "/envs/a/inner")
    assert raised.value.show().startswith(
        "Dockerfile:4: venv path '/envs/a/inner' is inside the venv '/envs/a' of Dockerfile:2"
    )
    assert [r.start for r in raised.value.ranges] == [4, 2]
    with pytest.raises(PyenvError) as raised:
        survey_paths("/envs/a/inner", "/envs/a")
    assert str(raised.value).startswith(
        "Dockerfile:3: venv path '/envs/a' is around the venv '/envs/a/inner' of Dockerfile:2"
    )


def test_a_venv_inside_one_of_a_parent_stage_is_refused():
    text = (
        "FROM img AS base\nPYENV --path=/envs/a 3.13 a\nFROM base\nPYENV --path=/envs/a/b 3.13 b\n"
    )
    with pytest.raises(PyenvError) as raised:
        survey_text(text, "Dockerfile", {})
    assert "Dockerfile:4: venv path '/envs/a/b' is inside the venv '/envs/a'" in str(raised.value)
    # In stages that do not build on each other, the same paths are fine.
    survey_text(text.replace("FROM base", "FROM img"), "Dockerfile", {})


def test_sibling_venvs_are_not_nested():
    survey_paths("/envs/a", "/envs/a-b", "/envs/ab", "/envs/b/a")
    survey_paths()


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("3.\u0661\u0663 a", "invalid Python version '3.\u0661\u0663'"),  # Arabic-Indic digits
        ("\uff13.13 a", "invalid Python version"),  # a fullwidth 3
        ("3.08 a", "invalid Python version '3.08'"),
        ("3.13.5rc0 a", "invalid Python version"),
        ("3.7 old", "Python 3.7 is older than 3.8, the oldest CPython PYENV supports"),
        ("3.6.15 old", "Python 3.6.15 is older than 3.8"),
        ("3.0 old", "Python 3.0 is older than 3.8"),
    ],
)
def test_unknown_version_hygiene(version, message):
    text = error_of(version)
    assert message in text
    assert "Dockerfile:3: " in text


def test_oldest_supported_version_is_accepted():
    assert pyenv("3.8 snowpark").version == "3.8"
    assert pyenv("3.8.20 snowpark").version == "3.8.20"


def test_path_within_linux_limits():
    assert pyenv(f"--path=/{'a' * 255}/b 3.13 a").venv_path == f"/{'a' * 255}/b"
    text = error_of(f"--path=/{'a' * 256} 3.13 a")
    assert "is too long for Linux: at most 255 characters a part and 4084 in all" in text
    assert "(257 characters)" in text  # the message shows it cut short
    deep = "/ab" * 1400
    assert "too long for Linux" in error_of(f"--path={deep} 3.13 a")
