"""Build arguments: the values ARG lines and --build-arg give, and their substitution.

Substitution follows the Dockerfile rules for `$NAME`, `${NAME}`, `${NAME:-default}` and
`${NAME:+alternative}` (with or without the colon), `\\$` for a literal dollar, and
nothing inside single quotes. Unlike BuildKit, an unset variable is an error here: a
PYENV line with an empty version or name is never what the author meant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from dockerfile_parse.util import WordSplitter

from .dockerfile import Instruction
from .errors import PyenvError

_REFERENCE = re.compile(
    r"""
    (?P<escaped>\\\$)
    | (?P<quoted>'[^']*')
    | \$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+])(?P<word>[^}]*))?\}
    | \$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)
# Substituted text must stay one plain word: the arguments of PYENV never hold these.
_UNSAFE_VALUE = re.compile(r"[\s'\"\\]")


class UnsetVariable(Exception):
    """A `$NAME` had no value; `name` says which."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class UnsafeValue(Exception):
    """A substituted value held whitespace, quotes or backslashes."""

    def __init__(self, name: str, value: str) -> None:
        super().__init__(name)
        self.name = name
        self.value = value


def expand(word: str, variables: Mapping[str, str], strict: bool = True) -> str:
    """Substitute build arguments in one raw (still quoted) word.

    Strict (for PYENV arguments): an unset name raises UnsetVariable and a value that
    is not one plain word raises UnsafeValue. Otherwise, as BuildKit does, unset is empty.
    """

    def substitute(match: re.Match[str]) -> str:
        if match.group("escaped") or match.group("quoted"):
            return match.group(0)
        name = match.group("braced") or match.group("bare")
        op, alternative = match.group("op"), match.group("word") or ""
        value = variables.get(name)
        is_set = value is not None and (value != "" or not (op or "").startswith(":"))
        if op in ("-", ":-"):
            result = value if is_set else expand(alternative, variables, strict)
        elif op in ("+", ":+"):
            result = expand(alternative, variables, strict) if is_set else ""
        elif value is None and strict:
            raise UnsetVariable(name)
        else:
            result = value or ""
        if strict and _UNSAFE_VALUE.search(result or ""):
            raise UnsafeValue(name, result or "")
        return result or ""

    return _REFERENCE.sub(substitute, word)


# What WordSplitter treats specially (it substitutes nothing when given no variables).
_QUOTING = re.compile(r"[\\'\"]")


def shell_words(text: str) -> list[str]:
    """The words of `text`, quotes and escapes kept (dockerfile-parse's WordSplitter).

    Text without quotes or escapes splits on white space alone, which is what
    WordSplitter gives; the shortcut matters because WordSplitter grows each word one
    character at a time, in time quadratic in the word's length."""
    if not _QUOTING.search(text):
        return text.split()
    return list(WordSplitter(text).split(dequote=False))


def dequoted(text: str) -> str:
    """`text` with its quotes and escapes consumed (WordSplitter's dequote)."""
    return WordSplitter(text).dequote() if _QUOTING.search(text) else text


def split_words(value: str, variables: Mapping[str, str]) -> list[str]:
    """Split an instruction's arguments into words, substituting and then dequoting."""
    return [dequoted(expand(word, variables)) for word in shell_words(value)]


def declared(instruction: Instruction) -> list[tuple[str, str | None]]:
    """The (name, default) pairs an ARG instruction declares, defaults still raw."""
    pairs = []
    for word in shell_words(instruction.value):
        name, sep, default = word.partition("=")
        pairs.append((name, default if sep else None))
    return pairs


def resolve(
    instructions: Iterable[Instruction],
    build_args: Mapping[str, str],
    inherited: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The values of the ARGs among `instructions`, in order, as a build would see them.

    `build_args` (from --build-arg) win over defaults; `inherited` holds the global
    ARGs a stage's `ARG NAME` without a default takes its value from.
    """
    values: dict[str, str] = {}
    for instruction in instructions:
        if instruction.keyword != "ARG":
            continue
        for name, default in declared(instruction):
            if name in build_args:
                values[name] = build_args[name]
            elif default is not None:
                scope = {**(inherited or {}), **values}
                values[name] = dequoted(expand(default, scope, strict=False))
            elif inherited and name in inherited:
                values[name] = inherited[name]
    return values


def parse_build_args(items: Iterable[str], environ: Mapping[str, str]) -> dict[str, str]:
    """`KEY=VALUE` items as docker build takes them; a bare KEY reads the environment."""
    values: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not key:
            raise PyenvError(f"--build-arg {item!r} has no name", hint="--build-arg NAME=VALUE")
        if not sep:
            if key not in environ:
                continue  # as docker build does: an unset bare name is ignored
            value = environ[key]
        values[key] = value
    return values
