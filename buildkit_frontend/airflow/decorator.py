"""`@task.venv("name")`: run a task on the interpreter of a PYENV environment.

Built on Airflow's own `@task.external_python` operator, so everything it accepts
(op_args, op_kwargs, templates, serializer, expect_airflow, ...) works the same. The name
is resolved when the DAG is parsed: a typo fails the parse with the names that exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..runtime import environment

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
