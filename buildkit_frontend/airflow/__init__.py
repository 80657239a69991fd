"""Apache Airflow integration: the `@task.venv("name")` decorator (a provider entry point)
and `python_path("name")` for `@task.external_python` and ExternalPythonOperator.

Nothing here imports Airflow until a DAG uses the decorator.
"""

from __future__ import annotations

from typing import Any

from ..runtime import python_path

__all__ = ["get_provider_info", "python_path"]


def get_provider_info() -> dict[str, Any]:
    """What Airflow's providers manager reads through the `apache_airflow_provider` entry point."""
    return {
        "package-name": "buildkit-pyenv",
        "name": "buildkit-pyenv",
        "description": "Run tasks in the Python environments PYENV builds into the image.",
        "task-decorators": [
            {"name": "venv", "class-name": "buildkit_frontend.airflow.decorator.venv_task"},
        ],
    }
