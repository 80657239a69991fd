"""Property tests: no build-arg value can add, remove or split an instruction of the
rendered Dockerfile. Whatever the values, rendering either fails with an error naming
the build argument, or gives exactly the instructions the same file gives with plain
values."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from buildkit_frontend.dockerfile import parse
from buildkit_frontend.errors import PyenvError
from buildkit_frontend.options import RenderOptions
from buildkit_frontend.plan import plan_dockerfile
from buildkit_frontend.render import render
from tests.unit.facts import debian

DOCKERFILE = (
    "ARG PY=3.13\nARG NAME=etl\nFROM img AS base\n"
    "PYENV ${PY} ${NAME}\nPYENV --provider=source 3.12 built\nRUN true\n"
)
PLAIN = {"PYENV_INSTALLER": "uv"}
# Every build argument whose value reaches the rendered text.
SLOTS = [
    "PY",
    "NAME",
    "PYENV_PYTHON_MIRROR",
    "PYENV_PYTHON_CONFIGURE_OPTS",
    "PYENV_BUILDER_IMAGE",
    "PYENV_PYTHON_IMAGE",
    "PYENV_UV_IMAGE",
    "PYENV_UV_VERSION",
    "PYENV_DEBIAN_RELEASE",
]
# Text that would end or start an instruction if it reached the file raw.
NASTY = st.sampled_from(
    ["\n", "\r", "\\\n", "`\n", "\nRUN touch /pwned\n", " AS x\nFROM y", "$(id)", "'", '"', "\x00"]
)
VALUES = st.lists(st.one_of(st.text(max_size=8), NASTY), max_size=5).map("".join)


def keywords(build_args: dict[str, str]) -> list[tuple[str, int]] | None:
    """The rendered file's instructions (keyword, number of heredoc bodies), or None
    when rendering refuses the values."""
    options = RenderOptions(build_args, base_os=debian())
    try:
        text = render(plan_dockerfile(DOCKERFILE, "Dockerfile", options)).text
    except PyenvError:
        return None
    return [(i.keyword, len(i.heredocs)) for i in parse(text).instructions]


EXPECTED = keywords(PLAIN)


@settings(max_examples=300, deadline=None)
@given(slot=st.sampled_from(SLOTS), value=VALUES)
def test_no_value_adds_removes_or_splits_an_instruction(slot, value):
    found = keywords({**PLAIN, slot: value})
    assert found is None or found == EXPECTED
