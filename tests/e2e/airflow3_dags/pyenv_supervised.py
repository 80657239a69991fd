"""One task function, run by @task.venv in an environment made with `PYENV --airflow`
(the Task SDK of the image's Airflow) and in one without: it reads a Variable and a
Connection, logs a line, and returns what it got, with its `logical_date`."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


def through_airflow(logical_date=None, ds=None, params=None, dag_run=None):
    import logging
    import platform

    logging.getLogger("pyenv.e2e").warning("PYENV-E2E line logged in the environment")
    got = {
        "python": platform.python_version(),
        "logical_date": str(logical_date) if logical_date is not None else None,
        "ds": ds,
        "params": dict(params) if params is not None else None,
        "run_id": dag_run.run_id if dag_run is not None else None,
    }
    try:
        from airflow.sdk import Connection, Variable, get_current_context
    except ImportError:
        return {**got, "sdk": False}
    try:
        current = sorted(get_current_context())[:3]
    except Exception as error:  # what the README says about it
        current = type(error).__name__
    connection = Connection.get("pyenv_e2e_conn")
    return {
        **got,
        "sdk": True,
        "current_context": current,
        "variable": Variable.get("pyenv_e2e_var"),
        "connection": [connection.host, connection.login],
    }


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"table": "events"},
)
def pyenv_supervised():
    task.venv("supervised", task_id="with_airflow")(through_airflow)()
    task.venv("unsupervised", task_id="without_airflow")(through_airflow)()


pyenv_supervised()
