"""The runtime reads the manifest and the variables of an image as data a stranger may have
written: whatever they hold, what it shows is bounded, escaped and one line per record,
and a name that cannot be trusted to mean one environment is an error, never a guess."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buildkit_frontend import runtime
from buildkit_frontend.runtime import BrokenEnvironment, EnvironmentNotFound

#: Characters a terminal acts on or hides: line breaks, escapes, bidi and zero-width.
UNSAFE = "\n\r\x1b\x00\x7f\x85\u2028\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
UNSAFE += "\u200e\u200f\u200b\ufeff\ud800"


def interpreter(tmp_path: Path, name: str) -> str:
    path = tmp_path / name / "bin" / "python"
    path.parent.mkdir(parents=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


def manifest(tmp_path: Path, *entries: object) -> str:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"schema": 1, "environments": list(entries)}))
    return str(path)


def shown_safely(text: str) -> bool:
    """Whether `text` is lines of printable characters only."""
    return all(line.isprintable() for line in text.split("\n"))


# --- a typo among many environments ----------------------------------------------------


def many(count: int) -> dict[str, str]:
    return {f"ASTRO_PYENV_env_{i:05d}": "/x" for i in range(count)}


def test_a_typo_among_thousands_names_the_count_and_a_few_close_names(tmp_path):
    environ = {**many(20_000), "ASTRO_PYENV_tools": "/x"}
    with pytest.raises(EnvironmentNotFound) as raised:
        runtime.python_path("tool", str(tmp_path / "none.json"), environ)
    message = str(raised.value)
    assert len(message) < 600, message
    assert message.startswith("no PYENV environment named 'tool'. This image has 20001 ")
    assert "Did you mean 'tools'?" in message
    assert "more" in message and "env_19999" not in message


def test_a_name_like_none_of_thousands_still_shows_a_few(tmp_path):
    with pytest.raises(EnvironmentNotFound) as raised:
        runtime.python_path("zzz", str(tmp_path / "none.json"), many(20_000))
    message = str(raised.value)
    assert len(message) < 600, message
    assert "This image has 20000 environments" in message
    assert "env_00000" in message and "19995 more" in message
    assert "Did you mean" not in message


def test_a_few_environments_are_all_listed_as_before(tmp_path):
    with pytest.raises(EnvironmentNotFound) as raised:
        runtime.python_path("x", str(tmp_path / "none.json"), many(10))
    assert "This image has: env_00000, env_00001," in str(raised.value)
    assert "env_00009." in str(raised.value)


def test_finding_the_closest_of_many_similar_long_names_takes_no_time(tmp_path):
    """difflib compares the name with every other in full: with 20,000 names made to be
    alike, that took 18 seconds here."""
    draw = random.Random(1)
    names = ["".join(draw.choice("ab") for _ in range(64)) for _ in range(20_000)]
    environ = {f"ASTRO_PYENV_{name}{i}": "/x" for i, name in enumerate(names)}
    started = time.monotonic()
    with pytest.raises(EnvironmentNotFound) as raised:
        runtime.python_path("ab" * 32, str(tmp_path / "none.json"), environ)
    assert time.monotonic() - started < 5
    assert len(str(raised.value)) < 1500


# --- names and paths with control and bidi characters ----------------------------------


@pytest.mark.parametrize("character", UNSAFE)
def test_a_name_with_a_control_or_bidi_character_is_shown_escaped_and_invalid(tmp_path, character):
    good = interpreter(tmp_path, "good")
    name = f"evil{character}name"
    path = manifest(
        tmp_path,
        {"name": "good", "interpreter": good},
        {"name": name, "interpreter": good, "python": "3.13.5"},
    )
    found = runtime.inventory(path, {})
    evil = found.environments[name]  # the exact name, as the JSON output keeps it
    assert evil.problem is not None and shown_safely(evil.problem)
    assert runtime.escaped(name) in evil.problem
    (problem,) = found.manifest_problems
    assert shown_safely(problem) and "environment #2" in problem
    assert found.environments["good"].problem is None
    with pytest.raises(BrokenEnvironment) as raised:
        runtime.python_path(name, path, {})
    assert shown_safely(str(raised.value))
    # Not even a variable makes such a name usable.
    with pytest.raises(BrokenEnvironment):
        runtime.python_path(name, path, {f"ASTRO_PYENV_{name}": good})


def test_escaped_shows_every_unsafe_character_as_an_escape():
    assert runtime.escaped("etl") == "etl"
    assert runtime.escaped("caf\u00e9 \u6f22") == "caf\u00e9 \u6f22"
    assert runtime.escaped("a\nb\tc\\") == "a\\nb\\tc\\"
    assert runtime.escaped(runtime.escaped("\n\u202e")) == "\\n\\u202e"
    assert runtime.escaped("\x1b[2J\x00\x7f") == "\\x1b[2J\\x00\\x7f"
    assert runtime.escaped("x\u202ey\u2066\u200f") == "x\\u202ey\\u2066\\u200f"
    assert runtime.escaped("\ud800\U000e0001") == "\\ud800\\U000e0001"
    for character in UNSAFE:
        assert runtime.escaped(character).isprintable()


def test_a_table_has_one_line_per_row_whatever_the_cells_hold():
    rows = [
        {"name": "ok", "status": "ok"},
        {"name": "evil\nforged   3.13  ok", "status": None},
        {"name": "\u202eko", "status": "\x1b[31mred"},
    ]
    text = runtime.table(rows, ("name", "status"))
    lines = text.split("\n")
    assert len(lines) == 4 and shown_safely(text)
    assert lines[0].split() == ["NAME", "STATUS"]
    assert lines[1].split() == ["ok", "ok"]
    assert lines[2].split() == ["evil\\nforged", "3.13", "ok", "-"]
    assert lines[3].split() == ["\\u202eko", "\\x1b[31mred"]


def test_a_table_pads_to_the_widest_cell_as_before():
    text = runtime.table([{"a": "x", "b": 1}, {"a": "long", "b": None}], ("a", "b"))
    assert text == "A     B\nx     1\nlong  -"


def test_a_huge_cell_does_not_widen_every_row(tmp_path):
    rows = [{"name": "x" * 1_000_000}] + [{"name": f"e{i}"} for i in range(2_000)]
    text = runtime.table(rows, ("name",))
    assert len(text) < 2_000 * 400
    assert text.split("\n")[1].endswith("...")


def test_a_cell_that_is_no_text_is_shown_by_its_kind():
    """str() of a list nested deeply raises RecursionError a few frames down, and str()
    of a number of 5,000 digits ValueError (Python 3.11 and later)."""
    nested = json.loads("[" * 900 + "]" * 900)
    text = runtime.table([{"a": nested, "b": {"x": 1}, "c": 10**5000, "d": 3.5}], "abcd")
    assert text.split("\n")[1].split("  ") == [
        "a list",
        "an object",
        "a number too long to show",
        "3.5",
    ]


def test_an_interpreter_with_a_control_character_is_not_printed_for_a_task(tmp_path):
    good = interpreter(tmp_path, "good")
    forged = tmp_path / "a\nb"
    forged.mkdir()
    (forged / "python").write_text("#!/bin/sh\n")
    (forged / "python").chmod(0o755)
    path = manifest(tmp_path, {"name": "m", "interpreter": str(forged / "python")})
    found = runtime.inventory(path, {}).environments["m"]
    assert "control" in found.problem and shown_safely(found.problem)
    with pytest.raises(BrokenEnvironment) as raised:
        runtime.python_path("m", path, {})
    assert shown_safely(str(raised.value))
    with pytest.raises(BrokenEnvironment) as raised:
        runtime.python_path("v", path, {"ASTRO_PYENV_v": str(forged / "python")})
    assert shown_safely(str(raised.value)) and "a\\nb" in str(raised.value)
    assert runtime.python_path("v", path, {"ASTRO_PYENV_v": good}) == good


def test_a_variable_whose_name_holds_a_bidi_character_is_invalid(tmp_path):
    good = interpreter(tmp_path, "good")
    name = "etl\u202e"
    found = runtime.inventory(str(tmp_path / "none.json"), {f"ASTRO_PYENV_{name}": good})
    assert "etl\\u202e" in found.environments[name].problem
    with pytest.raises(BrokenEnvironment):
        runtime.python_path(name, str(tmp_path / "none.json"), {f"ASTRO_PYENV_{name}": good})


def test_what_a_record_says_is_shown_escaped_in_messages(tmp_path):
    path = manifest(tmp_path, {"name": "bad", "interpreter": 1, "variable": "PATH\n\u202e"})
    with pytest.raises(BrokenEnvironment) as raised:
        runtime.python_path("bad", path, {})
    message = str(raised.value)
    assert shown_safely(message) and "Set $ASTRO_PYENV_bad" in message


# --- two records with one name ---------------------------------------------------------


def test_two_records_with_one_name_are_a_conflict_not_a_guess(tmp_path):
    first, second = interpreter(tmp_path, "first"), interpreter(tmp_path, "second")
    path = manifest(
        tmp_path,
        {"name": "etl", "interpreter": first},
        {"name": "other", "interpreter": first},
        {"name": "etl", "interpreter": second},
    )
    found = runtime.inventory(path, {})
    assert list(found.environments) == ["etl", "other"]
    (problem,) = found.manifest_problems
    assert problem == (
        f"the PYENV manifest {path}: environments #1 and #3 are both named 'etl' "
        f"({first}, {second}): a name must be unique"
    )
    etl = found.environments["etl"]
    assert etl.interpreter == "" and first in etl.problem and second in etl.problem
    with pytest.raises(BrokenEnvironment) as raised:
        runtime.python_path("etl", path, {})
    message = str(raised.value)
    assert "'etl'" in message and "#1" in message and "#3" in message
    assert first in message and second in message
    # The variable does not settle it: the image's records disagree on what etl is.
    with pytest.raises(BrokenEnvironment):
        runtime.python_path("etl", path, {"ASTRO_PYENV_etl": first})
    assert runtime.python_path("other", path, {}) == first


def test_thousands_of_records_with_one_name_give_a_bounded_message(tmp_path):
    path = manifest(
        tmp_path, *({"name": "etl", "interpreter": f"/v{i}/python"} for i in range(5000))
    )
    (problem,) = runtime.inventory(path, {}).manifest_problems
    assert len(problem) < 500 and "5000 environments" in problem
    with pytest.raises(BrokenEnvironment) as raised:
        runtime.python_path("etl", path, {})
    assert len(str(raised.value)) < 800


# --- other crafted manifests -----------------------------------------------------------


def test_many_bad_records_give_bounded_errors(tmp_path):
    path = manifest(tmp_path, *({"name": f"b{i}", "interpreter": 1} for i in range(20_000)))
    assert len(runtime.inventory(path, {}).manifest_problems) == 20_000  # `envs` lists each
    with pytest.raises(EnvironmentNotFound) as raised:
        runtime.python_path("nope", path, {})
    assert len(str(raised.value)) < 1500
    with pytest.raises(BrokenEnvironment) as raised:
        runtime.environments(path, {})
    assert len(str(raised.value)) < 1500 and "19997 more" in str(raised.value)


def test_a_huge_name_or_path_gives_bounded_messages(tmp_path):
    huge = "n" * 1_000_000
    path = manifest(
        tmp_path, {"name": huge, "interpreter": 1}, {"name": "p", "interpreter": "/" + huge}
    )
    found = runtime.inventory(path, {})
    assert all(len(problem) < 500 for problem in found.manifest_problems)
    assert len(found.environments["p"].problem) < 500
    for name in (huge, "p", "other"):
        with pytest.raises((EnvironmentNotFound, BrokenEnvironment)) as raised:
            runtime.python_path(name, path, {})
        assert len(str(raised.value)) < 1500


def test_a_number_too_long_to_be_one_is_refused_before_it_is_converted(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text('{"schema": 1' + "0" * 200 + ', "environments": []}')
    (problem,) = runtime.inventory(str(path), {}).manifest_problems
    assert "not valid JSON" in problem and "digits" in problem


@pytest.mark.parametrize("packages", [False, 0, "", "six"])
def test_packages_of_the_wrong_type_are_a_problem_even_when_falsy(tmp_path, packages):
    path = manifest(tmp_path, {"name": "p", "interpreter": "/x", "packages": packages})
    assert "has 'packages'" in runtime.inventory(path, {}).environments["p"].problem


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)
TEXT = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(UNSAFE), max_size=8)
RECORD = st.fixed_dictionaries(
    {},
    optional={
        "name": TEXT | JSON,
        "interpreter": TEXT | JSON,
        "python": TEXT | JSON,
        "variable": TEXT | JSON,
        "packages": st.dictionaries(TEXT, TEXT | JSON, max_size=3) | JSON,
    },
)
MANIFEST = st.fixed_dictionaries({}, optional={"environments": st.lists(RECORD | JSON, max_size=6)})


@settings(max_examples=300, deadline=None)
@given(data=MANIFEST | JSON, variables=st.dictionaries(TEXT, TEXT, max_size=3), name=TEXT)
def test_any_manifest_gives_safe_rows_and_errors_never_a_traceback(
    tmp_path_factory, data, variables, name
):
    environ = {f"ASTRO_PYENV_{key}": value for key, value in variables.items()}
    path = tmp_path_factory.mktemp("manifest") / "manifest.json"
    path.write_text(json.dumps(data))
    entries, problems = runtime.manifest_records(data, str(path))
    found = runtime.inventory(str(path), environ)
    assert found.manifest_problems == tuple(problems)
    assert all(shown_safely(problem) for problem in problems)
    rows = [
        {"name": env.name, "interpreter": env.interpreter, "status": env.problem or "ok"}
        for env in found.environments.values()
    ]
    text = runtime.table(rows, ("name", "interpreter", "status"))
    assert shown_safely(text) and len(text.split("\n")) == len(rows) + 1
    try:
        runtime.python_path(name, str(path), environ)
    except (EnvironmentNotFound, BrokenEnvironment) as error:
        assert shown_safely(str(error))
    for entry in entries:
        try:
            runtime.environment(entry.name, str(path), environ)
        except (EnvironmentNotFound, BrokenEnvironment) as error:
            assert shown_safely(str(error))
