"""`list --image` with a malformed manifest in the image: an error naming it, never a
traceback (the engine is replaced by what it would return)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from buildkit_frontend import cli
from buildkit_frontend.engine import images as engine
from buildkit_frontend.errors import PyenvError


def test_read_json_refuses_what_is_no_manifest():
    assert engine._read_json(b'{"environments": []}', "/m") == {"environments": []}
    for data, message in [
        (b"{not json", "is not a JSON manifest"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ]:
        with pytest.raises(PyenvError, match=message):
            engine._read_json(data, "/m")


def test_list_image_reports_bad_records(monkeypatch):
    manifest = {"environments": [{"name": "ok", "interpreter": "/ok/bin/python"}, "junk"]}
    monkeypatch.setattr(
        engine, "image_environments", lambda image, _: engine.ImageEnvironments(manifest, {})
    )
    done = CliRunner().invoke(cli.main, ["list", "--image", "img:1", "--json"])
    assert done.exit_code == 1
    assert json.loads(done.stdout) == [{"name": "ok", "interpreter": "/ok/bin/python"}]
    assert "environment #2 is a string, not an object" in done.stderr
    listed = engine.ImageEnvironments([1, 2], {})
    monkeypatch.setattr(engine, "image_environments", lambda image, _: listed)
    done = CliRunner().invoke(cli.main, ["list", "--image", "img:1"])
    assert done.exit_code == 1
    assert "/etc/buildkit-pyenv/manifest.json of img:1 is a list, not a JSON object" in done.stderr
