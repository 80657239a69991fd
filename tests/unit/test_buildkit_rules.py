"""Rendering reads lines the way BuildKit does: given these Dockerfiles, this comes out
or this error is shown (BuildKit's own reading of each case is in
tests/fixtures/buildkit-parse)."""

from __future__ import annotations

import dataclasses

import pytest

from buildkit_frontend.errors import PyenvError
from buildkit_frontend.plan import plan_dockerfile
from buildkit_frontend.render import render
from tests.unit.facts import debian


def plan(text: str):
    return plan_dockerfile(text, "Dockerfile", images=debian())


def rendered(text: str) -> str:
    return render(plan(text)).text


def error(text: str) -> PyenvError:
    with pytest.raises(PyenvError) as raised:
        render(plan(text))
    return raised.value


def user_part(text: str) -> str:
    """The rendered file from the last user FROM on (helper stages dropped)."""
    return text[text.rindex("\nFROM img") + 1 :]


def test_pyenv_after_an_empty_continuation_line_is_an_error_not_part_of_run():
    raised = error("FROM img\nRUN echo hello \\\n\nPYENV 3.12 probe\n")
    assert "the PYENV line 4 is part of the RUN instruction above it" in raised.message
    assert (raised.where.start, raised.where.end) == (2, 4)


def test_from_and_pyenv_split_by_empty_continuation_lines_are_read_whole():
    plain = "FROM \\\n\nimg AS base\nRUN true\n"
    assert rendered(plain) == plain
    text = "FROM img\nPYENV 3.12 \\\n\n  probe\nRUN true\n"
    assert [spec.name for spec in plan(text).environments] == ["probe"]
    assert "# PYENV 3.12 \\\n# \n#   probe\n" in rendered(text)


@pytest.mark.parametrize(
    ("opening", "terminator"),
    [("<<\\EOF", "EOF"), ('<<E"O"F', "EOF"), ("<<-EOF", "\t\tEOF"), ("<<'EOF'", "EOF")],
)
def test_heredoc_names_as_buildkit_reads_them(opening, terminator):
    text = f"FROM img\nRUN {opening}\n\tPYENV 3.12 fake\n{terminator}\nPYENV 3.12 real\n"
    assert [spec.name for spec in plan(text).environments] == ["real"]


def test_hash_heredoc_name_above_a_from_keeps_helpers_out_of_the_body():
    text = "FROM img AS a\nRUN <<#END\n# body\n#END\nFROM img\nPYENV 3.12 x\n"
    out = rendered(text)
    assert "RUN <<#END\n# body\n#END\n# buildkit-pyenv:" in out


@pytest.mark.parametrize("command", ["RUN", "COPY", "ADD", "run"])
def test_onbuild_heredocs_are_heredocs(command):
    target = "" if command.lower() == "run" else " /x"
    text = f"FROM img\nONBUILD {command} <<EOF{target}\nPYENV 3.12 fake\nEOF\nPYENV 3.12 real\n"
    assert [spec.name for spec in plan(text).environments] == ["real"]
    assert "ONBUILD" in user_part(rendered(text))


@pytest.mark.parametrize("end", ["", "\n", "\n# comment\n\n"])
def test_pyenv_still_continued_at_end_of_file_is_expanded(end):
    text = "FROM img\nPYENV 3.12 probe \\" + end
    assert [spec.name for spec in plan(text).environments] == ["probe"]
    assert "ENV ASTRO_PYENV_probe=" in rendered(text)


def test_keyword_glued_to_the_next_line_is_an_unknown_instruction():
    raised = error("FROM img\nPYENV\\\n3.12 probe\n")
    assert raised.message == "unknown instruction: PYENV3.12"
    assert "put a space" in raised.hint
    assert [s.name for s in plan("FROM img\nPYENV\\\n 3.12 probe\n").environments] == ["probe"]


@pytest.mark.parametrize(
    ("keyword", "message"),
    [
        ("PYEVN", "unknown instruction: PYEVN (did you mean PYENV?)"),
        ("pyevn", "unknown instruction: pyevn (did you mean pyenv?)"),
        ("COPPY", "unknown instruction: COPPY (did you mean COPY?)"),
        ("FROBNICATE", "unknown instruction: FROBNICATE"),
    ],
)
def test_unknown_instructions_as_buildkit_reports_them(keyword, message):
    raised = error(f"FROM img\n{keyword} 3.12 x\n")
    assert raised.message == message
    assert raised.where.start == 2


@pytest.mark.parametrize("after", ["\f", "\v", "\u00a0"])
def test_only_space_and_tab_may_follow_the_escape_character(after):
    text = f"FROM img\nRUN echo a \\{after}\nPYENV 3.12 x\n"
    assert [spec.name for spec in plan(text).environments] == ["x"]
    assert f"RUN echo a \\{after}\n# PYENV 3.12 x\n" in rendered(text)


@pytest.mark.parametrize("directive", [" # escape=`", "\t# escape=`", "#escape = `"])
def test_directives_with_leading_white_space_stay_on_top(directive):
    text = f"{directive}\nFROM img\nPYENV 3.12 x `\n  --seed\n"
    out = rendered(text)
    assert out.startswith(directive + "\n# buildkit-pyenv:")
    assert "LABEL buildkit-pyenv.env.x.requested=3.12 `\n" in out


NUMERIC = (
    "FROM img AS zero\n"
    "FROM img\n"
    "COPY \\\n--from=0 /a /b\n"
    "COPY --from=0\\\n /a /b\n"
    'COPY --chown=1 \\\n  --from="0" /a /b\n'
    "RUN --mount=type=cache,target=/c \\\n    --mount=target=/y,from=0 true\n"
    'RUN echo "--mount=type=bind,from=0" --from=0\n'
    "COPY a --from=0 /b\n"
    "ONBUILD COPY --from=0 /a /b\n"
    "RUN -- --mount=from=0 true\n"
)


def test_numeric_stage_references_are_renumbered_where_buildkit_reads_flags():
    text = "FROM img AS zero\nPYENV 3.12 x\n" + NUMERIC.split("\n", 1)[1]
    full = rendered(text)
    out = user_part(full)
    # Stage 0 is now the one after the helper stages rendered above it.
    helpers = full[: full.index("FROM img AS zero")].count("\nFROM ")
    assert helpers >= 4
    shifted = str(plan(text).stages[0].index + helpers)
    assert out.split("\n", 1)[1].startswith(
        "COPY \\\n"
        f"--from={shifted} /a /b\n"
        f"COPY --from={shifted}\\\n /a /b\n"
        f'COPY --chown=1 \\\n  --from="{shifted}" /a /b\n'
        "RUN --mount=type=cache,target=/c \\\n"
        f"    --mount=target=/y,from={shifted} true\n"
        'RUN echo "--mount=type=bind,from=0" --from=0\n'
        "COPY a --from=0 /b\n"
        "ONBUILD COPY --from=0 /a /b\n"
        "RUN -- --mount=from=0 true\n"
    )


def test_without_shifting_stages_nothing_is_renumbered():
    text = NUMERIC + "PYENV 3.12 x\n"
    assert user_part(rendered(text)).startswith("FROM img\n" + NUMERIC.split("FROM img\n")[1])


@pytest.mark.parametrize("reference", ["2", "7", "-1"])
def test_a_stage_reference_invalid_in_the_input_stays_an_error(reference):
    text = f"FROM img AS a\nPYENV 3.12 x\nFROM img\nCOPY --from={reference} /a /b\n"
    raised = error(text)
    assert raised.message.startswith(f"--from={reference} names no stage")
    assert raised.where.start == 4


def test_a_pyenv_line_that_is_not_expanded_fails_the_render():
    unexpanded = dataclasses.replace(plan("FROM img\nPYENV 3.12 x\n"), expansions={})
    with pytest.raises(PyenvError) as raised:
        render(unexpanded)
    assert raised.value.message == "this PYENV line was not expanded"
    assert raised.value.where.start == 2
