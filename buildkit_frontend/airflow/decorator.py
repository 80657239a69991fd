"""`@task.venv("name")`: run a task on the interpreter of a PYENV environment.

Built on Airflow's own `@task.external_python` operator, so everything it accepts
(op_args, op_kwargs, templates, serializer, expect_airflow, ...) works the same. The name
is resolved when the DAG is parsed: a typo fails the parse with the names that exist.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..runtime import environment
from .compat import same_airflow_release
from .task_start import (
    NoSupervisorChannel,
    TargetFacts,
    facts_for_interpreter,
    no_supervisor_message,
    no_task_sdk_message,
    supervisor_problem,
)

try:  # Airflow 3, and Airflow 2 with a recent standard provider
    from airflow.providers.standard.decorators.external_python import (
        _PythonExternalDecoratedOperator as _ExternalDecoratedOperator,
    )
except ImportError:  # Airflow 2.4 to 2.9
    from airflow.decorators.external_python import (  # type: ignore[no-redef]
        _PythonExternalDecoratedOperator as _ExternalDecoratedOperator,
    )

try:  # Airflow 3
    from airflow.sdk.bases.decorator import task_decorator_factory
except ImportError:  # Airflow 2
    from airflow.decorators.base import task_decorator_factory  # type: ignore[no-redef]


class PyenvDecoratedOperator(_ExternalDecoratedOperator):
    """ExternalPythonOperator for a decorated function, named so that Airflow strips
    `@task.venv(...)` from the source it runs in the environment."""

    custom_operator_name = "@task.venv"

    # ExternalPythonOperator probes the environment before each run, one interpreter start
    # each: its Airflow version (or, without Airflow expected, whether pendulum imports),
    # then its Python version. With the environment's record in the image manifest, the
    # answers come from there and the task starts the interpreter once, to run; without
    # one, the probes run as Airflow's own operator has them.

    def _target_facts(self) -> TargetFacts | None:
        """The manifest's facts of the environment `python` names, read once a run."""
        cached = self.__dict__.get("_pyenv_facts")
        if cached is None or cached[0] != self.python:
            cached = (self.python, facts_for_interpreter(self.python))
            self.__dict__["_pyenv_facts"] = cached
        return cached[1]

    def _is_pendulum_installed_in_target_env(self) -> bool:
        facts = self._target_facts()
        if facts is None:
            return super()._is_pendulum_installed_in_target_env()
        if facts.pendulum is None and self.expect_pendulum:
            self.log.warning(
                "Pendulum is not installed in %s (the image manifest says so): Pendulum "
                "context keys will not be available. Install Pendulum or Airflow in the "
                "environment to access them.",
                self.python,
            )
        return facts.pendulum is not None

    def execute_callable(self) -> Any:
        """Airflow's checks of the interpreter, from the manifest, then the run: the only
        interpreter start. Fails at once, instead of hanging, when the environment's
        process would wait for a supervisor channel that cannot answer it."""
        facts = self._target_facts()
        if facts is None:
            return super().execute_callable()
        python_path = Path(self.python)
        if not python_path.is_absolute():
            raise ValueError(f"Python Path '{python_path}' must be an absolute path.")
        if not python_path.is_file():
            raise ValueError(f"Python Path '{python_path}' must be a file")
        if facts.python_major != sys.version_info.major and (self.op_args or self.op_kwargs):
            raise ValueError(
                "Passing op_args or op_kwargs is not supported across different Python "
                f"major versions: {self.python} is Python {facts.python_major}. Use string_args."
            )
        task_runner = _task_runner()
        problem = supervisor_problem(facts, task_runner)
        if problem is not None:
            raise NoSupervisorChannel(
                no_supervisor_message(facts, problem, self.task_id, self.dag_id)
            )
        if task_runner is not None and facts.task_sdk is None:
            self.log.warning(no_task_sdk_message(facts))
        return self._execute_python_callable_in_subprocess(python_path)

    def _get_airflow_version_from_target_env(self) -> str | None:
        """The environment's Airflow version when it is the release Airflow runs, so that
        the task gets the Airflow context; None (with a warning when Airflow is expected)
        otherwise. Unlike Airflow's own check, Astro Runtime's `2.10.3+astro.1` and an
        environment's `2.10.3` from PyPI count as the same release, as
        astro-provider-venv's decorator had it. From the manifest when it has the
        environment, else asked of the environment."""
        from airflow import __version__ as airflow_version

        facts = self._target_facts()
        if facts is not None:
            target = facts.airflow
            problem = f"no Airflow in {self.python} (the image manifest says so)"
        else:
            try:
                target = subprocess.check_output(
                    [self.python, "-c", _TARGET_AIRFLOW_VERSION],
                    text=True,
                    stderr=subprocess.PIPE,
                ).strip()
            except (OSError, subprocess.CalledProcessError) as error:
                target, problem = None, f"no Airflow in {self.python} ({_reason(error)})"
        if target is not None:
            if same_airflow_release(airflow_version, target):
                return target
            problem = (
                f"{self.python} has Airflow {target}, a different release from the "
                f"Airflow running the task ({airflow_version})"
            )
        if self.expect_airflow:
            self.log.warning(
                "%s: Airflow context keys will not be available. Install Airflow %s in the "
                "environment to access them, or pass expect_airflow=False.",
                problem,
                airflow_version.split("+")[0],
            )
        return None


def venv_task(
    venv: str,
    python_callable: Callable[..., Any] | None = None,
    multiple_outputs: bool | None = None,
    **kwargs: Any,
) -> Any:
    """Wrap a function into a task that runs on environment `venv`'s interpreter.

    :param venv: the name a PYENV line gave the environment (`PYENV 3.13 <venv> ...`)
    :param python_callable: the function (given by the decorator syntax)
    :param multiple_outputs: unroll a returned dict into several XCom values
    :param kwargs: anything ExternalPythonOperator accepts
    """
    if not isinstance(venv, str):
        raise TypeError(
            'task.venv needs the environment\'s name: @task.venv("name"), not @task.venv'
        )
    found = environment(venv)
    if found.in_manifest:
        # Without Airflow in the environment, the operator's probe for it only logs
        # warnings; with it (to use hooks there), the task gets the context.
        kwargs.setdefault("expect_airflow", "apache-airflow" in found.packages)
    return task_decorator_factory(
        python=found.interpreter,
        python_callable=python_callable,
        multiple_outputs=multiple_outputs,
        decorated_operator_class=PyenvDecoratedOperator,
        **kwargs,
    )


# Read from the environment's metadata, fast and without importing Airflow there.
_TARGET_AIRFLOW_VERSION = "from importlib.metadata import version; print(version('apache-airflow'))"


def _task_runner() -> Any | None:
    """The worker's Task SDK task runner (Airflow 3), whose SUPERVISOR_COMMS is the
    channel to the supervisor; None on Airflow 2."""
    try:
        from airflow.sdk.execution_time import task_runner
    except ImportError:
        return None
    return task_runner


def _reason(error: Exception) -> str:
    if isinstance(error, subprocess.CalledProcessError) and error.stderr:
        return error.stderr.strip().splitlines()[-1]
    return str(error)
