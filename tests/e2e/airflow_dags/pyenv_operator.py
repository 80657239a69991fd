"""ExternalPythonOperator with python_path() and op_kwargs rendered from a template."""

from __future__ import annotations

from buildkit_frontend.runtime import python_path

try:
    from airflow.providers.standard.operators.python import ExternalPythonOperator
    from airflow.sdk import dag
except ImportError:  # Airflow 2
    from airflow.decorators import dag
    from airflow.operators.python import ExternalPythonOperator


def report(when: str, label: str) -> dict:
    import platform

    import humanize

    return {
        "when": when,
        "label": label,
        "python": platform.python_version(),
        "humanize": humanize.__version__,
    }


@dag(schedule=None, catchup=False)
def pyenv_operator():
    ExternalPythonOperator(
        task_id="report",
        python=python_path("reports"),
        python_callable=report,
        op_kwargs={"when": "{{ logical_date }}", "label": "{{ dag.dag_id }}"},
        expect_airflow=False,
    )


pyenv_operator()
