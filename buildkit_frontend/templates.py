"""Loads the Dockerfile fragments and shell scripts kept in templates/."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from . import quoting


def templates_dir() -> Path:
    """templates/ inside the installed package, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("buildkit-pyenv's templates/ directory is missing")


@cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment: strict, newline-preserving, with the quoting filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["sh"] = quoting.sh
    env.filters["dockerfile_value"] = quoting.dockerfile_value
    env.filters["json_words"] = quoting.json_words
    return env


@cache
def script(name: str) -> str:
    """A shell script from templates/, verbatim (never run through Jinja)."""
    return (templates_dir() / name).read_text(encoding="utf-8")


def render(name: str, **values: Any) -> str:
    """Render the template `name` with `values`."""
    return environment().get_template(name).render(**values)
