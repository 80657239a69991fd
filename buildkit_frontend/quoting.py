"""The one place values are quoted for the shell and for Dockerfile syntax."""

from __future__ import annotations

import json
import re
import shlex

_PLAIN = re.compile(r"^[A-Za-z0-9_./:@%+,=-]*$")


def sh(value: str) -> str:
    """Quote `value` as one POSIX shell word."""
    return shlex.quote(value)


def dockerfile_value(value: str) -> str:
    """Quote `value` for the right-hand side of ARG or ENV, where `$` would expand."""
    if _PLAIN.match(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


def json_words(words: list[str]) -> str:
    """The JSON (exec) form of instruction arguments, e.g. for COPY."""
    return json.dumps(list(words), ensure_ascii=False)
