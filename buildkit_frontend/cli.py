"""The `buildkit-pyenv` command: render, check, list and build Dockerfiles with PYENV."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import __version__, defaults, render_cache, runtime
from .context import ignore_candidates
from .defaults import MANIFEST_PATH
from .errors import PyenvError

if TYPE_CHECKING:
    from .docker_command import BuildCommand
    from .engine.endpoint import Endpoint
    from .plan import Plan

# The Dockerfile commands import the renderer (Jinja2) when they run,
# so that `envs` and `which` work in images that only have this package and click.


def _reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Show a PyenvError as its message and exit status, never as a traceback."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except PyenvError as error:
            click.echo(
                f"error: {error.show(_shown_lines.get(error.where.file if error.where else ''))}",
                err=True,
            )
            sys.exit(error.exit_code)

    return run


#: The text of each Dockerfile read, by the name errors give it: errors carry only
#: locations, and the lines are attached here, where they are shown.
_shown_lines: dict[str, list[str]] = {}


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


#: Which base-image facts a command asks an engine for: check and list need none; render
#: asks only when the image provider must learn a base's Debian release; build, which
#: needs the engine anyway, asks for all (ONBUILD triggers too).
NO_ENGINE, ENGINE_FOR_RELEASE, ENGINE = "none", "release", "all"


@dataclass(frozen=True)
class Loaded:
    """A planned Dockerfile and what the CLI read besides the facts: its path and the
    ignore files a build of it looks at (for build's record)."""

    plan: Plan
    dockerfile: str
    ignore_candidates: tuple[str, ...]
    endpoint: Endpoint | None
    variables: tuple[str, ...]  # the environment variables bare --build-arg NAMEs read


def _load(
    dockerfile: str,
    build_args: tuple[str, ...],
    context: Path | None,
    engine_use: str,
    endpoint: Endpoint | None = None,
) -> Loaded:
    """Read, survey, gather and plan a Dockerfile; notes go to standard error."""
    from .buildargs import parse_build_args
    from .context import LocalContext, local_ignore
    from .dockerfile import decode_dockerfile
    from .facts import gather
    from .plan import make_plan
    from .survey import OS_RELEASE, survey_text

    if dockerfile == "-":
        text, name = sys.stdin.buffer.read(), "<stdin>"
    else:
        try:
            text, name = Path(dockerfile).read_bytes(), dockerfile
        except OSError as error:
            raise PyenvError(f"cannot read {dockerfile}: {error.strerror}") from None
        if context is None:
            context = Path(dockerfile).parent
    decoded = decode_dockerfile(text, name)
    if decoded is None:  # not UTF-8 and no PYENV line: its bytes go through as they are
        decoded = text.decode("utf-8", "surrogateescape")
    _shown_lines[name] = decoded.split("\n")
    surveyed = survey_text(decoded, name, parse_build_args(build_args, os.environ))
    source = None
    candidates: list[Path] = []
    if context is not None:
        if not context.is_dir():
            raise PyenvError(f"build context {context} is not a directory")
        own = None if dockerfile == "-" else Path(dockerfile)
        candidates = ignore_candidates(context, own)
        source = LocalContext(context, local_ignore(context, own))
    wanted = surveyed.needs.images
    asks = engine_use == ENGINE or (
        engine_use == ENGINE_FOR_RELEASE and any(OS_RELEASE in w for w in wanted.values())
    )
    images = None
    if asks and wanted:
        from .engine.endpoint import resolve_endpoint
        from .engine.images import EngineImages

        endpoint = endpoint or resolve_endpoint()
        images = EngineImages(endpoint)
    plan = make_plan(surveyed, gather(surveyed, source, images))
    for note in plan.notes:
        click.echo(f"note: {note}", err=True)
    bare = tuple(item for item in build_args if "=" not in item)
    return Loaded(plan, dockerfile, tuple(str(c) for c in candidates), endpoint, bare)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="buildkit-pyenv")
def main() -> None:
    """Expand PYENV instructions in Dockerfiles into plain multi-stage Dockerfiles."""


@main.command("render")
@_dockerfile_options
@click.option(
    "-o",
    "--output",
    metavar="FILE|-",
    help="Write here instead of standard output (only when rendering succeeds; "
    "- is standard output).",
)
@_reports_errors
def render_command(
    dockerfile: str, build_args: tuple[str, ...], context: Path | None, output: str | None
) -> None:
    """Print DOCKERFILE with every PYENV line expanded."""
    from .render import render

    target = None if output in (None, "-") else _output_target(output, dockerfile)
    text = render(_load(dockerfile, build_args, context, ENGINE_FOR_RELEASE).plan).text
    if target is None:
        sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
        sys.stdout.flush()
        return
    _write_atomically(target, text, output or "")


@main.command("check")
@_dockerfile_options
@_reports_errors
def check_command(dockerfile: str, build_args: tuple[str, ...], context: Path | None) -> None:
    """Validate the PYENV lines of DOCKERFILE without rendering."""
    plan = _load(dockerfile, build_args, context, NO_ENGINE).plan
    count = len(plan.environments)
    noun = "environment" if count == 1 else "environments"
    click.echo(f"{plan.dockerfile.filename}: OK, {count} {noun}")


@main.command("list")
@_dockerfile_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--image",
    metavar="TAG",
    help="List the environments of a built image instead (its manifest and labels).",
)
@_reports_errors
def list_command(
    dockerfile: str,
    build_args: tuple[str, ...],
    context: Path | None,
    as_json: bool,
    image: str | None,
) -> None:
    """Show the environments DOCKERFILE defines (or IMAGE has)."""
    if image is not None:
        _list_image(image, as_json)
        return
    plan = _load(dockerfile, build_args, context, NO_ENGINE).plan
    rows = [
        {
            "name": spec.name,
            "python": spec.version,
            "requirements": spec.requirements,
            "venv": spec.venv_path,
            "variable": spec.variable,
            "interpreter": spec.python,
            "stage": stage.name or str(stage.index),
            "line": spec.where.start,
        }
        for spec in plan.environments
        for stage in (plan.stage_of(spec),)
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    _table(rows, ("name", "python", "requirements", "venv", "variable", "stage"))


def _list_image(image: str, as_json: bool) -> None:
    from .engine.api import Engine
    from .engine.endpoint import resolve_endpoint
    from .engine.images import image_environments

    found = image_environments(image, Engine(resolve_endpoint()))
    problems: list[str] = []
    if found.manifest is not None:
        _, problems = runtime.manifest_records(found.manifest, f"{MANIFEST_PATH} of {image}")
        listed = found.manifest.get("environments") if isinstance(found.manifest, dict) else []
        rows = [row for row in listed or [] if isinstance(row, dict)]
    else:  # built without a manifest: what the labels say before the build
        rows = [{"name": name, **facts} for name, facts in found.labels.items()]
    if as_json:
        click.echo(json.dumps(rows, indent=2, sort_keys=True, default=str))
    elif rows:
        _table(rows, ("name", "python", "requested", "requirements", "interpreter"))
    elif not problems:
        click.echo(f"{image}: no PYENV environments")
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        sys.exit(1)


@main.command("envs")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--manifest", default=MANIFEST_PATH, show_default=True, help="Manifest to read.")
@_reports_errors
def envs_command(as_json: bool, manifest: str) -> None:
    """Show the environments of this image (run it inside the container)."""
    found = runtime.inventory(manifest)
    rows = [
        {
            "name": env.name,
            "python": env.python,
            "requested": env.requested,
            "interpreter": env.interpreter or None,
            "requirements": env.requirements,
            "requirements_sha256": env.requirements_sha256,
            "status": env.problem or "ok",
        }
        for env in found.environments.values()
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif rows:
        _table(rows, ("name", "python", "requested", "interpreter", "status"))
    elif not found.manifest_problems:
        click.echo("no PYENV environments in this image")
    for problem in found.manifest_problems:
        click.echo(f"error: {problem}", err=True)
    if found.manifest_problems or any(row["status"] != "ok" for row in rows):
        sys.exit(1)


@main.command("which")
@click.argument("name")
@click.option("--manifest", default=MANIFEST_PATH, show_default=True, help="Manifest to read.")
@_reports_errors
def which_command(name: str, manifest: str) -> None:
    """Print the interpreter of environment NAME (run it inside the container)."""
    try:
        click.echo(runtime.python_path(name, manifest))
    except (runtime.EnvironmentNotFound, runtime.BrokenEnvironment) as error:
        raise PyenvError(str(error)) from None


def _table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    # Cells can hold what an image's manifest says: runtime.table escapes them.
    click.echo(runtime.table(rows, columns))


@main.command(
    "build",
    context_settings={
        "ignore_unknown_options": True,
        "allow_interspersed_args": False,
        "help_option_names": ["--help"],
    },
    options_metavar="[-f DOCKERFILE] [--build-arg NAME=VALUE]... [DOCKER OPTIONS]",
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED, metavar="CONTEXT [DOCKER OPTIONS]")
@_reports_errors
def build_command(args: tuple[str, ...]) -> None:
    """Render and build with `docker buildx build`: docker's options, before or after
    CONTEXT (default .). -f names the Dockerfile with PYENV lines (default
    CONTEXT/Dockerfile); every --build-arg decides the render too.

    Example: buildkit-pyenv build -t my-image . --network host
    """
    from .docker_command import parse_build_command
    from .render import render

    parsed = parse_build_command(args)
    context = Path(parsed.context)
    if not context.is_dir():
        raise PyenvError(
            f"build context {parsed.context!r} is not a directory",
            hint="for a Git, URL or standard input context, `buildkit-pyenv render` the "
            "Dockerfile and build that",
        )
    dockerfile = parsed.dockerfile or str(context / "Dockerfile")
    from .engine.api import Engine
    from .engine.endpoint import resolve_endpoint

    endpoint = resolve_endpoint()
    # Fails naming the endpoint when the engine is down or too old for the render.
    Engine(endpoint).check_buildkit()
    loaded = _load(dockerfile, _with_secret_ids(parsed), context, ENGINE, endpoint)
    own_ignore = ignore_candidates(context, Path(dockerfile))[0]
    run = {
        "text": render(loaded.plan).text,
        "own_ignore": str(own_ignore) if own_ignore.is_file() else None,
        "docker_args": list(parsed.docker_args),
        "context": str(context),
        "environment": endpoint.docker_environment(),
    }
    # An unchanged project's next build skips all of this (render_cache.build_if_unchanged).
    if dockerfile != "-":
        render_cache.save(["build", *args], loaded, run)
    render_cache.run_docker_build(run)


def _with_secret_ids(parsed: BuildCommand) -> tuple[str, ...]:
    """The build args to render with: PYENV_SECRETS names the --secret ids an install
    reads, unless the command sets it itself (only named secrets are mounted)."""
    named = any(arg.startswith(f"{defaults.SECRETS_ARG}=") for arg in parsed.build_args)
    secrets = [s for s in parsed.secret_ids if s in defaults.SECRET_IDS]
    if named or not secrets:
        return parsed.build_args
    return (*parsed.build_args, f"{defaults.SECRETS_ARG}={','.join(secrets)}")


def _output_target(output: str, dockerfile: str) -> Path:
    """The file `render -o OUTPUT` replaces (through a symlink, its target), or the
    error that says why it cannot be written; checked before rendering."""
    if not output:
        raise PyenvError("-o needs a file name (or - for standard output)")
    # A symlink is written through: the file it points at gets the text, the link stays.
    target = Path(os.path.realpath(output))
    directory = target.parent
    if not directory.is_dir():
        raise PyenvError(f"cannot write {output}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PyenvError(f"cannot write {output}: directory {directory} is not writable")
    try:
        status = target.stat()
    except FileNotFoundError:
        return target
    except OSError as error:
        raise PyenvError(f"cannot write {output}: {error.strerror}") from None
    if stat.S_ISDIR(status.st_mode):
        raise PyenvError(f"cannot write {output}: it is a directory")
    if not stat.S_ISREG(status.st_mode):
        raise PyenvError(
            f"cannot write {output}: it is not a regular file",
            hint="give a file name, or -o - for standard output",
        )
    if dockerfile != "-" and _same_file(dockerfile, target):
        raise PyenvError(
            f"refusing to write {output} over the Dockerfile it renders ({dockerfile})",
            hint="write the rendered file next to it, e.g. -o Dockerfile.rendered",
        )
    if not os.access(target, os.W_OK):
        raise PyenvError(f"cannot write {output}: permission denied")
    return target


def _same_file(one: str, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def _write_atomically(path: Path, text: str, shown: str) -> None:
    """Replace `path` only once all of `text` is on disk next to it.

    A new file gets the mode a shell redirection would give it (0666 less the umask);
    a file that is replaced keeps its mode.
    """
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    temporary = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(text.encode("utf-8", "surrogateescape"))
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise PyenvError(f"cannot write {shown}: {error.strerror or error}") from None
