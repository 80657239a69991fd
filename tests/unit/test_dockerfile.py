"""Reading Dockerfiles: lines, directives, continuations and heredocs."""

from __future__ import annotations

import pytest

from buildkit_frontend.dockerfile import (
    MAX_LINE_BYTES,
    Syntax,
    decode_dockerfile,
    detect_syntax,
    parse,
    split_lines,
)
from buildkit_frontend.errors import PyenvError


def keywords(text: str) -> list[tuple[str, int, int]]:
    return [(i.keyword, i.start, i.end) for i in parse(text).instructions]


def test_continuations_and_comments():
    text = "FROM a\nRUN one \\\n  # a comment inside\n  two\npyenv 3.13 \\\n x\n"
    assert keywords(text) == [("FROM", 0, 0), ("RUN", 1, 3), ("PYENV", 4, 5)]
    pyenv = parse(text).instructions[2]
    assert pyenv.value.split() == ["3.13", "x"]


def test_escape_directive_backtick():
    text = "# escape=`\nFROM a\nPYENV 3.13 `\n  x\n"
    parsed = parse(text)
    assert parsed.directives[0].name == "escape"
    assert parsed.instructions[1].value.split() == ["3.13", "x"]
    assert (parsed.instructions[1].start, parsed.instructions[1].end) == (2, 3)


def test_directives_stop_at_the_first_other_line():
    parsed = parse("# syntax=img\n# check=skip=all\n\n# escape=`\nFROM a\n")
    assert [(d.name, d.value, d.line) for d in parsed.directives] == [
        ("syntax", "img", 0),
        ("check", "skip=all", 1),
    ]


def test_heredoc_bodies_are_not_instructions():
    text = (
        "FROM a\n"
        "RUN <<EOF\n"
        "PYENV 3.13 fake\n"
        "echo hi \\\n"
        "EOF\n"
        "COPY <<-'ONE' <<TWO /dst/\n"
        "\tPYENV 3.12 also-fake\n"
        "\tONE\n"
        "RUN not an instruction\n"
        "TWO\n"
        "PYENV 3.13 real\n"
    )
    assert keywords(text) == [("FROM", 0, 0), ("RUN", 1, 4), ("COPY", 5, 9), ("PYENV", 10, 10)]
    assert parse(text).instructions[2].head_end == 5


def test_heredoc_in_quotes_is_not_a_heredoc():
    text = "FROM a\nRUN echo '<<EOF'\nPYENV 3.13 real\n"
    assert [k for k, _, _ in keywords(text)] == ["FROM", "RUN", "PYENV"]


def test_crlf_and_missing_final_newline():
    text = "FROM a\r\nPYENV 3.13 x\r\nCMD y"
    parsed = parse(text)
    assert parsed.lines == ("FROM a\r\n", "PYENV 3.13 x\r\n", "CMD y")
    assert parsed.instructions[1].value.split() == ["3.13", "x"]


# BuildKit's parser reads a line of at most 65535 bytes, newline not counted (its line
# scanner's buffer of 64 KiB holds the newline); a longer one fails the build with this
# message, which names the line before it (ours names the line itself). Checked with
# tools/buildkit-parse on lines of 65535 and 65536 bytes, with and without a final
# newline, and with CRLF (the CR counts).
@pytest.mark.parametrize(
    ("line", "ok"),
    [
        ("RUN " + "a" * (MAX_LINE_BYTES - 4) + "\n", True),
        ("RUN " + "a" * (MAX_LINE_BYTES - 4), True),
        ("RUN " + "a" * (MAX_LINE_BYTES - 6) + "é\n", True),
        ("RUN " + "a" * (MAX_LINE_BYTES - 3) + "\n", False),
        ("RUN " + "a" * (MAX_LINE_BYTES - 3), False),
        ("RUN " + "a" * (MAX_LINE_BYTES - 4) + "\r\n", False),
        ("RUN " + "a" * (MAX_LINE_BYTES - 5) + "é\n", False),
    ],
)
def test_a_line_longer_than_buildkit_reads_is_an_error(line, ok):
    text = "FROM a\n" + line
    if ok:
        assert [i.keyword for i in parse(text).instructions] == ["FROM", "RUN"]
        return
    with pytest.raises(PyenvError) as raised:
        parse(text)
    assert raised.value.message == "dockerfile line greater than max allowed size of 65535"
    assert raised.value.where.start == 2
    assert "bytes long" in raised.value.hint


# The frontend BuildKit forwards a build to (parser.DetectSyntax), which is not always
# one of Parse's directives; tests/fixtures/buildkit-parse/syntax-*.Dockerfile hold
# BuildKit's own reading of these (the image; the line is the one it reads).
@pytest.mark.parametrize(
    ("head", "syntax"),
    [
        ("# syntax=img:1\n", Syntax("img:1", "img:1", 0)),
        ("#!/bin/sh\n# syntax=img:1\n", Syntax("img:1", "img:1", 1)),
        ("\ufeff#!/bin/sh\n# syntax=img:1\n", Syntax("img:1", "img:1", 1)),
        ("# syntax=img:1 key=value a\n", Syntax("img:1", "img:1 key=value a", 0)),
        ("# syntax=img:1\tkey=value\n", Syntax("img:1\tkey=value", "img:1\tkey=value", 0)),
        ("# escape=`\n# SYNTAX = img:1 \r\n", Syntax("img:1", "img:1", 1)),
        ("// syntax=img:1\n", Syntax("img:1", "img:1", 0)),
        ("  # syntax=img:1\n", None),  # Parse's directive, not DetectSyntax's
        ("#!/bin/sh\n\n# syntax=img:1\n", None),
        ("# check=skip=all\n#!/bin/sh\n# syntax=img:1\n", None),
        ("# escape=`\n# escape=`\n# syntax=img:1\n", None),
        ("# other=x\n# syntax=img:1\n", None),
    ],
)
def test_the_syntax_line_buildkit_forwards_by(head, syntax):
    assert detect_syntax(split_lines(head + "FROM a\n")) == syntax


def test_a_parsed_dockerfile_knows_its_syntax_line():
    parsed = parse("#!/bin/sh\n# syntax=img:1 a=b\nFROM a\n")
    assert parsed.directives == ()  # for Parse the #! line ends the directives
    assert parsed.syntax == Syntax("img:1", "img:1 a=b", 1)


# A Dockerfile that is not UTF-8: BuildKit reads bytes, and builds it; only one with a
# PYENV line (as BuildKit's parser finds instructions) is this frontend's to refuse.
def test_utf8_is_decoded_without_its_bom():
    assert decode_dockerfile(b"\xef\xbb\xbfFROM a\nPYENV 3.13 x\n", "Dockerfile") == (
        "FROM a\nPYENV 3.13 x\n"
    )


@pytest.mark.parametrize(
    "data",
    [
        b"FROM a\n# caf\xe9\nRUN echo \xff\n",
        b"FROM a\nRUN <<EOF\nPYENV 3.13 x \xe9\nEOF\n",  # a heredoc body, no instruction
        b"FROM a\n# PYENV 3.13 x \xe9\n",
        b"FROM a\nRUN echo \xe9 \\\n  PYENV 3.13 x\n",  # a continuation, no instruction
        b"\xff\xfeF\x00R\x00O\x00M\x00",  # UTF-16: BuildKit fails on it, not this frontend
    ],
)
def test_a_dockerfile_that_is_not_utf8_and_has_no_pyenv_line_passes_through(data):
    assert decode_dockerfile(data, "Dockerfile") is None


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"FROM a\n# caf\xe9\nPYENV 3.13 x\n", 2),
        (b"FROM a\npyenv 3.13 x \xe9\n", 2),
        (b"FROM a\nRUN true\nONBUILD PYENV 3.13 x\nRUN \xff\n", 4),
        (b"# escape=`\nFROM a\nPYENV 3.13 `\n  x\nLABEL a=\xe9\xe9\n", 5),
    ],
)
def test_a_dockerfile_that_is_not_utf8_with_a_pyenv_line_is_refused(data, line):
    with pytest.raises(PyenvError) as raised:
        decode_dockerfile(data, "Dockerfile")
    error = raised.value
    bad = next(b for b in data.split(b"\n")[line - 1] if b >= 0x80)
    assert error.message.startswith(f"Dockerfile is not UTF-8 text: byte 0x{bad:02x} ")
    assert f"on line {line}" in error.message
    assert error.where.start == line
    assert "save it as UTF-8" in error.hint
