"""Runs one task on the etl environment's Python 3.13."""

import os

from airflow.decorators import dag, task


@dag(schedule=None, catchup=False)
def etl():
    @task.external_python(python=os.environ["ASTRO_PYENV_etl"])
    def fetch() -> str:
        import sys

        import requests

        return f"Python {sys.version.split()[0]}, requests {requests.__version__}"

    fetch()


etl()
