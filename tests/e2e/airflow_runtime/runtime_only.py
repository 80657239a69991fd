"""@task.venv in an Airflow with nothing of buildkit-pyenv but buildkit-pyenv-runtime."""

from __future__ import annotations

try:
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task


@dag(schedule=None, catchup=False)
def runtime_only():
    @task.venv("etl")
    def hello() -> int:
        return 1

    hello()


parsed = runtime_only()
operator = parsed.get_task("hello")
print("OPERATOR", type(operator).__name__, operator.python)
