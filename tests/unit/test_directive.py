"""The PYENV grammar: what a line may say, and the error each mistake gets."""

from __future__ import annotations

import pytest

from buildkit_frontend.directive import parse_pyenv
from buildkit_frontend.errors import PyenvError, SourceRange

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
