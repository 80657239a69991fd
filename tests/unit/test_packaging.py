"""What ships: the frontend image's pins and the generated protocol code stay in step."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import tomllib
from packaging.requirements import Requirement

from buildkit_frontend import __version__

ROOT = Path(__file__).resolve().parents[2]
PROTOS = ROOT / "buildkit_frontend" / "gateway" / "protos"


def test_frontend_image_pins_satisfy_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [
        Requirement(r)
        for r in project["dependencies"] + project["optional-dependencies"]["frontend"]
    ]
    pins = {}
    for line in (ROOT / "images/frontend/requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[name.lower()] = version
    for requirement in wanted:
        if requirement.name.lower() == "click":
            continue  # the CLI's, not imported by the frontend
        if requirement.marker and not requirement.marker.evaluate({"python_version": "3.11"}):
            continue  # for older Pythons than any the frontend image runs on (3.11+)
        assert requirement.name.lower() in pins, f"{requirement.name} is not pinned"
        assert requirement.specifier.contains(pins[requirement.name.lower()]), requirement


def test_generated_code_matches_the_protos(tmp_path):
    sources = sorted(str(p.relative_to(ROOT)) for p in PROTOS.glob("*.proto"))
    command = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        "-I",
        str(ROOT),
        f"--python_out={tmp_path}",
    ]
    subprocess.run([*command, *sources], check=True, cwd=ROOT)
    gateway = "buildkit_frontend/gateway/protos/gateway.proto"
    grpc_out = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        "-I",
        str(ROOT),
        f"--grpc_python_out={tmp_path}",
    ]
    subprocess.run([*grpc_out, gateway], check=True, cwd=ROOT)
    generated = sorted((tmp_path / "buildkit_frontend/gateway/protos").glob("*.py"))
    assert [p.name for p in generated] == sorted(p.name for p in PROTOS.glob("*_pb2*.py"))
    for path in generated:
        assert path.read_text() == (PROTOS / path.name).read_text(), (
            f"run `make protos` ({path.name})"
        )


def test_frontend_base_image_is_pinned_by_digest_in_one_value():
    dockerfile = (ROOT / "images/frontend/Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()
    default = re.search(r"^ARG FRONTEND_BASE_IMAGE=(\S+)$", dockerfile, re.MULTILINE)
    make_default = re.search(r"^FRONTEND_BASE_IMAGE \?= (\S+)$", makefile, re.MULTILINE)
    assert default and make_default
    assert default.group(1) == make_default.group(1)
    assert re.fullmatch(r"python:3\.12-slim@sha256:[0-9a-f]{64}", default.group(1))


def test_runtime_distribution_matches_the_main_one():
    main = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = tomllib.loads((ROOT / "packaging/runtime/pyproject.toml").read_text())["project"]
    assert runtime["version"] == main["version"] == __version__
    assert runtime["dependencies"] == []
    assert runtime["license"] == main["license"]
    assert (ROOT / "packaging/runtime/LICENSE").read_text() == (ROOT / "LICENSE").read_text()
    provider = "apache_airflow_provider"
    assert main["entry-points"][provider]["provider_info"].endswith(":get_provider_info")
    assert runtime["entry-points"][provider]["provider_info"].endswith(":get_runtime_provider_info")
