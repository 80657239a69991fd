"""Apache Airflow integration: the `@task.venv("name")` decorator (a provider entry point)
and `python_path("name")` for `@task.external_python` and ExternalPythonOperator.

Nothing here imports Airflow until a DAG uses the decorator. Both distributions
(`buildkit-pyenv`, and `buildkit-pyenv-runtime` for Airflow images) ship this package;
each names itself to Airflow's providers manager, which checks that.
"""

from __future__ import annotations

from typing import Any

from ..runtime import python_path
from .compat import warn_about_competing_providers

__all__ = ["get_provider_info", "get_runtime_provider_info", "python_path", "venv_task"]


def get_provider_info() -> dict[str, Any]:
    """What Airflow's providers manager reads through the `apache_airflow_provider` entry point."""
    return _provider_info("buildkit-pyenv")


def get_runtime_provider_info() -> dict[str, Any]:
    """The provider info of the runtime-only distribution, `buildkit-pyenv-runtime`."""
    return _provider_info("buildkit-pyenv-runtime")


def _provider_info(package: str) -> dict[str, Any]:
    warn_about_competing_providers()
    return {
        "package-name": package,
        "name": package,
        "description": "Run tasks in the Python environments PYENV builds into the image.",
        "task-decorators": [
            {"name": "venv", "class-name": "buildkit_frontend.airflow.decorator.venv_task"},
        ],
    }


def venv_task(venv: str, python_callable: Any = None, **kwargs: Any) -> Any:
    """buildkit-pyenv's `@task.venv`, by name, whichever provider Airflow picked."""
    from .decorator import venv_task as decorator

    return decorator(venv, python_callable, **kwargs)
