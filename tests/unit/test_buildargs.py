"""Build arguments expanded as BuildKit expands them.

tests/fixtures/buildkit-expand/expected.json is what moby/buildkit's own shell lexer
and parser make of the cases in cases.json (tools/buildkit-expand/regenerate.sh writes
it): single words expanded (ProcessWord), the words of an ARG line (parseWords), and
the values a series of ARG lines gives (as dockerfile2llb evaluates global ARGs).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from buildkit_frontend.buildargs import ShellError, process_word, resolve, shell_words
from buildkit_frontend.dockerfile import parse
from buildkit_frontend.errors import PyenvError
from buildkit_frontend.plan import plan_dockerfile
from buildkit_frontend.survey import survey_text
from tests.unit.facts import debian

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "buildkit-expand"
CASES = json.loads((FIXTURES / "cases.json").read_text(encoding="utf-8"))
EXPECTED = {
    o["name"]: o for o in json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
}


def of_kind(kind: str) -> list:
    return [pytest.param(case, id=case["name"]) for case in CASES if case["kind"] == kind]


def test_every_case_has_buildkits_result():
    assert CASES
    assert [case["name"] for case in CASES] == list(EXPECTED), (
        "run tools/buildkit-expand/regenerate.sh"
    )


@pytest.mark.parametrize("case", of_kind("word"))
def test_a_word_expands_as_buildkit_expands_it(case):
    expected = EXPECTED[case["name"]]
    escape = case.get("escape", "\\")
    if "error" in expected:
        with pytest.raises(ShellError) as raised:
            process_word(case["input"], case["env"], escape)
        assert raised.value.message == expected["error"]
    else:
        assert process_word(case["input"], case["env"], escape) == expected["result"]


@pytest.mark.parametrize("case", of_kind("words"))
def test_an_arg_line_splits_as_buildkit_splits_it(case):
    expected = EXPECTED[case["name"]]
    assert shell_words(case["input"], case.get("escape", "\\")) == expected["words"]


@pytest.mark.parametrize("case", of_kind("args"))
def test_arg_lines_give_the_values_buildkit_gives(case):
    expected = EXPECTED[case["name"]]
    head = "# escape=`\n" if case.get("escape") == "`" else ""
    dockerfile = parse(head + case["input"])
    build_args = case.get("build_args", {})
    if "error" in expected:
        with pytest.raises(PyenvError) as raised:
            resolve(dockerfile.instructions, build_args, dockerfile=dockerfile)
        assert raised.value.message == expected["error"]
        assert raised.value.where.start == 1
        return
    assert resolve(dockerfile.instructions, build_args, dockerfile=dockerfile) == expected["values"]


# Through the planner: a PYENV line's words, and values that reach a setting.


def spec_of(text: str, **build_args: str):
    plan = plan_dockerfile(text, "Dockerfile", build_args, images=debian())
    (spec,) = [h.spec for group in plan.helpers.values() for h in group if hasattr(h, "spec")][:1]
    return spec


def test_a_pyenv_line_expands_nested_pattern_and_alternative_forms():
    spec = spec_of(
        "ARG PY=3.12.4\nARG TEAM=etl\nFROM img\n"
        "PYENV ${PY%.*} ${NAME:-${TEAM}} ${TEAM:+reqs/${TEAM}.txt}\n"
    )
    assert (spec.version, spec.name, spec.requirements) == ("3.12", "etl", "reqs/etl.txt")


@pytest.mark.parametrize(
    ("words", "version"),
    [
        ("${PY%%.*}.${PY#*.}", "3.12.4"),
        ("${PY%.4}", "3.12"),
        ("${PY/.4/}", "3.12"),
        ("${PY//./.}", "3.12.4"),
        ("'${PY%.*}'", None),  # single quotes: no substitution, so no version
        ('"${PY%.*}"', "3.12"),
    ],
)
def test_pyenv_versions_from_patterns(words, version):
    text = f"ARG PY=3.12.4\nFROM img\nPYENV {words} x\n"
    if version is None:
        with pytest.raises(PyenvError) as raised:
            spec_of(text)
        assert "invalid Python version '${PY%.*}'" in str(raised.value)
        return
    assert spec_of(text).version == version


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("PYENV ${PY:?unset} x", 'failed to process "${PY:?unset}": PY: unset'),
        ("PYENV ${V:%.*} x", "unsupported modifier (:%) in substitution"),
        ("PYENV ${V x", 'failed to process "${V": unsupported modifier (\ufffd) in substitution'),
        ("PYENV ${V%\\.*} x", 'failed to process "${V%\\\\.*}": invalid pattern (*\\.) in'),
        ("PYENV ${V:-3.13} ${V:-a b}", "${V:-a\": syntax error: missing '}'"),  # split first
    ],
)
def test_what_buildkit_fails_on_is_an_error(line, message):
    with pytest.raises(PyenvError) as raised:
        spec_of(f"ARG V=3.13\nFROM img\n{line}\n")
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("args", "value"),
    [
        ('ARG X=a\\"b\n', 'a"b'),
        ('ARG X="a\\\\b"\n', "a\\b"),
        ("ARG X='--with-openssl=\"/opt/ssl\"'\n", '--with-openssl="/opt/ssl"'),
        ('ARG X="a b" Y=c\n', "a b"),
    ],
)
def test_a_value_through_another_arg_keeps_what_buildkit_keeps(args, value):
    text = args + "ARG PYENV_PYTHON_CONFIGURE_OPTS=$X\nFROM img\nPYENV 3.13.1 x\n"
    settings = survey_text(text, "Dockerfile", {}).settings
    assert settings.source_args["PYENV_PYTHON_CONFIGURE_OPTS"] == value


def test_an_arg_default_buildkit_fails_on_names_its_line():
    dockerfile = parse("FROM img\nARG A=1\nARG B=${A:?}${C:?needed}\n")
    with pytest.raises(PyenvError) as raised:
        resolve(dockerfile.instructions, {}, dockerfile=dockerfile)
    assert raised.value.message == 'failed to process "${A:?}${C:?needed}": C: needed'
    assert raised.value.where.start == 3


def test_hundreds_of_nested_substitutions_are_refused_not_a_crash():
    word = "${A:-" * 2000 + "x" + "}" * 2000
    with pytest.raises(ShellError) as raised:
        process_word(word, {})
    assert "nested more deeply than buildkit-pyenv reads" in raised.value.message
    assert process_word("${A:-" * 50 + "x" + "}" * 50, {}) == "x"


def test_arg_lines_are_read_with_the_dockerfiles_escape_character():
    dockerfile = parse('# escape=`\nARG P=C:\\Python\\`$X Q=a`"b\nFROM img\n')
    values = resolve(dockerfile.instructions, {})
    assert values == {"P": "C:\\Python\\$X", "Q": 'a"b'}
