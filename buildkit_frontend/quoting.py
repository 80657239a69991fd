"""The one place values are quoted for the shell and for Dockerfile syntax."""

from __future__ import annotations

import json
import re
import shlex

_PLAIN = re.compile(r"^[A-Za-z0-9_./:@%+,=-]*$")


def sh(value: str) -> str:
    """Quote `value` as one POSIX shell word."""
    return shlex.quote(value)


def dockerfile_value(value: str, escape: str = "\\") -> str:
    """Quote `value` for the right-hand side of ARG, ENV or LABEL, where `$` would
    expand; `escape` is the Dockerfile's escape character."""
    if _PLAIN.match(value):
        return value
    for special in (escape, '"', "$"):
        value = value.replace(special, escape + special)
    return f'"{value}"'


def json_words(words: list[str]) -> str:
    """The JSON (exec) form of instruction arguments, e.g. for COPY."""
    return json.dumps(list(words), ensure_ascii=False)
