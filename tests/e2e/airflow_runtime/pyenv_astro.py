"""@task.venv on an environment with Airflow, under an Airflow reporting `+astro.1`."""

from __future__ import annotations

try:
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task


@dag(schedule=None, catchup=False)
def pyenv_astro():
    # The context holds the task, whose callable is local: pickle cannot, dill can.
    @task.venv("withairflow", serializer="dill")
    def context_keys(**context):
        from importlib.metadata import version

        run = context.get("dag_run")
        return {
            "dag_run": run.run_id if run is not None else None,
            "airflow": version("apache-airflow"),
        }

    context_keys()


pyenv_astro()
