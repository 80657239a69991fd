"""`docker buildx build`'s command line, read the way docker reads it, so that `build`
takes options before or after the context (`build -t x .`, `build . -t x`)."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import PyenvError

# The options of `docker buildx build` that take no value (buildx's commands/build.go,
# and --debug of its root command); every other option takes one, as pflag parses it:
# `--tag x`, `--tag=x`, `-t x`, `-tx`, `-t=x`, and short options in a cluster (`-qt x`).
SWITCHES = frozenset(
    {
        "--check",
        "--compress",
        "--debug",
        "--force-rm",
        "--load",
        "--no-cache",
        "--pull",
        "--push",
        "--quiet",
        "--rm",
        "--squash",
    }
)
SHORT_SWITCHES = frozenset("qD")


@dataclass(frozen=True)
class BuildCommand:
    """What a `build` command line asks for."""

    dockerfile: str | None  # the last -f/--file, which this tool renders
    build_args: tuple[str, ...]  # every --build-arg value, in order
    context: str
    docker_args: tuple[str, ...]  # the rest for `docker buildx build`, in order
    secret_ids: tuple[str, ...] = ()  # the id of each --secret, as buildx names it


def parse_build_command(args: Sequence[str]) -> BuildCommand:
    """Split `build`'s arguments into the Dockerfile, the build arguments, the one
    context and the options passed on (each with its value)."""
    dockerfile: str | None = None
    build_args: list[str] = []
    contexts: list[str] = []
    passed: list[str] = []
    secret_ids: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            contexts += args[index:]
            break
        if arg == "-" or not arg.startswith("-"):
            contexts.append(arg)
            continue
        pairs, used = _option(arg, args[index : index + 1])
        index += used
        for name, value in pairs:
            if name in ("-f", "--file"):
                dockerfile = value
            elif value is None:
                passed.append(name)
            else:
                passed += [name, value]
                if name == "--build-arg":
                    build_args.append(value)
                elif name == "--secret":
                    secret_ids.append(_secret_id(value))
    if len(contexts) > 1:
        raise PyenvError(
            "more than one build context: " + ", ".join(repr(c) for c in contexts),
            hint="give one CONTEXT; docker build options may come before or after it",
        )
    context = contexts[0] if contexts else "."
    return BuildCommand(dockerfile, tuple(build_args), context, tuple(passed), tuple(secret_ids))


def _option(arg: str, following: Sequence[str]) -> tuple[list[tuple[str, str | None]], int]:
    """The (name, value) pairs of the option argument `arg` (value None for a switch),
    and how many of the `following` arguments it takes as its value (0 or 1)."""
    if arg.startswith("--"):
        name, equals, value = arg.partition("=")
        if equals:
            return [(name, value)], 0
        if name in SWITCHES:
            return [(name, None)], 0
        return [(name, _value(name, following))], 1
    pairs: list[tuple[str, str | None]] = []
    for position, letter in enumerate(arg[1:], start=2):
        name = "-" + letter
        if letter in SHORT_SWITCHES:
            pairs.append((name, None))
            continue
        rest = arg[position:]
        if rest:
            return [*pairs, (name, rest.removeprefix("="))], 0
        return [*pairs, (name, _value(name, following))], 1
    return pairs, 0


def _value(name: str, following: Sequence[str]) -> str:
    if not following:
        raise PyenvError(f"option {name} needs a value")
    return following[0]


def _secret_id(value: str) -> str:
    """The id buildx gives a --secret: its id=, else the name of its src= file or env=
    variable (buildx's parseSecret)."""
    fields = dict(field.partition("=")[::2] for field in value.split(","))
    if fields.get("id"):
        return fields["id"]
    source = fields.get("src") or fields.get("source")
    if source:
        return posixpath.basename(source)
    return fields.get("env", value)
