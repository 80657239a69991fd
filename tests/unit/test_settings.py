"""Build-wide settings read from build args: PYENV_PYTHON_CONFIGURE_OPTS is any text of
one line, since it is pasted (quoted) into an ARG line of the rendered Dockerfile."""

from __future__ import annotations

import pytest

from buildkit_frontend.errors import PyenvError
from buildkit_frontend.settings import resolve_settings


@pytest.mark.parametrize(
    "value",
    [
        "--with-lto\nRUN touch /pwned",
        "--with-lto\rx",
        "--with-lto\x0bx",
        "--with-lto\x0cx",
        "--with-lto\x1cx",
        "--with-lto\x7fx",
        "--with-lto\x85RUN touch /pwned",  # NEL
        "--with-lto\x9bx",  # a C1 control (CSI)
        "--with-lto\u2028RUN touch /pwned",  # LINE SEPARATOR
        "--with-lto\u2029RUN touch /pwned",  # PARAGRAPH SEPARATOR
    ],
)
def test_configure_options_of_more_than_one_line_are_refused(value):
    with pytest.raises(PyenvError) as raised:
        resolve_settings({"PYENV_PYTHON_CONFIGURE_OPTS": value}, {})
    assert raised.value.message.startswith("build arg PYENV_PYTHON_CONFIGURE_OPTS=")
    assert "one line" in raised.value.message


@pytest.mark.parametrize(
    "value", ["--enable-optimizations --with-lto", "CFLAGS='-O2 -g' --prefix=/opt/caf\u00e9"]
)
def test_configure_options_of_one_line_are_taken(value):
    settings = resolve_settings({"PYENV_PYTHON_CONFIGURE_OPTS": value}, {})
    assert settings.source_args["PYENV_PYTHON_CONFIGURE_OPTS"] == value
