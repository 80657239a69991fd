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
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .defaults import ENV_PREFIX, MANIFEST_PATH


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

    @property
    def problem(self) -> str | None:
        """Why the environment cannot run, or None when its interpreter is executable."""
        if not os.path.exists(self.interpreter):
            return f"{self.interpreter} does not exist"
        if not os.path.isfile(self.interpreter) or not os.access(self.interpreter, os.X_OK):
            return f"{self.interpreter} is not an executable file"
        return None


class EnvironmentNotFound(LookupError):
    """No environment by that name; the message lists those there are."""


class BrokenEnvironment(RuntimeError):
    """The environment is declared but its interpreter cannot run."""


def environments(
    manifest: str = MANIFEST_PATH, environ: Mapping[str, str] | None = None
) -> dict[str, Environment]:
    """Every environment of the image, by name: the manifest's, and any other
    `ASTRO_PYENV_<name>` variable (whose path wins where both name one)."""
    environ = os.environ if environ is None else environ
    found = {entry.name: entry for entry in _from_manifest(manifest)}
    for variable, path in environ.items():
        if not variable.startswith(ENV_PREFIX) or len(variable) == len(ENV_PREFIX):
            continue
        name = variable[len(ENV_PREFIX) :]
        known = found.get(name)
        if known is None:
            found[name] = Environment(name, path, variable, in_environment=True)
        else:
            found[name] = replace(known, interpreter=path, in_environment=True)
    return dict(sorted(found.items()))


def environment(
    name: str, manifest: str = MANIFEST_PATH, environ: Mapping[str, str] | None = None
) -> Environment:
    """The environment `name`; EnvironmentNotFound or BrokenEnvironment otherwise."""
    known = environments(manifest, environ)
    found = known.get(name)
    if found is None:
        raise EnvironmentNotFound(_not_found_message(name, known))
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


def _from_manifest(path: str) -> list[Environment]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as error:
        raise BrokenEnvironment(f"cannot read the PYENV manifest {path}: {error}") from None
    entries = []
    for item in data.get("environments", []):
        entries.append(_entry(item))
    return entries


def _entry(item: Mapping[str, Any]) -> Environment:
    return Environment(
        name=item["name"],
        interpreter=item["interpreter"],
        variable=item.get("variable", ENV_PREFIX + item["name"]),
        python=item.get("python"),
        requested=item.get("requested"),
        venv=item.get("venv"),
        requirements=item.get("requirements"),
        requirements_sha256=item.get("requirements_sha256"),
        packages=dict(item.get("packages") or {}),
        in_manifest=True,
    )


def _not_found_message(name: str, known: Mapping[str, Environment]) -> str:
    if known:
        listed = ", ".join(sorted(known))
        there = f"This image has: {listed}."
        close = difflib.get_close_matches(name, list(known), n=1)
        if close:
            there += f" Did you mean {close[0]!r}?"
    else:
        there = f"This image has none (no {ENV_PREFIX}* variable and no {MANIFEST_PATH})."
    return (
        f"no PYENV environment named {name!r}. {there} To create it, add to the Dockerfile: "
        f"PYENV 3.13 {name} requirements.txt"
    )
