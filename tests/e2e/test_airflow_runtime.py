"""Airflow images with the runtime-only distribution, an Astro Runtime version string, and
astro-provider-venv beside it: the bed's real Airflow 3 and 2, in throwaway containers.

Only the wheels built or downloaded on the host go in; nothing else is installed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bed.fixtures import AIRFLOW_IMAGE

ROOT = Path(__file__).resolve().parents[2]
DAGS = Path(__file__).resolve().parent / "airflow_runtime"
AIRFLOWS = {
    "3": ("/opt/airflow/bin", "/home/astro/airflow"),
    "2": ("/opt/airflow2/bin", "/home/astro/airflow2"),
}
#: The competing provider, as PyPI has it.
ASTRO_PROVIDER = "astro-provider-venv==1.0.0a3"


@pytest.fixture(scope="module")
def wheels(bed: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runtime distribution's wheel, and astro-provider-venv's."""
    out = tmp_path_factory.mktemp("wheels")
    build = [sys.executable, "-m", "build", "--wheel", "--outdir", str(out)]
    subprocess.run([*build, str(ROOT / "packaging/runtime")], check=True, capture_output=True)
    download = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(out)]
    subprocess.run([*download, ASTRO_PROVIDER], check=True, capture_output=True)
    return out


def run(wheels: Path, script: str) -> tuple[int, str]:
    """Run a bash script as root in a new container of the bed's Airflow image."""
    done = subprocess.run(
        [
            "docker", "run", "--rm", "--user", "root",
            "-v", f"{wheels}:/wheels:ro", "-v", f"{DAGS}:/dags:ro",
            AIRFLOW_IMAGE, "bash", "-c", f"set -euo pipefail\n{script}",
        ],
        capture_output=True,
        text=True,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr


INSTALL_RUNTIME = """\
export PATH={bin}:$PATH AIRFLOW_HOME={home}
pip list --format=freeze | sort >/tmp/before
pip install -q --disable-pip-version-check /wheels/buildkit_pyenv_runtime-*.whl
pip list --format=freeze | sort >/tmp/after
echo "NEW: $(comm -13 /tmp/before /tmp/after | tr '\\n' ' ')"
echo "GONE: $(comm -23 /tmp/before /tmp/after | tr '\\n' ' ')"
"""


@pytest.mark.parametrize("version", sorted(AIRFLOWS, reverse=True), ids=lambda v: f"airflow{v}")
def test_runtime_install_adds_one_package_and_parses_task_venv(wheels, version):
    bin_dir, home = AIRFLOWS[version]
    script = INSTALL_RUNTIME.format(bin=bin_dir, home=home)
    script += "ASTRO_PYENV_etl=/usr/bin/python3 python /dags/runtime_only.py\n"
    status, output = run(wheels, script)
    assert status == 0, output[-4000:]
    assert "NEW: buildkit-pyenv-runtime==0.1.0 \n" in output
    assert "GONE: \n" in output
    assert "OPERATOR PyenvDecoratedOperator /usr/bin/python3" in output


ASTRO_VERSION = """\
site=/opt/airflow2/lib/python3.11/site-packages
# The task's environment: Airflow 2.11.0 as PyPI has it (a copy of Airflow's own venv).
cp -a /opt/airflow2 /opt/task-env
# The Airflow running the task reports itself the way Astro Runtime does.
sed -i 's/^__version__ = "\\(.*\\)"$/__version__ = "\\1+astro.1"/' $site/airflow/__init__.py
sed -i 's/^Version: \\(.*\\)$/Version: \\1+astro.1/' $site/apache_airflow-*.dist-info/METADATA
echo "RUNTIME $(python -c 'import airflow; print(airflow.__version__)')"
export AIRFLOW__CORE__DAGS_FOLDER=/dags ASTRO_PYENV_withairflow=/opt/task-env/bin/python
airflow dags test pyenv_astro 2026-01-01 >/tmp/dag.log 2>&1 \\
    || {{ tail -n 60 /tmp/dag.log; exit 1; }}
grep -i "context keys will not be available" /tmp/dag.log || true
python - <<'PY'
import json, sqlite3
rows = sqlite3.connect("{home}/airflow.db").execute(
    "select value from xcom where dag_id = 'pyenv_astro' and key = 'return_value'").fetchall()
print("XCOM", json.dumps(json.loads(rows[0][0])))
PY
"""


def test_task_keeps_its_context_under_an_astro_runtime_version(wheels):
    bin_dir, home = AIRFLOWS["2"]
    script = INSTALL_RUNTIME.format(bin=bin_dir, home=home) + ASTRO_VERSION.format(home=home)
    status, output = run(wheels, script)
    assert status == 0, output[-4000:]
    assert "RUNTIME 2.11.0+astro.1" in output
    assert "context keys will not be available" not in output
    line = next(line for line in output.splitlines() if line.startswith("XCOM "))
    result = json.loads(line[len("XCOM ") :])
    assert result["airflow"] == "2.11.0"
    assert result["dag_run"] is not None and result["dag_run"].startswith("manual__2026-01-01")


COMPETING = """\
pip install -q --disable-pip-version-check --no-deps /wheels/astro_provider_venv-*.whl
python - <<'PY'
from airflow.providers_manager import ProvidersManager
active = ProvidersManager().taskflow_decorators["venv"]
print("ACTIVE", active.__module__)
PY
"""


@pytest.mark.parametrize("version", sorted(AIRFLOWS, reverse=True), ids=lambda v: f"airflow{v}")
def test_astro_provider_beside_us_is_named_with_the_way_out(wheels, version):
    bin_dir, home = AIRFLOWS[version]
    status, output = run(wheels, INSTALL_RUNTIME.format(bin=bin_dir, home=home) + COMPETING)
    assert status == 0, output[-4000:]
    assert "ACTIVE astronomer.providers.venv.decorators" in output
    assert (
        "@task.venv is registered by both buildkit-pyenv and astro-provider-venv 1.0.0a3: "
        "astro-provider-venv 1.0.0a3's (astronomer.providers.venv.decorators.venv_task) is active"
    ) in output
    assert "remove astro-provider-venv from the image" in output
