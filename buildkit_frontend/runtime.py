"""Find the environments PYENV put in this image; for tasks, at run and parse time.

Standard library only: this runs inside Airflow images, where the CLI's dependencies
may be absent. An environment is known from its `ASTRO_PYENV_<name>` variable (which
astro-provider-venv's images have too) and from the image manifest the expansion
writes; either is enough, and a path that is not an executable file is an error here,
not later in a task.

    from buildkit_frontend.runtime import python_path
    python_path("etl")        # '/home/astro/.venv/etl/bin/python'

The manifest and the variables are the image's data, read as a stranger may have written
them: what is shown of them is escaped (`escaped`, `table`) and bounded, a name with a
control or formatting character or named by two records is an error, never a guess, and
no manifest makes this raise anything but the two errors below or take long.
"""

from __future__ import annotations

import difflib
import heapq
import json
import os
import stat
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .contract import ENV_PREFIX, MANIFEST_PATH, RECORD_TEXT_KEYS

#: A manifest lists environments, not data: anything larger is not one.
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
#: A JSON number with more digits is none a manifest has (and converting it takes
#: quadratic time on Pythons without a limit of their own).
MAX_NUMBER_DIGITS = 100
#: The text fields of a manifest record besides name and interpreter (each may be null).
_TEXT_FIELDS = RECORD_TEXT_KEYS
#: A not-found message lists the environments by name up to this many; beyond, it counts
#: them and shows CLOSEST of them, the closest to the name asked for first.
MAX_LISTED, CLOSEST = 10, 5
#: How much of a name, path or value a message shows, and a table cell.
MAX_SHOWN, MAX_CELL = 80, 300
#: How many of the manifest's problems a message names (`inventory` has them all).
MAX_PROBLEMS_SHOWN = 3


@dataclass(frozen=True)
class AirflowRecord:
    """What `PYENV --airflow` found in the base image and installed in the environment."""

    base: str  # the base image's Airflow, e.g. "3.3.2" or "2.10.3+astro.1"
    task_sdk: str | None  # the base's apache-airflow-task-sdk (Airflow 3), e.g. "1.3.2"
    installed: tuple[str, ...] = ()  # the pins it added, e.g. ("apache-airflow-task-sdk==1.3.2",)


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
    #: What --airflow installed; None without the flag (or in an older image's record).
    airflow: AirflowRecord | None = None
    in_manifest: bool = False
    in_environment: bool = False
    #: What is wrong with the manifest's record of it (its interpreter is then unknown).
    record_error: str | None = None
    #: Why the name cannot be trusted to mean this environment: it holds a control or
    #: formatting character, or several records of the manifest have it. A variable does
    #: not mend that.
    name_problem: str | None = None

    @property
    def problem(self) -> str | None:
        """Why the environment cannot run, or None when its interpreter is executable."""
        if self.name_problem is not None:
            return self.name_problem
        if self.record_error is not None:
            return self.record_error
        path = self.interpreter
        unprintable = _unprintable(path)
        if unprintable is not None:
            return f"{_shown(path)} holds {unprintable}"
        try:
            if not os.path.exists(path):
                return f"{_short(path)} does not exist"
            if not os.path.isfile(path) or not os.access(path, os.X_OK):
                return f"{_short(path)} is not an executable file"
        except (OSError, ValueError) as error:  # a NUL byte, a name too long
            return f"{_shown(path)} is not a usable path ({_short(str(error))})"
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
    found = {entry.name: entry for entry in entries}  # manifest_records made names unique
    for variable, path in environ.items():
        if not variable.startswith(ENV_PREFIX) or len(variable) == len(ENV_PREFIX) or not path:
            continue  # an empty variable is not set
        name = variable[len(ENV_PREFIX) :]
        unprintable = _unprintable(name)
        name_problem = None
        if unprintable is not None:
            name_problem = f"the name of ${_short(variable)} holds {unprintable}"
        known = found.get(name)
        if known is None:
            found[name] = Environment(
                name, path, variable, in_environment=True, name_problem=name_problem
            )
        else:
            found[name] = replace(
                known,
                interpreter=path,
                variable=variable,
                in_environment=True,
                record_error=None,
                name_problem=known.name_problem or name_problem,
            )
    return Inventory(dict(sorted(found.items())), tuple(problems))


def environments(
    manifest: str = MANIFEST_PATH, environ: Mapping[str, str] | None = None
) -> dict[str, Environment]:
    """Every environment of the image, by name; BrokenEnvironment when the manifest or one
    of its records cannot be read (`inventory` lists what can be)."""
    found = inventory(manifest, environ)
    if found.manifest_problems:
        raise BrokenEnvironment(_some(found.manifest_problems))
    return found.environments


def environment(
    name: str, manifest: str = MANIFEST_PATH, environ: Mapping[str, str] | None = None
) -> Environment:
    """The environment `name`; EnvironmentNotFound or BrokenEnvironment otherwise."""
    environ = os.environ if environ is None else environ
    known = inventory(manifest, environ)
    found = known.environments.get(name)
    if found is None:
        raise EnvironmentNotFound(_not_found_message(name, known, manifest, environ))
    shown, variable = _quoted(name), "$" + _short(ENV_PREFIX + name)
    if found.name_problem is not None:
        fix = (
            f"Rebuild the image: its manifest {manifest} must name each environment once, "
            f"in printable characters"
            if found.in_manifest
            else f"Give the variable a name of letters, digits, _ and - ({ENV_PREFIX}<name>)"
        )
        raise BrokenEnvironment(
            f"PYENV environment {shown} cannot be used: {found.name_problem}. {fix}."
        )
    if found.record_error is not None:
        raise BrokenEnvironment(
            f"PYENV environment {shown} is broken: its record in the manifest {manifest} "
            f"{found.record_error}. Set {variable} or rebuild the image."
        )
    problem = found.problem
    if problem is not None:
        source = variable if found.in_environment else f"the manifest {manifest}"
        raise BrokenEnvironment(
            f"PYENV environment {shown} is broken: {source} points at "
            f"{_short(found.interpreter)}, but {problem}. Was the image built with the PYENV "
            f"line that defines it, or is this a different container?"
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
    """The environments of a manifest's JSON `data`, checked record by record, one per
    name, and what is wrong with it (`where` names the manifest in the messages). Records
    that share a name are a problem, and their name an environment that cannot be used."""
    if not isinstance(data, dict):
        return [], [f"the PYENV manifest {where} is {_kind(data)}, not a JSON object"]
    items = data.get("environments", [])
    if not isinstance(items, list):
        return [], [f"the PYENV manifest {where} has 'environments': {_kind(items)}, not a list"]
    first: dict[str, tuple[int, Environment]] = {}  # each name's first record, numbered
    again: dict[str, list[tuple[int, Environment]]] = {}  # and the others
    problems = []
    for number, item in enumerate(items, 1):
        entry, problem = _entry(item)
        if problem is not None:
            problems.append(f"the PYENV manifest {where}: environment #{number} {problem}")
        if entry is None:
            pass
        elif entry.name in first:
            again.setdefault(entry.name, [first[entry.name]]).append((number, entry))
        else:
            first[entry.name] = (number, entry)
    entries = [entry for _, entry in first.values()]
    if again:
        for at, entry in enumerate(entries):
            if entry.name in again:
                conflict = _conflict(entry.name, again[entry.name])
                problems.append(f"the PYENV manifest {where}: {conflict}: a name must be unique")
                entries[at] = Environment(
                    entry.name,
                    "",
                    ENV_PREFIX + entry.name,
                    in_manifest=True,
                    name_problem=f"in the manifest, {conflict}",
                )
    return entries, problems


def _conflict(name: str, records: list[tuple[int, Environment]]) -> str:
    """What is wrong with several records having `name`: their numbers and interpreters."""

    def interpreter(entry: Environment) -> str:
        return _short(entry.interpreter) if entry.interpreter else "no interpreter"

    if len(records) == 2:
        (one, first), (other, second) = records
        return (
            f"environments #{one} and #{other} are both named {_quoted(name)} "
            f"({interpreter(first)}, {interpreter(second)})"
        )
    shown = ", ".join(f"#{number} ({interpreter(entry)})" for number, entry in records[:3])
    more = f" and {len(records) - 3} more" if len(records) > 3 else ""
    return f"{len(records)} environments are named {_quoted(name)}: {shown}{more}"


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
        return json.loads(data.decode("utf-8"), parse_int=_json_int)
    except UnicodeDecodeError as error:
        raise ManifestUnreadable(f"it is not UTF-8 text (byte {error.start})") from None
    except ValueError as error:
        raise ManifestUnreadable(f"it is not valid JSON ({error})") from None
    except RecursionError:
        raise ManifestUnreadable("its JSON is nested too deeply") from None


def _json_int(text: str) -> int:
    if len(text) > MAX_NUMBER_DIGITS + 1:  # and a sign
        raise ValueError(f"a number with more than {MAX_NUMBER_DIGITS} digits")
    return int(text)


def _entry(item: Any) -> tuple[Environment | None, str | None]:
    """An environment record, checked field by field: (environment, problem). A record
    without a usable name yields no environment; one whose other fields are wrong yields
    an environment that is broken."""
    if not isinstance(item, dict):
        return None, f"is {_kind(item)}, not an object"
    name = item.get("name")
    if not isinstance(name, str) or not name:
        return None, f"has 'name': {_shown(name)}, not a name"
    problem = name_problem = None
    if not name.isprintable():
        problem = f"has 'name': {_shown(name)}, which holds {_unprintable(name)}"
        name_problem = f"its record in the manifest {problem}"
    interpreter = item.get("interpreter")
    if not isinstance(interpreter, str) or not interpreter.startswith("/") or "\0" in interpreter:
        problem = problem or f"has 'interpreter': {_shown(interpreter)}, not an absolute path"
        interpreter = ""
    elif not interpreter.isprintable():
        problem = problem or (
            f"has 'interpreter': {_shown(interpreter)}, which holds {_unprintable(interpreter)}"
        )
        interpreter = ""
    texts: dict[str, str | None] = {}
    for key in _TEXT_FIELDS:
        value = item.get(key)
        if value is not None and not isinstance(value, str):
            problem = problem or f"has {key!r}: {_shown(value)}, not a string"
            value = None
        texts[key] = value
    packages = item.get("packages")
    packages = {} if packages is None else packages
    if not isinstance(packages, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in packages.items()
    ):
        problem = problem or f"has 'packages': {_shown(packages)}, not names and versions"
        packages = {}
    airflow, airflow_problem = _airflow_record(item.get("airflow"))
    problem = problem or airflow_problem
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
        airflow=airflow,
        in_manifest=True,
        record_error=problem,
        name_problem=name_problem,
    )
    if problem is None or name_problem is not None:
        return environment, problem
    return environment, f"({_quoted(name)}) {problem}"


def _airflow_record(value: Any) -> tuple[AirflowRecord | None, str | None]:
    """A record's "airflow" (null, or what --airflow installed), and what is wrong with it."""
    if value is None:
        return None, None
    if isinstance(value, dict):
        base, sdk, installed = value.get("base"), value.get("task_sdk"), value.get("installed")
        if (
            isinstance(base, str)
            and (sdk is None or isinstance(sdk, str))
            and isinstance(installed, list)
            and all(isinstance(pin, str) for pin in installed)
        ):
            return AirflowRecord(base, sdk, tuple(installed)), None
    return None, f"has 'airflow': {_shown(value)}, not what --airflow installed"


def package_version(packages: Mapping[str, str], name: str) -> str | None:
    """The version of distribution `name` among a record's `packages`, whichever way its
    metadata spells the name (apache_airflow, Apache-Airflow)."""
    wanted = _normalized(name)
    for found, version in packages.items():
        if _normalized(found) == wanted:
            return version
    return None


def _normalized(name: str) -> str:
    return "-".join(name.lower().replace("_", "-").replace(".", "-").split("-"))


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", tuple: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    """A value of a record, short enough for a message and escaped: a string in double
    quotes, a list or an object by its kind, anything else as JSON."""
    if isinstance(value, (dict, list)):
        return _kind(value)
    if isinstance(value, str):
        return f'"{_short(value, MAX_SHOWN - 2)}"'
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return "a number too long to show"
    return _short(json.dumps(value))


def escaped(text: str) -> str:
    """`text` with each character a terminal would act on or not show (controls such as
    a newline or ESC, bidi and zero-width formatting characters, lone surrogates: those
    `str.isprintable` refuses) written as its Python escape (\\n, \\x1b, \\u202e): printable,
    on one line. A backslash stays one, so that escaping twice changes nothing; a name
    that needed escapes is an error (`Environment.problem`), which tells it from one
    that holds a backslash and a "u"."""
    if text.isprintable():
        return text
    return "".join(_escape(character) for character in text)


def _escape(character: str) -> str:
    if character.isprintable():
        return character
    code = ord(character)
    if character in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[character]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _unprintable(text: str) -> str | None:
    """The first character of `text` that `escaped` would escape, as
    "U+202E, a control or formatting character"; None when there is none."""
    if text.isprintable():
        return None
    character = next(c for c in text if not c.isprintable())
    if unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp"):
        return f"U+{ord(character):04X}, a control or formatting character"
    return f"U+{ord(character):04X}, an unprintable character"


def _short(text: str, limit: int = MAX_SHOWN) -> str:
    """`text` escaped, and cut to `limit` characters (the last three "...")."""
    shown = escaped(text[: limit + 1])
    return shown if len(shown) <= limit and len(text) <= limit else shown[: limit - 3] + "..."


def _quoted(text: str) -> str:
    """`text` as a message quotes a name: as repr() does (which escapes what `escaped`
    does), cut to MAX_SHOWN characters."""
    return repr(text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "...")


def _some(problems: Sequence[str]) -> str:
    """The first MAX_PROBLEMS_SHOWN of `problems`, and how many more there are."""
    shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
    more = len(problems) - MAX_PROBLEMS_SHOWN
    return shown + (f"; and {more} more problems" if more > 0 else "")


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """`rows` as a text table: a line of the upper-cased `columns`, then one line per row
    whatever its cells hold (each escaped as `escaped` does and cut to MAX_CELL
    characters; None is "-"), columns padded to their widest cell. No final newline."""
    lines = [[escaped(column.upper()) for column in columns]]
    lines += [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(columns))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in lines
    )


def _cell(value: Any) -> str:
    """A value as a table shows it: str() of it, but a list or an object (from a manifest,
    where a string belongs) by its kind, as str() of one nested deeply raises."""
    if value is None:
        return "-"
    if isinstance(value, (dict, list, tuple)):
        return _kind(value)
    if isinstance(value, int) and value.bit_length() > 200:
        return "a number too long to show"
    return _short(str(value), MAX_CELL)


def _closest(name: str, names: Iterable[str]) -> list[str]:
    """Up to CLOSEST of `names` like `name`, the closest first: those that differ in case
    only, then difflib's choice. difflib compares in full, too slow for thousands of
    names made alike: it sees only the 20 that share the most letter pairs with `name`."""
    lowered, longest = name.lower(), 2 * len(name) + 8  # a longer name is never close
    pairs = _letter_pairs(lowered)
    scored = []
    for other in names:
        if len(other) <= longest:
            theirs = _letter_pairs(other.lower())
            scored.append((-2 * len(pairs & theirs) / (len(pairs) + len(theirs)), other))
    candidates = [other for _, other in heapq.nsmallest(20, scored)]
    same = sorted(other for other in candidates if other.lower() == lowered)
    close = difflib.get_close_matches(name, candidates, n=CLOSEST, cutoff=0.6)
    return (same + [other for other in close if other not in same])[:CLOSEST]


def _letter_pairs(text: str) -> set[str]:
    padded = f"\0{text}\0"
    return {padded[i : i + 2] for i in range(len(padded) - 1)}


def _not_found_message(
    name: str, found: Inventory, manifest: str, environ: Mapping[str, str]
) -> str:
    known = found.environments
    variable = "$" + _short(ENV_PREFIX + name)
    empty = environ.get(ENV_PREFIX + name) == ""
    head = f"no PYENV environment named {_quoted(name)}"
    if empty:
        head += f": {variable} is set but empty"
    other = "other " if empty else ""
    if known:
        close = _closest(name, known)
        if len(known) <= MAX_LISTED:
            there = f"This image has: {', '.join(_short(other) for other in known)}."
        else:
            shown = close or list(known)[:CLOSEST]
            listed = ", ".join(_short(other) for other in shown)
            what = "; the closest: " if close else ": "
            there = (
                f"This image has {len(known)} environments{what}{listed} and "
                f"{len(known) - len(shown)} more."
            )
        if close:
            there += f" Did you mean {_quoted(close[0])}?"
    elif found.manifest_problems:
        there = f"This image has no {other}{ENV_PREFIX}* variable and no manifest that can be read."
    else:
        there = f"This image has none (no {other}{ENV_PREFIX}* variable and no {manifest})."
    if found.manifest_problems:
        there += " " + _some(found.manifest_problems) + "."
    create = f"add to the Dockerfile: PYENV 3.13 {_short(name)} requirements.txt"
    if empty:
        return (
            f"{head}. {there} Set {variable} to the environment's interpreter "
            f"(<venv>/bin/python), or unset it and {create}"
        )
    return f"{head}. {there} To create it, {create}"
