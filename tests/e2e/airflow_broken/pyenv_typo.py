"""A DAG naming an environment the image does not have: fails when parsed."""

from __future__ import annotations

try:
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task


@dag(schedule=None, catchup=False)
def pyenv_typo():
    @task.venv("tool")
    def misspelt():
        return 1

    misspelt()


pyenv_typo()
