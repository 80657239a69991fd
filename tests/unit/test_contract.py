"""The build scripts write what the image contract (contract.py) says images hold; the
renderer's labels and the runtime read the same names."""

from __future__ import annotations

import re
from pathlib import Path

from buildkit_frontend import contract, defaults, runtime
from buildkit_frontend.plan import plan_dockerfile
from buildkit_frontend.render import render
from tests.unit.facts import Context, debian

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_the_record_the_venv_script_writes_has_the_contract_keys():
    script = (TEMPLATES / "venv-build.sh").read_text()
    record = script[script.index("record = {") : script.index("}\nwith open(")]
    assert tuple(re.findall(r'^    "([a-z_0-9]+)":', record, re.MULTILINE)) == contract.RECORD_KEYS


def test_the_manifest_script_writes_the_contract_schema():
    script = (TEMPLATES / "manifest-build.sh").read_text()
    assert f'"schema": {contract.MANIFEST_SCHEMA}' in script


def test_labels_use_the_record_spelling_of_each_key():
    text = "FROM debian:bookworm\nPYENV 3.12 etl requirements.txt\n"
    files = {"requirements.txt": b"six\n"}
    out = render(plan_dockerfile(text, "Dockerfile", context=Context(files), images=debian())).text
    labels = set(re.findall(r"(buildkit-pyenv\.env\.etl\.[a-z_0-9-]+)=", out))
    assert labels == {contract.label("etl", key) for key in contract.LABEL_KEYS}
    assert set(contract.LABEL_KEYS) <= set(contract.RECORD_KEYS)


def test_every_reader_takes_the_paths_from_the_contract():
    assert defaults.MANIFEST_PATH == contract.MANIFEST_PATH == runtime.MANIFEST_PATH
    assert defaults.ENV_PREFIX == contract.ENV_PREFIX
