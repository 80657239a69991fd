"""What a `@task.venv` task knows before it starts the environment's interpreter.

Airflow's ExternalPythonOperator asks the environment, in a subprocess each, for its
Python version, its Airflow version and whether pendulum imports, before it runs the
task there. The image manifest's record of the environment already says all of it: these
are the answers from the record (`TargetFacts`), and whether the environment's process will
find Airflow's supervisor channel (`supervisor_problem`).

Standard library only, and no Airflow: the decisions are pure functions of the record and
of what the worker process has, unit-tested without Airflow.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..contract import MANIFEST_PATH
from ..runtime import Environment, inventory, package_version


@dataclass(frozen=True)
class TargetFacts:
    """What the operator would probe the environment for, from its manifest record."""

    name: str
    python_major: int  # from the record's "python", e.g. 3 of "3.13.5"
    airflow: str | None  # apache-airflow in the environment
    task_sdk: str | None  # apache-airflow-task-sdk in the environment
    pendulum: str | None
    dill: str | None
    cloudpickle: str | None


def target_facts(found: Environment) -> TargetFacts | None:
    """The facts of `found` from its manifest record; None when it has no usable record
    (an ASTRO_PYENV_<name> variable alone, an older image): then the operator probes."""
    if not found.in_manifest or found.record_error is not None or not found.python:
        return None
    major = found.python.split(".", 1)[0]
    if not major.isdigit():
        return None
    packages = found.packages
    return TargetFacts(
        name=found.name,
        python_major=int(major),
        airflow=package_version(packages, "apache-airflow"),
        task_sdk=package_version(packages, "apache-airflow-task-sdk"),
        pendulum=package_version(packages, "pendulum"),
        dill=package_version(packages, "dill"),
        cloudpickle=package_version(packages, "cloudpickle"),
    )


def facts_for_interpreter(interpreter: str, manifest: str = MANIFEST_PATH) -> TargetFacts | None:
    """The facts of the manifest's environment whose interpreter is `interpreter` (the
    operator's `python`, after templating); None when the manifest has none."""
    for found in inventory(manifest, environ={}).environments.values():
        if found.interpreter == interpreter:
            return target_facts(found)
    return None


#: The class of the supervisor channel Airflow's in-process runner (`airflow dags test`,
#: `airflow tasks test`, `dag.test()`) gives a task: it answers the task's own requests,
#: but nothing another process sends over the socket it hands on.
IN_PROCESS_COMMS = "InProcessSupervisorComms"


def supervisor_problem(
    facts: TargetFacts, task_runner: Any | None, environ: Mapping[str, str] | None = None
) -> str | None:
    """Why the environment's process would hang waiting for Airflow's supervisor, or None.

    The script Airflow runs in the environment imports
    `airflow.sdk.execution_time.task_runner` when it can (the environment holds the Task
    SDK) and then calls `reinit_supervisor_comms()`, which sends a request over the socket
    `__AIRFLOW_SUPERVISOR_FD` names (or descriptor 0) and waits for the answer. Under the
    scheduler the worker's supervisor answers it. Airflow's in-process test runner sets
    `task_runner.SUPERVISOR_COMMS` to an in-memory channel that never answers on that
    socket, so the environment waits forever.

    `task_runner` is the worker's `airflow.sdk.execution_time.task_runner` module (None
    on Airflow 2, which has no supervisor)."""
    if facts.task_sdk is None or task_runner is None:
        return None  # the environment's script does not reach for a supervisor
    environ = os.environ if environ is None else environ
    comms = getattr(task_runner, "SUPERVISOR_COMMS", None)
    if comms is None:
        if environ.get("__AIRFLOW_SUPERVISOR_FD"):
            return None
        return "this process has no supervisor channel"
    if type(comms).__name__ == IN_PROCESS_COMMS or getattr(comms, "socket", None) is None:
        return (
            "the task runs in-process (`airflow dags test`, `airflow tasks test` or "
            "`dag.test()`), whose supervisor channel cannot answer another process"
        )
    return None


class NoSupervisorChannel(RuntimeError):
    """The environment's process would wait forever for Airflow's supervisor."""


def no_supervisor_message(facts: TargetFacts, problem: str, task: str, dag: str) -> str:
    """What the task says instead of hanging: why, and what to do."""
    return (
        f"@task.venv task {task!r}: PYENV environment {facts.name!r} holds "
        f"apache-airflow-task-sdk {facts.task_sdk}, so its process connects to Airflow's "
        f"supervisor (for Variables, Connections and logs) before the task runs; but "
        f"{problem}: it would hang. `airflow dags test` cannot run tasks of such an "
        f"environment. Run the DAG with the scheduler instead (`airflow standalone` or "
        f"`astro dev start`, then `airflow dags trigger {dag}`), or test the function in "
        f"an environment built without --airflow (and without apache-airflow-task-sdk)."
    )


def no_task_sdk_message(facts: TargetFacts) -> str:
    """The warning of a task on Airflow 3 whose environment has no Task SDK."""
    return (
        f"PYENV environment {facts.name!r} has no apache-airflow-task-sdk: the task cannot "
        f"read Variables or Connections there, nor call get_current_context(); it gets "
        f"the context keys templates give (ds, ts, run_id, ...), and its output goes to "
        f"the task's log. To have them, build the environment with `PYENV --airflow`."
    )
