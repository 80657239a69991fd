"""Airflow runs tasks in PYENV environments: a real Airflow, real DAGs, XCom results.

The image starts FROM the bed's Airflow image (Airflow 3, and Airflow 2 beside it, on
Debian's Python 3.11) and adds two environments on CPython 3.13, this package, and the
DAGs in airflow_dags/. Every DAG runs under both Airflows.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from testcontainers.core.container import DockerContainer

from tests.bed.fixtures import AIRFLOW_IMAGE, write_context
from tests.conftest import FRONTEND_TEST_IMAGE, ROOT

HERE = Path(__file__).resolve().parent
LOGICAL_DATE = "2026-01-01"

DOCKERFILE = f"""\
# syntax={FRONTEND_TEST_IMAGE}
FROM {AIRFLOW_IMAGE}
PYENV 3.13 tools tools.txt
PYENV 3.13 reports reports.txt
USER root
COPY wheels/ /tmp/wheels/
RUN pip install --no-cache-dir --disable-pip-version-check -q /tmp/wheels/*.whl \\
    && /opt/airflow2/bin/pip install --no-cache-dir --disable-pip-version-check -q \\
        /tmp/wheels/*.whl \\
    && rm -r /tmp/wheels
USER astro
COPY --chown=astro airflow_dags/ /home/astro/airflow/dags/
COPY --chown=astro airflow_broken/ /home/astro/broken/
"""

# Where each Airflow of the image lives: its bin directory and AIRFLOW_HOME.
AIRFLOWS = {
    "3": ("/opt/airflow/bin", "/home/astro/airflow"),
    "2": ("/opt/airflow2/bin", "/home/astro/airflow2"),
}

# Runs every DAG with `airflow dags test`, then prints the XCom return values as JSON.
RUN_DAGS = """\
set -e
export PATH={bin}:$PATH AIRFLOW_HOME={home}
for dag in pyenv_venv pyenv_external pyenv_operator; do
    airflow dags test "$dag" {date} >/tmp/$dag.log 2>&1 || {{ tail -n 60 /tmp/$dag.log; exit 1; }}
done
python - <<'PY'
import json, sqlite3
rows = sqlite3.connect("{home}/airflow.db").execute(
    "select dag_id, task_id, value from xcom where key = 'return_value'").fetchall()
print(json.dumps({{f"{{dag}}.{{task}}": json.loads(value) for dag, task, value in rows}}))
PY
"""


@pytest.fixture(scope="module")
def airflow_image(frontend_image: str, buildx) -> str:
    """The Airflow image with two PYENV environments, this package and the DAGs."""
    context = write_context(
        buildx.tmp / "airflow",
        {
            "Dockerfile": DOCKERFILE,
            "tools.txt": "cowsay==6.1\n",
            "reports.txt": "humanize==4.12.3\n",
        },
    )
    for folder in ("airflow_dags", "airflow_broken"):
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(HERE / folder, context / folder, ignore=ignore)
    wheels = context / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    tag, result = buildx.build(context)
    result.ok()
    return tag


class Airflow:
    """One running container of the Airflow image, for every check in this module."""

    def __init__(self, container: DockerContainer) -> None:
        self.container = container

    def run(self, script: str) -> tuple[int, str]:
        """Run a shell script as the image's user; returns (exit status, output)."""
        result = self.container.exec(["/bin/sh", "-c", script])
        return result.exit_code, result.output.decode()


@pytest.fixture(scope="module")
def airflow(airflow_image: str):
    """The Airflow image, running (idle) while the module's tests exec into it."""
    with DockerContainer(airflow_image, command="sleep infinity") as container:
        yield Airflow(container)


@pytest.fixture(scope="module", params=sorted(AIRFLOWS, reverse=True), ids=lambda v: f"airflow{v}")
def xcoms(request: pytest.FixtureRequest, airflow: Airflow) -> dict:
    """Each task's XCom return value, by `dag.task`, after running the DAGs under one
    of the image's Airflows."""
    bin_dir, home = AIRFLOWS[request.param]
    status, output = airflow.run(RUN_DAGS.format(bin=bin_dir, home=home, date=LOGICAL_DATE))
    assert status == 0, output[-6000:]
    return json.loads(output.strip().splitlines()[-1])


def test_task_venv_runs_each_task_in_its_environment(xcoms):
    tools = xcoms["pyenv_venv.in_tools"]
    assert tools["python"] == "3.13.5"
    assert tools["executable"] == "/home/astro/.venv/tools/bin/python"
    assert tools["cowsay"] == "6.1" and tools["humanize"] is False
    assert tools["number"] == 41
    reports = xcoms["pyenv_venv.in_reports"]
    assert reports == {"python": "3.13.5", "humanize": "1,234,567", "cowsay": False}
    assert xcoms["pyenv_venv.in_airflow"] == {"python": "3.11.2"}  # Airflow's own Python


def test_external_python_with_the_variable(xcoms):
    assert xcoms["pyenv_external.with_variable"] == {"python": "3.13.5", "cowsay": "6.1"}


def test_operator_with_templated_op_kwargs(xcoms):
    result = xcoms["pyenv_operator.report"]
    assert result["when"].startswith(LOGICAL_DATE)
    assert result["label"] == "pyenv_operator"
    assert (result["python"], result["humanize"]) == ("3.13.5", "4.12.3")


@pytest.mark.parametrize("version", sorted(AIRFLOWS, reverse=True), ids=lambda v: f"airflow{v}")
def test_unknown_name_fails_when_the_dag_is_parsed(airflow, version):
    bin_dir, home = AIRFLOWS[version]
    status, output = airflow.run(
        f"AIRFLOW_HOME={home} {bin_dir}/python /home/astro/broken/pyenv_typo.py"
    )
    assert status != 0
    assert "no PYENV environment named 'tool'. This image has: reports, tools." in output
    assert "Did you mean 'tools'?" in output
    assert "PYENV 3.13 tool requirements.txt" in output


def test_envs_and_which_inside_the_container(airflow):
    status, output = airflow.run("buildkit-pyenv envs --json")
    assert status == 0, output
    rows = {row["name"]: row for row in json.loads(output)}
    assert sorted(rows) == ["reports", "tools"]
    assert (rows["tools"]["python"], rows["tools"]["requested"]) == ("3.13.5", "3.13")
    assert rows["tools"]["status"] == "ok"
    status, output = airflow.run("buildkit-pyenv which reports")
    assert (status, output.strip()) == (0, "/home/astro/.venv/reports/bin/python")
    status, output = airflow.run("buildkit-pyenv which nope")
    assert status == 1 and "no PYENV environment named 'nope'" in output


def test_manifest_and_labels_from_outside(airflow_image):
    done = subprocess.run(
        [sys.executable, "-m", "buildkit_frontend", "list", "--image", airflow_image, "--json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    tools = rows["tools"]
    assert (tools["python"], tools["requested"]) == ("3.13.5", "3.13")
    assert tools["packages"]["cowsay"] == "6.1"
    assert tools["requirements"] == "tools.txt"
    assert tools["requirements_sha256"] == hashlib.sha256(b"cowsay==6.1\n").hexdigest()
    inspect = ["docker", "image", "inspect", "-f", "{{json .Config.Labels}}", airflow_image]
    labels = json.loads(subprocess.run(inspect, capture_output=True, text=True, check=True).stdout)
    assert labels["buildkit-pyenv.env.tools.requirements_sha256"] == tools["requirements_sha256"]
    assert labels["buildkit-pyenv.env.reports.requested"] == "3.13"
