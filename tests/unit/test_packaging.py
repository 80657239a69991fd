"""What ships: the frontend image's pins and the generated protocol code stay in step."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import tomllib
from packaging.requirements import Requirement

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
        if requirement.name.lower() in ("click", "docker"):
            continue  # the CLI's, not imported by the frontend
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
