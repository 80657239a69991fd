"""@task.external_python with the variable the PYENV line sets."""

from __future__ import annotations

import os

try:
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task


@dag(schedule=None, catchup=False)
def pyenv_external():
    @task.external_python(python=os.environ["ASTRO_PYENV_tools"], expect_airflow=False)
    def with_variable():
        import platform

        import cowsay

        return {"python": platform.python_version(), "cowsay": cowsay.__version__}

    with_variable()


pyenv_external()
