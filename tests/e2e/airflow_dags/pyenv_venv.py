"""@task.venv: two tasks, each in its own PYENV environment, and one in Airflow's."""

from __future__ import annotations

try:
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2
    from airflow.decorators import dag, task


@dag(schedule=None, catchup=False)
def pyenv_venv():
    @task.venv("tools")
    def in_tools(number: int):
        import importlib.util
        import platform
        import sys

        import cowsay

        return {
            "python": platform.python_version(),
            "executable": sys.executable,
            "cowsay": cowsay.__version__,
            "humanize": importlib.util.find_spec("humanize") is not None,
            "number": number,
        }

    @task.venv("reports")
    def in_reports():
        import importlib.util
        import platform

        import humanize

        return {
            "python": platform.python_version(),
            "humanize": humanize.intcomma(1234567),
            "cowsay": importlib.util.find_spec("cowsay") is not None,
        }

    @task
    def in_airflow():
        import platform

        return {"python": platform.python_version()}

    in_tools(41)
    in_reports()
    in_airflow()


pyenv_venv()
