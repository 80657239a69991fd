"""Airflow 3, run by its scheduler with a real executor, runs @task.venv tasks in an
environment made with `PYENV --airflow` on CPython 3.13 (Airflow's is 3.11): the task
reads a Variable and a Connection set through the CLI, logs a line that the task's log
shows, and gets `logical_date`. The same task in an environment without --airflow gets
the warning the README describes. Under `airflow dags test` the --airflow task ends at
once with a message, instead of hanging. And the build side: what --airflow installed is
in the manifest; a conflicting requirement and a base without Airflow fail the build.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from testcontainers.core.container import DockerContainer

from tests.bed.fixtures import AIRFLOW_IMAGE, ASTRO_IMAGE, write_context
from tests.conftest import ROOT

HERE = Path(__file__).resolve().parent
DAG = "pyenv_supervised"
LOGICAL_DATE = "2026-01-02T00:00:00+00:00"
#: Every wait is bounded: Airflow's start, the DAG's parse, the run.
START_TIMEOUT, PARSE_TIMEOUT, RUN_TIMEOUT, DAGS_TEST_TIMEOUT = 240, 180, 300, 120

DOCKERFILE = f"""\
FROM {AIRFLOW_IMAGE}
PYENV --airflow 3.13 supervised supervised.txt
PYENV 3.13 unsupervised
USER root
COPY wheels/ /tmp/wheels/
RUN pip install --no-cache-dir --disable-pip-version-check -q /tmp/wheels/*.whl \\
    && rm -r /tmp/wheels
USER astro
COPY --chown=astro airflow3_dags/ /home/astro/airflow/dags/
"""


@pytest.fixture(scope="module")
def image(cli_build) -> str:
    context = write_context(
        cli_build.tmp / "airflow3",
        {"Dockerfile": DOCKERFILE, "supervised.txt": "humanize==4.12.3\n"},
    )
    shutil.copytree(
        HERE / "airflow3_dags",
        context / "airflow3_dags",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(context / "wheels"),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    tag, result = cli_build.build(context)
    result.ok()
    return tag


def manifest(image: str) -> dict:
    done = subprocess.run(
        ["docker", "run", "--rm", image, "cat", "/etc/buildkit-pyenv/manifest.json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {e["name"]: e for e in json.loads(done.stdout)["environments"]}


def test_the_record_says_what_airflow_installed(image):
    records = manifest(image)
    supervised = records["supervised"]
    assert supervised["airflow"] == {
        "base": "3.3.2",
        "task_sdk": "1.3.2",
        "installed": ["apache-airflow-task-sdk==1.3.2"],
    }
    assert supervised["packages"]["apache-airflow-task-sdk"] == "1.3.2"
    assert supervised["packages"]["humanize"] == "4.12.3"  # one resolution, both installed
    assert supervised["python"].startswith("3.13.")
    assert records["unsupervised"]["airflow"] is None


class Airflow:
    """`airflow standalone` (scheduler with LocalExecutor, API server, DAG processor,
    triggerer) in a container of the image."""

    def __init__(self, container: DockerContainer) -> None:
        self.container = container

    def run(self, script: str) -> tuple[int, str]:
        result = self.container.exec(["/bin/sh", "-c", script])
        return result.exit_code, result.output.decode(errors="replace")

    def wait_for(self, what: str, script: str, timeout: float) -> str:
        """Run `script` until it succeeds; fail with its output and Airflow's log after
        `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            status, output = self.run(script)
            if status == 0:
                return output
            if time.monotonic() > deadline:
                _, logs = self.run("tail -n 80 /tmp/standalone.log")
                pytest.fail(f"{what}: not within {timeout} s\n{output[-3000:]}\n{logs}")
            time.sleep(3)


@pytest.fixture(scope="module")
def airflow(image: str):
    container = DockerContainer(image, command="sleep infinity").with_env(
        "AIRFLOW__CORE__EXECUTOR", "LocalExecutor"
    )
    with container:
        airflow = Airflow(container)
        status, output = airflow.run(
            "nohup airflow standalone >/tmp/standalone.log 2>&1 &"
            " airflow variables set pyenv_e2e_var 'from the CLI'"
            " && airflow connections add pyenv_e2e_conn --conn-type generic"
            " --conn-host warehouse.example --conn-login reader"
        )
        assert status == 0, output
        airflow.wait_for(
            "the DAG is parsed",
            f"airflow dags details {DAG} >/dev/null 2>&1",
            PARSE_TIMEOUT + START_TIMEOUT,
        )
        yield airflow


#: Succeeds once the DAG's latest run has ended.
RUN_ENDED = """airflow dags list-runs {dag} -o json 2>/dev/null | python -c '
import json, sys
lines = [line for line in sys.stdin if line.startswith("[")]  # warnings come first
runs = json.loads(lines[-1]) if lines else []
sys.exit(0 if runs and runs[0]["state"] in ("success", "failed") else 1)'
"""
TASK_LOG = "cat $AIRFLOW_HOME/logs/dag_id={dag}/run_id={run}/task_id={task}/attempt=1.log"


@pytest.fixture(scope="module")
def scheduled_run(airflow: Airflow) -> dict:
    """Trigger the DAG and wait for the scheduler to finish its run: each task's XCom
    return value and log."""
    run = "pyenv-e2e"
    status, output = airflow.run(
        f"airflow dags unpause {DAG} && airflow dags trigger {DAG} --run-id {run} -l {LOGICAL_DATE}"
    )
    assert status == 0, output
    airflow.wait_for("the DAG run ends", RUN_ENDED.format(dag=DAG), RUN_TIMEOUT)
    results = {}
    for task_id in ("with_airflow", "without_airflow"):
        _, log = airflow.run(TASK_LOG.format(dag=DAG, run=run, task=task_id))
        status, value = airflow.run(
            f"airflow tasks xcom-get {DAG} {run} {task_id} 2>/dev/null || true"
        )
        results[task_id] = {"log": log, "xcom": value}
    _, states = airflow.run(f"airflow tasks states-for-dag-run {DAG} {run} -o json")
    results["states"] = states
    return results


def xcom(results: dict, task_id: str, airflow: Airflow) -> dict:
    """The task's return value, read from the metadata database."""
    status, output = airflow.run(
        "python - <<'PY'\n"
        "import json, os, sqlite3\n"
        "db = os.path.join(os.environ['AIRFLOW_HOME'], 'airflow.db')\n"
        f"row = sqlite3.connect(db).execute(\"select value from xcom where dag_id='{DAG}' "
        f"and task_id='{task_id}' and key='return_value'\").fetchone()\n"
        "print(json.dumps(json.loads(row[0]) if row else None))\n"
        "PY"
    )
    assert status == 0, output
    value = json.loads(output.strip().splitlines()[-1])
    assert value is not None, (
        f"{task_id} returned nothing:\n{results['states']}\n{results[task_id]['log'][-5000:]}"
    )
    return value


def test_the_environment_reads_variables_connections_and_the_context(scheduled_run, airflow):
    got = xcom(scheduled_run, "with_airflow", airflow)
    assert got["python"].startswith("3.13.")
    assert got["sdk"] is True
    assert got["variable"] == "from the CLI"
    assert got["connection"] == ["warehouse.example", "reader"]
    assert got["logical_date"] is not None and got["logical_date"].startswith("2026-01-02")
    assert (got["params"], got["run_id"]) == ({"table": "events"}, "pyenv-e2e")
    assert got["current_context"] == "RuntimeError"  # as the README says: arguments only
    assert "PYENV-E2E line logged in the environment" in scheduled_run["with_airflow"]["log"]


def test_without_airflow_the_task_runs_and_is_warned(scheduled_run, airflow):
    got = xcom(scheduled_run, "without_airflow", airflow)
    assert got["python"].startswith("3.13.") and got["sdk"] is False
    assert got["ds"] == "2026-01-02"
    assert got["logical_date"] is None and got["params"] is None
    log = scheduled_run["without_airflow"]["log"]
    assert "PYENV-E2E line logged in the environment" in log
    assert "has no apache-airflow-task-sdk" in log and "PYENV --airflow" in log


def test_dags_test_ends_at_once_with_what_to_do(airflow):
    started = time.monotonic()
    _, output = airflow.run(
        "mkdir -p /tmp/dags-test-home && "
        f"AIRFLOW_HOME=/tmp/dags-test-home AIRFLOW__CORE__DAGS_FOLDER=/home/astro/airflow/dags "
        f"sh -c 'airflow db migrate >/dev/null 2>&1; "
        f"timeout {DAGS_TEST_TIMEOUT} airflow dags test {DAG} 2026-01-03' 2>&1"
    )
    took = time.monotonic() - started
    assert "`airflow dags test` cannot run tasks of such an environment" in output, output[-5000:]
    assert "airflow dags trigger pyenv_supervised" in output
    assert took < DAGS_TEST_TIMEOUT, "airflow dags test hung until the timeout"


# Builds the @task.venv operators of both environments outside any DAG run, then refuses
# every way of starting a process and asks them what ExternalPythonOperator probes for.
NO_PROBES = """
import subprocess

from airflow.sdk import DAG
from buildkit_frontend.airflow.decorator import venv_task

def job(logical_date=None):
    return 1

with DAG("no_probes", schedule=None):
    supervised = venv_task("supervised", job, task_id="supervised")().operator
    unsupervised = venv_task("unsupervised", job, task_id="unsupervised")().operator

started = []
def refuse(*args, **kwargs):
    started.append(args[0])
    raise AssertionError(f"started {args[0]}")
subprocess.check_output = subprocess.check_call = subprocess.Popen = refuse

keys = set(supervised._iter_serializable_context_keys())
unsupervised._execute_python_callable_in_subprocess = lambda path: "ran " + str(path)
print(sorted({"logical_date", "dag_run", "params"} & keys), unsupervised.execute_callable())
print("started", started)
"""


def test_no_probe_starts_the_interpreter(airflow):
    """What Airflow's operator would ask the environment in subprocesses (its Airflow and
    Python versions, pendulum) comes from the manifest: nothing is started before the run."""
    status, output = airflow.run(f"python - <<'PY'\n{NO_PROBES}PY")
    assert status == 0, output[-3000:]
    assert (
        "['dag_run', 'logical_date', 'params'] ran /home/astro/.venv/unsupervised/bin/python"
        in output
    )
    assert "started []" in output


@pytest.mark.parametrize(
    ("base", "flags", "requirements", "message"),
    [
        (
            AIRFLOW_IMAGE,
            "",
            "apache-airflow-task-sdk==1.0.0\n",
            "asks for apache-airflow==3.0.0 apache-airflow-task-sdk==1.0.0 (without the pin), "
            "but the base image's Airflow 3.3.2 needs apache-airflow-task-sdk==1.3.2",
        ),
        (
            AIRFLOW_IMAGE,
            "--installer=pip ",
            "apache-airflow-task-sdk>=1.2,<1.3\n",
            "asks for apache-airflow-task-sdk==1.2.",
        ),
        (ASTRO_IMAGE, "", "", "the base image has no Airflow: /usr/bin/python3"),
    ],
    ids=["conflict-uv", "conflict-pip", "no-airflow"],
)
def test_the_build_fails_at_the_pyenv_line(cli_build, base, flags, requirements, message):
    line = f"PYENV --airflow {flags}3.13 etl{' etl.txt' if requirements else ''}"
    files = {"Dockerfile": f"FROM {base}\n{line}\n"}
    if requirements:
        files["etl.txt"] = requirements
    name = f"fail-{len(flags)}-{len(requirements)}"
    _, result = cli_build.build(write_context(cli_build.tmp / name, files))
    assert result.returncode != 0
    assert "error: PYENV --airflow 3.13 etl: " in result.output
    assert message in result.output
    assert "needs apache-airflow-task-sdk==1.3.2" in result.output or not requirements
