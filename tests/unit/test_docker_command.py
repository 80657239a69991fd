"""`build`'s command line read as docker reads it: options before or after the context."""

from __future__ import annotations

import pytest

from buildkit_frontend.docker_command import BuildCommand, parse_build_command
from buildkit_frontend.errors import PyenvError


@pytest.mark.parametrize(
    "args",
    [
        ["-t", "x", "--build-arg", "A=1", "ctx"],
        ["ctx", "-t", "x", "--build-arg", "A=1"],
        ["-t", "x", "ctx", "--build-arg=A=1"],
        ["-tx", "ctx", "--build-arg", "A=1"],
        ["-t=x", "--build-arg", "A=1", "--", "ctx"],
    ],
)
def test_options_before_or_after_the_context(args):
    assert parse_build_command(args) == BuildCommand(
        None, ("A=1",), "ctx", ("-t", "x", "--build-arg", "A=1")
    )


def test_switches_take_no_value_and_values_stay_with_their_option():
    parsed = parse_build_command(
        ["--load", "ctx", "--progress", "plain", "-qD", "--check", "--label", "ctx2"]
    )
    assert parsed.context == "ctx"
    assert parsed.docker_args == (
        "--load",
        "--progress",
        "plain",
        "-q",
        "-D",
        "--check",
        "--label",
        "ctx2",
    )


def test_the_last_file_option_is_the_dockerfile_and_is_not_passed_on():
    parsed = parse_build_command(["-f", "a", "ctx", "--file=b", "-qfc"])
    assert (parsed.dockerfile, parsed.docker_args) == ("c", ("-q",))


def test_no_context_means_the_current_directory():
    assert parse_build_command(["-t", "x"]).context == "."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ctx", "-t"], "option -t needs a value"),
        (["ctx", "--platform"], "option --platform needs a value"),
        (["a", "b"], "more than one build context: 'a', 'b'"),
    ],
)
def test_errors(args, message):
    with pytest.raises(PyenvError, match=message):
        parse_build_command(args)
