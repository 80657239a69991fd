"""What `python -m build` makes of the repository: both distributions pass `twine check`,
carry the LICENSE and full metadata, and the runtime one needs nothing but Python."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LICENSE = (ROOT / "LICENSE").read_text()
RUNTIME_FILES = {
    "buildkit_frontend/__init__.py",
    "buildkit_frontend/contract.py",
    "buildkit_frontend/defaults.py",
    "buildkit_frontend/runtime.py",
    "buildkit_frontend/airflow/__init__.py",
    "buildkit_frontend/airflow/compat.py",
    "buildkit_frontend/airflow/decorator.py",
    "buildkit_frontend/airflow/task_start.py",
}


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """sdist and wheel of both distributions, by `<name>.<kind>`."""
    out = tmp_path_factory.mktemp("dist")
    for project in (ROOT, ROOT / "packaging" / "runtime"):
        done = subprocess.run(
            [sys.executable, "-m", "build", "--outdir", str(out), str(project)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    found = {}
    for path in out.iterdir():
        name = path.name.split("-")[0]
        found[f"{name}.{'whl' if path.suffix == '.whl' else 'sdist'}"] = path
    assert sorted(found) == [
        "buildkit_pyenv.sdist",
        "buildkit_pyenv.whl",
        "buildkit_pyenv_runtime.sdist",
        "buildkit_pyenv_runtime.whl",
    ]
    return found


def wheel_files(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as wheel:
        return {name: wheel.read(name).decode() for name in wheel.namelist()}


def sdist_files(path: Path) -> dict[str, str]:
    with tarfile.open(path) as sdist:
        return {
            member.name.split("/", 1)[1]: sdist.extractfile(member).read().decode()
            for member in sdist.getmembers()
            if member.isfile()
        }


def metadata(path: Path) -> dict:
    files = wheel_files(path)
    text = next(v for k, v in files.items() if k.endswith(".dist-info/METADATA"))
    return Parser().parsestr(text)


def test_twine_check_passes(dists):
    done = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dists.values())],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 4


@pytest.mark.parametrize("name", ["buildkit_pyenv", "buildkit_pyenv_runtime"])
def test_license_is_in_sdist_and_wheel(dists, name):
    assert "Apache License" in LICENSE and "Version 2.0, January 2004" in LICENSE
    assert sdist_files(dists[f"{name}.sdist"])["LICENSE"] == LICENSE
    files = wheel_files(dists[f"{name}.whl"])
    assert files[f"{name}-0.1.0.dist-info/licenses/LICENSE"] == LICENSE
    meta = metadata(dists[f"{name}.whl"])
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta["License-File"] == "LICENSE"


def test_full_metadata(dists):
    meta = metadata(dists["buildkit_pyenv.whl"])
    assert meta["Name"] == "buildkit-pyenv"
    assert meta["Description-Content-Type"] == "text/markdown"
    assert meta.get_payload().startswith("# buildkit-pyenv\n")
    classifiers = meta.get_all("Classifier")
    assert "Framework :: Apache Airflow :: Provider" in classifiers
    assert "Programming Language :: Python :: 3.13" in classifiers
    urls = dict(url.split(", ", 1) for url in meta.get_all("Project-URL"))
    assert {"Homepage", "Source", "Issues", "Documentation"} <= set(urls)
    assert "click<9,>=8.1" in meta.get_all("Requires-Dist")


def test_runtime_wheel_needs_nothing_and_holds_the_runtime_only(dists):
    meta = metadata(dists["buildkit_pyenv_runtime.whl"])
    assert meta["Name"] == "buildkit-pyenv-runtime"
    assert meta.get_all("Requires-Dist") is None
    files = wheel_files(dists["buildkit_pyenv_runtime.whl"])
    assert {name for name in files if not name.startswith("buildkit_pyenv_runtime-")} == (
        RUNTIME_FILES
    )
    for name in RUNTIME_FILES:  # the repository's own code, not a copy that drifts
        assert files[name] == (ROOT / name).read_text(), name
    entry_points = files["buildkit_pyenv_runtime-0.1.0.dist-info/entry_points.txt"]
    assert "provider_info = buildkit_frontend.airflow:get_runtime_provider_info" in entry_points


def test_runtime_sdist_builds_the_same_wheel(dists, tmp_path):
    """The sdist holds its own copies of the modules: a wheel built from it (as pip does
    from PyPI) has the same files."""
    with tarfile.open(dists["buildkit_pyenv_runtime.sdist"]) as sdist:
        sdist.extractall(tmp_path, filter="data")
    (source,) = tmp_path.iterdir()
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "out"), str(source)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = (tmp_path / "out").glob("*.whl")
    assert wheel_files(wheel) == wheel_files(dists["buildkit_pyenv_runtime.whl"])
