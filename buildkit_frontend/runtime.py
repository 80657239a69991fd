"""Find the environments PYENV put in this image; for tasks, at run and parse time.

Standard library only: this runs inside Airflow images, where the CLI's dependencies
may be absent. An environment is known from its `ASTRO_PYENV_<name>` variable (which
astro-provider-venv's images have too) and from the image manifest the expansion
writes; either is enough, and a path that is not an executable file is an error here,
not later in a task.

    from buildkit_frontend.runtime import python_path
    python_path("etl")        # '/home/astro/.venv/etl/bin/python'
"""

from __future__ import annotations

import difflib
import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .contract import ENV_PREFIX, MANIFEST_PATH, RECORD_TEXT_KEYS

#: A manifest lists environments, not data: anything larger is not one.
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
#: The text fields of a manifest record besides name and interpreter (each may be null).
_TEXT_FIELDS = RECORD_TEXT_KEYS


@dataclass(frozen=True)
class Environment:
    """One PYENV environment of the image."""

    name: str
    interpreter: str  # the venv's bin/python
    variable: str
    python: str | None = None  # the CPython version built, e.g. "3.13.5"
    requested: str | None = None  # as the PYENV line said, e.g. "3.13"
    venv: str | None = None
    requirements: str | None = None
    requirements_sha256: str | None = None
    packages: Mapping[str, str] = field(default_factory=dict)
    in_manifest: bool = False
    in_environment: bool = False
    #: What is wrong with the manifest's record of it (its interpreter is then unknown).
    record_error: str | None = None

    @property
    def problem(self) -> str | None:
        """Why the environment cannot run, or None when its interpreter is executable."""
        if self.record_error is not None:
            return self.record_error
        path = self.interpreter
        try:
            if not os.path.exists(path):
                return f"{path} does not exist"
            if not os.path.isfile(path) or not os.access(path, os.X_OK):
                return f"{path} is not an executable file"
        except (OSError, ValueError) as error:  # a NUL byte, a name too long
            return f"{path!r} is not a usable path ({error})"
        return None


@dataclass(frozen=True)
class Inventory:
    """What the image says about its environments: those found, by name, and what is
    wrong with the manifest (unreadable, or records that cannot be used)."""

    environments: dict[str, Environment]
    manifest_problems: tuple[str, ...] = ()


class EnvironmentNotFound(LookupError):
    """No environment by that name; the message lists those there are."""


class BrokenEnvironment(RuntimeError):
    """The environment is declared but its interpreter cannot run, or the manifest that
    declares environments cannot be read."""


def inventory(manifest: str = MANIFEST_PATH, environ: Mapping[str, str] | None = None) -> Inventory:
    """Every environment of the image, by name: the manifest's, and any other non-empty
    `ASTRO_PYENV_<name>` variable (whose path wins where both name one). A broken
    manifest or record is reported, never raised: the other environments stay usable."""
    environ = os.environ if environ is None else environ
    entries, problems = _from_manifest(manifest)
    found = {entry.name: entry for entry in entries}
    for variable, path in environ.items():
        if not variable.startswith(ENV_PREFIX) or len(variable) == len(ENV_PREFIX) or not path:
            continue  # an empty variable is not set
        name = variable[len(ENV_PREFIX) :]
        known = found.get(name)
        if known is None:
            found[name] = Environment(name, path, variable, in_environment=True)
        else:
            found[name] = replace(
                known, interpreter=path, variable=variable, in_environment=True, record_error=None
            )
    return Inventory(dict(sorted(found.items())), tuple(problems))


def environments(
    manifest: str = MANIFEST_PATH, environ: Mapping[str, str] | None = None
) -> dict[str, Environment]:
    """Every environment of the image, by name; BrokenEnvironment when the manifest or one
    of its records cannot be read (`inventory` lists what can be)."""
    found = inventory(manifest, environ)
    if found.manifest_problems:
        raise BrokenEnvironment("; ".join(found.manifest_problems))
    return found.environments


def environment(
    name: str, manifest: str = MANIFEST_PATH, environ: Mapping[str, str] | None = None
) -> Environment:
    """The environment `name`; EnvironmentNotFound or BrokenEnvironment otherwise."""
    known = inventory(manifest, environ)
    found = known.environments.get(name)
    if found is None:
        raise EnvironmentNotFound(_not_found_message(name, known, manifest))
    if found.record_error is not None:
        raise BrokenEnvironment(
            f"PYENV environment {name!r} is broken: its record in the manifest {manifest} "
            f"{found.record_error}. Set ${found.variable} or rebuild the image."
        )
    problem = found.problem
    if problem is not None:
        source = f"${found.variable}" if found.in_environment else f"the manifest {manifest}"
        raise BrokenEnvironment(
            f"PYENV environment {name!r} is broken: {source} points at {found.interpreter}, "
            f"but {problem}. Was the image built with the PYENV line that defines it, "
            f"or is this a different container?"
        )
    return found


def python_path(
    name: str, manifest: str = MANIFEST_PATH, environ: Mapping[str, str] | None = None
) -> str:
    """The interpreter of environment `name`, for ExternalPythonOperator's `python`."""
    return environment(name, manifest, environ).interpreter


def _from_manifest(path: str) -> tuple[list[Environment], list[str]]:
    """The records of the manifest at `path`, and what is wrong with it."""
    try:
        data = _read_json(path)
    except FileNotFoundError:
        return [], []
    except ManifestUnreadable as error:
        return [], [f"cannot read the PYENV manifest {path}: {error}"]
    return manifest_records(data, path)


def manifest_records(data: Any, where: str) -> tuple[list[Environment], list[str]]:
    """The environments of a manifest's JSON `data`, checked record by record, and what
    is wrong with it (`where` names the manifest in the messages)."""
    if not isinstance(data, dict):
        return [], [f"the PYENV manifest {where} is {_kind(data)}, not a JSON object"]
    items = data.get("environments", [])
    if not isinstance(items, list):
        return [], [f"the PYENV manifest {where} has 'environments': {_kind(items)}, not a list"]
    entries, problems = [], []
    for index, item in enumerate(items):
        entry, problem = _entry(item)
        if problem is not None:
            problems.append(f"the PYENV manifest {where}: environment #{index + 1} {problem}")
        if entry is not None:
            entries.append(entry)
    return entries, problems


class ManifestUnreadable(Exception):
    """The manifest file exists but holds no JSON we read."""


def _read_json(path: str) -> Any:
    """The JSON of a regular file of at most MAX_MANIFEST_BYTES. A FIFO or device is
    refused without blocking; FileNotFoundError when there is none."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as error:
        raise ManifestUnreadable(getattr(error, "strerror", None) or str(error)) from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            kind = "a directory" if stat.S_ISDIR(status.st_mode) else "not a regular file"
            raise ManifestUnreadable(f"it is {kind}")
        if status.st_size > MAX_MANIFEST_BYTES:
            raise ManifestUnreadable(
                f"it has {status.st_size} bytes, more than a manifest may have "
                f"({MAX_MANIFEST_BYTES})"
            )
        chunks, left = [], MAX_MANIFEST_BYTES + 1
        while left > 0:
            chunk = os.read(descriptor, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
    except OSError as error:
        raise ManifestUnreadable(error.strerror or str(error)) from None
    finally:
        os.close(descriptor)
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestUnreadable(f"it has more than {MAX_MANIFEST_BYTES} bytes")
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ManifestUnreadable(f"it is not UTF-8 text (byte {error.start})") from None
    except ValueError as error:
        raise ManifestUnreadable(f"it is not valid JSON ({error})") from None
    except RecursionError:
        raise ManifestUnreadable("its JSON is nested too deeply") from None


def _entry(item: Any) -> tuple[Environment | None, str | None]:
    """An environment record, checked field by field: (environment, problem). A record
    without a usable name yields no environment; one whose other fields are wrong yields
    an environment that is broken."""
    if not isinstance(item, dict):
        return None, f"is {_kind(item)}, not an object"
    name = item.get("name")
    if not isinstance(name, str) or not name:
        return None, f"has 'name': {_shown(name)}, not a name"
    problem = None
    interpreter = item.get("interpreter")
    if not isinstance(interpreter, str) or not interpreter.startswith("/") or "\0" in interpreter:
        problem = f"has 'interpreter': {_shown(interpreter)}, not an absolute path"
        interpreter = ""
    texts: dict[str, str | None] = {}
    for key in _TEXT_FIELDS:
        value = item.get(key)
        if value is not None and not isinstance(value, str):
            problem = problem or f"has {key!r}: {_shown(value)}, not a string"
            value = None
        texts[key] = value
    packages = item.get("packages") or {}
    if not isinstance(packages, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in packages.items()
    ):
        problem = problem or f"has 'packages': {_shown(packages)}, not names and versions"
        packages = {}
    environment = Environment(
        name=name,
        interpreter=interpreter,
        variable=texts["variable"] or ENV_PREFIX + name,
        python=texts["python"],
        requested=texts["requested"],
        venv=texts["venv"],
        requirements=texts["requirements"],
        requirements_sha256=texts["requirements_sha256"],
        packages=dict(packages),
        in_manifest=True,
        record_error=problem,
    )
    return environment, (f"({name!r}) {problem}" if problem else None)


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    """A value of a record, short enough for a message."""
    if isinstance(value, (dict, list)):
        return _kind(value)
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _not_found_message(name: str, found: Inventory, manifest: str) -> str:
    known = found.environments
    if known:
        listed = ", ".join(sorted(known))
        there = f"This image has: {listed}."
        same_but_case = [other for other in known if other.lower() == name.lower()]
        close = same_but_case or difflib.get_close_matches(name, list(known), n=1)
        if close:
            there += f" Did you mean {close[0]!r}?"
    elif found.manifest_problems:
        there = f"This image has no {ENV_PREFIX}* variable and no manifest that can be read."
    else:
        there = f"This image has none (no {ENV_PREFIX}* variable and no {manifest})."
    if found.manifest_problems:
        there += " " + "; ".join(found.manifest_problems) + "."
    return (
        f"no PYENV environment named {name!r}. {there} To create it, add to the Dockerfile: "
        f"PYENV 3.13 {name} requirements.txt"
    )
