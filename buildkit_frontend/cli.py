"""The `buildkit-pyenv` command: render, check, list and build Dockerfiles with PYENV."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import EngineError, PyenvError
from .options import RenderOptions, directory_context, parse_build_args
from .plan import Plan, plan_dockerfile
from .render import render


def _reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Show a PyenvError as its message and exit status, never as a traceback."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except PyenvError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(error.exit_code)

    return run


def _dockerfile_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--context",
        type=click.Path(file_okay=False, path_type=Path),
        help="Build context that requirements files are relative to "
        "[default: the Dockerfile's directory; unchecked for stdin].",
    )(command)
    command = click.option(
        "--build-arg",
        "build_args",
        multiple=True,
        metavar="NAME=VALUE",
        help="Value of a build argument, as for docker build (repeatable).",
    )(command)
    return click.argument("dockerfile", default="Dockerfile", metavar="[DOCKERFILE|-]")(command)


def _load(dockerfile: str, build_args: tuple[str, ...], context: Path | None) -> Plan:
    if dockerfile == "-":
        text, name = sys.stdin.buffer.read(), "<stdin>"
    else:
        try:
            text, name = Path(dockerfile).read_bytes(), dockerfile
        except OSError as error:
            raise PyenvError(f"cannot read {dockerfile}: {error.strerror}") from None
        if context is None:
            context = Path(dockerfile).parent
    try:
        decoded = text.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise PyenvError(f"{name} is not UTF-8 text (byte {error.start})") from None
    options = RenderOptions(parse_build_args(list(build_args), os.environ))
    if context is not None:
        if not context.is_dir():
            raise PyenvError(f"build context {context} is not a directory")
        has, label = directory_context(context)
        options = RenderOptions(options.build_args, has, f"the build context {label}/")
    return plan_dockerfile(decoded, name, options)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="buildkit-pyenv")
def main() -> None:
    """Expand PYENV instructions in Dockerfiles into plain multi-stage Dockerfiles."""


@main.command("render")
@_dockerfile_options
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here instead of standard output (only when rendering succeeds).",
)
@_reports_errors
def render_command(
    dockerfile: str, build_args: tuple[str, ...], context: Path | None, output: Path | None
) -> None:
    """Print DOCKERFILE with every PYENV line expanded."""
    text = render(_load(dockerfile, build_args, context)).text
    if output is None:
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.flush()
        return
    _write_atomically(output, text)


@main.command("check")
@_dockerfile_options
@_reports_errors
def check_command(dockerfile: str, build_args: tuple[str, ...], context: Path | None) -> None:
    """Validate the PYENV lines of DOCKERFILE without rendering."""
    plan = _load(dockerfile, build_args, context)
    count = len(plan.environments)
    noun = "environment" if count == 1 else "environments"
    click.echo(f"{plan.dockerfile.filename}: OK, {count} {noun}")


@main.command("list")
@_dockerfile_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_reports_errors
def list_command(
    dockerfile: str, build_args: tuple[str, ...], context: Path | None, as_json: bool
) -> None:
    """Show the environments DOCKERFILE defines."""
    plan = _load(dockerfile, build_args, context)
    rows = [
        {
            "name": spec.name,
            "python": spec.version,
            "requirements": spec.requirements,
            "venv": spec.venv_path,
            "variable": spec.variable,
            "interpreter": spec.python,
            "stage": plan.stage_of(spec).name or str(plan.stage_of(spec).index),
            "line": spec.where.start,
        }
        for spec in plan.environments
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    columns = ("name", "python", "requirements", "venv", "variable", "stage")
    table = [[c.upper() for c in columns]]
    table += [[str(row[c] if row[c] is not None else "-") for c in columns] for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(columns))]
    for row in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


@main.command(
    "build",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.option(
    "-f",
    "--file",
    "dockerfile",
    default=None,
    metavar="DOCKERFILE",
    help="Dockerfile with PYENV lines [default: CONTEXT/Dockerfile].",
)
@click.option("--build-arg", "build_args", multiple=True, metavar="NAME=VALUE")
@click.argument("context", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.argument("docker_args", nargs=-1, type=click.UNPROCESSED)
@_reports_errors
def build_command(
    dockerfile: str | None,
    build_args: tuple[str, ...],
    context: Path,
    docker_args: tuple[str, ...],
) -> None:
    """Render and build with `docker buildx build`, passing DOCKER_ARGS on.

    Example: buildkit-pyenv build . -t my-image --network host
    """
    plan = _load(dockerfile or str(context / "Dockerfile"), build_args, context)
    text = render(plan).text
    command = ["docker", "buildx", "build", "-f", "-"]
    for item in build_args:
        command += ["--build-arg", item]
    command += [*docker_args, str(context)]
    try:
        completed = subprocess.run(command, input=text.encode("utf-8"), check=False)
    except FileNotFoundError:
        raise EngineError("docker is not installed or not on PATH") from None
    sys.exit(completed.returncode)


def _write_atomically(path: Path, text: str) -> None:
    """Replace `path` only once all of `text` is on disk next to it."""
    directory = path.parent if str(path.parent) else Path(".")
    with tempfile.NamedTemporaryFile(
        "wb", dir=directory, prefix=f".{path.name}.", delete=False
    ) as handle:
        handle.write(text.encode("utf-8"))
    os.replace(handle.name, path)
