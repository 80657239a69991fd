"""Property tests: no build-arg value can add, remove or split an instruction of the
rendered Dockerfile. Whatever the values, rendering either fails with an error naming
the build argument, or gives exactly the instructions the same file gives with plain
values."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from buildkit_frontend.dockerfile import parse
from buildkit_frontend.errors import PyenvError
from buildkit_frontend.plan import plan_dockerfile
from buildkit_frontend.render import render
from tests.unit.facts import debian

DOCKERFILE = "ARG PY=3.13\nARG NAME=etl\nFROM img AS base\nPYENV ${PY} ${NAME}\nRUN true\n"
# Every build argument whose value reaches the rendered text, with a plain value of
# its kind: any value it accepts gives the file the same instructions as this one.
PLAIN = {
    "PY": "3.13",
    "NAME": "etl",
    "PYENV_PYTHON_MIRROR": "http://mirror.example/python",
    "PYENV_PYTHON_CONFIGURE_OPTS": "--with-lto",
    "PYENV_BUILDER_IMAGE": "builder:1",
    "PYENV_PYTHON_IMAGE": "python",
    "PYENV_UV_IMAGE": "uv:1",
    "PYENV_UV_VERSION": "0.13.9",
    "PYENV_DEBIAN_RELEASE": "bookworm",
}
PROVIDERS = ["image", "source"]
# Text that would end or start an instruction if it reached the file raw.
NASTY = st.sampled_from(
    ["\n", "\r", "\\\n", "`\n", "\nRUN touch /pwned\n", " AS x\nFROM y", "$(id)", "'", '"', "\x00"]
)
VALUES = st.lists(st.one_of(st.text(max_size=8), NASTY), max_size=5).map("".join)


def keywords(build_args: dict[str, str]) -> list[tuple[str, int]] | None:
    """The rendered file's instructions (keyword, number of heredoc bodies), or None
    when rendering refuses the values."""
    options = dict(build_args=build_args, images=debian())
    try:
        text = render(plan_dockerfile(DOCKERFILE, "Dockerfile", **options)).text
    except PyenvError:
        return None
    return [(i.keyword, len(i.heredocs)) for i in parse(text).instructions]


@settings(max_examples=300, deadline=None)
@given(provider=st.sampled_from(PROVIDERS), slot=st.sampled_from(sorted(PLAIN)), value=VALUES)
def test_no_value_adds_removes_or_splits_an_instruction(provider, slot, value):
    assume(value != "")  # empty means unset: the default, a different file on purpose
    fixed = {"PYENV_PYTHON_PROVIDER": provider}
    expected = keywords({**fixed, slot: PLAIN[slot]})
    assert expected is not None
    found = keywords({**fixed, slot: value})
    assert found is None or found == expected
