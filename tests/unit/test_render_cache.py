"""What a kept render is checked against: files by content, context paths part by part,
images by ID from the engine's socket (tests/unit/test_engine_api.py: image_id); every
kind of gathered fact is kept, and whatever cannot be checked is never kept.
(tests/e2e/test_render_cache.py runs `build` itself against the bed's engine.)"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from buildkit_frontend import render_cache
from buildkit_frontend.facts import Facts, ImageFacts
from buildkit_frontend.render_cache import Uncheckable, context_signature, file_signature


def test_a_file_is_signed_by_a_digest_of_its_content_or_as_missing(tmp_path: Path) -> None:
    small, large = tmp_path / "small", tmp_path / "large"
    small.write_bytes(b"six==1.16.0\n")
    large.write_bytes(b"x" * (3 << 20))
    assert file_signature(str(small)) == hashlib.sha256(b"six==1.16.0\n").hexdigest()
    assert file_signature(str(large)) == hashlib.sha256(b"x" * (3 << 20)).hexdigest()
    assert file_signature(str(tmp_path / "missing")) is None
    with pytest.raises(Uncheckable):
        file_signature(str(tmp_path))  # a directory: the render reports it, not the check


def test_a_fifo_or_a_device_is_never_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (str(fifo), "/dev/zero"):
        with pytest.raises(Uncheckable, match="not a regular file"):
            file_signature(path)


def test_a_context_path_is_signed_part_by_part(tmp_path: Path) -> None:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text("attrs\n")
    root = str(tmp_path)
    signed = context_signature(root, "requirements/base.txt")
    assert signed == [os.path.realpath(root), "d", hashlib.sha256(b"attrs\n").hexdigest()]
    # .. stops at the context's root, as BuildKit reads a context path
    assert context_signature(root, "../requirements/./base.txt") == signed
    assert context_signature(root, "requirements/none.txt") == [root, "d", "-"]
    assert context_signature(root, "gone/base.txt") == [root, "-"]
    assert context_signature(root, "requirements") == [root, "d"]
    (tmp_path / "requirements" / "base.txt").write_text("attrs==23.2.0\n")
    assert context_signature(root, "requirements/base.txt") != signed


def test_a_symlink_on_a_context_path_cannot_be_checked(tmp_path: Path) -> None:
    """BuildKit follows it inside the context, with its own rules; the record would
    have to follow it the same way, so such a build is rendered every time."""
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "r.txt").write_text("six\n")
    (tmp_path / "linked").symlink_to("real")
    with pytest.raises(Uncheckable, match="symlink"):
        context_signature(str(tmp_path), "linked/r.txt")


def test_a_file_in_the_middle_of_a_path_ends_its_signature(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    assert context_signature(str(tmp_path), "file/below") == [str(tmp_path), "o"]


def test_every_kind_of_fact_has_a_signer_and_a_check() -> None:
    """A record is made of facts.Facts field by field: each has a way to be kept and a
    way to be checked at the next build, and there are no others."""
    fields = {field.name for field in dataclasses.fields(Facts)}
    assert set(render_cache.FACT_SIGNERS) == fields
    assert set(render_cache.FACT_CHECKS) == fields


def loaded(tmp_path: Path, facts: Facts, host: str | None = "unix:///run/engine.sock"):
    """What the CLI hands render_cache.save: a plan made of `facts`."""
    (tmp_path / "Dockerfile").write_text("FROM img\n")
    plan = SimpleNamespace(facts=facts, notes=())
    endpoint = None
    if host is not None:
        endpoint = SimpleNamespace(host=host, variables=("DOCKER_HOST",), files=())
    return SimpleNamespace(
        plan=plan,
        dockerfile=str(tmp_path / "Dockerfile"),
        ignore_candidates=(),
        endpoint=endpoint,
        variables=(),
    )


RUN = {"text": "FROM img\n", "own_ignore": None, "docker_args": [], "environment": {}}


def records(tmp_path: Path) -> list[Path]:
    return list((tmp_path / "cache").glob("buildkit-pyenv/builds/*.record"))


def test_a_record_keeps_digests_of_what_it_compares_in_private_files(cache: Path) -> None:
    secret = "hunter2-index-token"
    os.environ["BUILDKIT_PYENV_TEST_TOKEN"] = secret
    try:
        facts = Facts("ctx", {"r.txt": None}, {}, {}, "unix:///run/engine.sock")
        load = loaded(cache, facts)
        load.variables = ("BUILDKIT_PYENV_TEST_TOKEN",)
        (cache / "Dockerfile").write_text(f"FROM img\n# {secret}\n")
        argv = ["build", "--build-arg", "BUILDKIT_PYENV_TEST_TOKEN", "."]
        render_cache.save(argv, load, {**RUN, "context": str(cache)})
    finally:
        del os.environ["BUILDKIT_PYENV_TEST_TOKEN"]
    (record,) = records(cache)
    assert secret.encode() not in record.read_bytes()
    assert b"BUILDKIT_PYENV_TEST_TOKEN" in record.read_bytes()  # the name, to read it again
    for path in (record, record.parent / ".key"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for path in (record.parent, record.parent.parent):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_kind_of_fact_nobody_signs_means_no_record(cache: Path, monkeypatch) -> None:
    facts = Facts("ctx", {"r.txt": b"six\n"}, {}, {}, "unix:///run/engine.sock")
    render_cache.save(["build", "."], loaded(cache, facts), {**RUN, "context": str(cache)})
    assert len(records(cache)) == 1
    for path in records(cache):
        path.unlink()
    monkeypatch.delitem(render_cache.FACT_SIGNERS, "context_files")
    render_cache.save(["build", "."], loaded(cache, facts), {**RUN, "context": str(cache)})
    assert records(cache) == []


@pytest.mark.parametrize(
    ("facts", "host"),
    [
        # An image whose facts could not be learned cannot be checked by its ID.
        (Facts(images={"img": ImageFacts(unknown_because="engine down")}), "unix:///x.sock"),
        # An engine that is not on a unix socket cannot be asked cheaply.
        (Facts(images={"img": ImageFacts(id="sha256:1")}, endpoint="tcp://h"), "tcp://h:2375"),
        # A symlink on a context path.
        (Facts("ctx", {"linked/x.txt": None}), None),
    ],
)
def test_what_cannot_be_checked_is_never_kept(cache: Path, facts: Facts, host) -> None:
    (cache / "real").mkdir()
    (cache / "linked").symlink_to("real")
    render_cache.save(["build", "."], loaded(cache, facts, host), {**RUN, "context": str(cache)})
    assert records(cache) == []


def test_the_code_stamp_covers_every_module_a_render_runs(tmp_path: Path) -> None:
    """Render in a fresh process, then check that each module of the package it
    imported is in a directory code_stamp reads."""
    import subprocess

    (tmp_path / "Dockerfile").write_text("FROM img\nPYENV 3.13 a requirements.txt\n")
    (tmp_path / "requirements.txt").write_text("six\n")
    script = (
        "import sys\n"
        "from buildkit_frontend import cli\n"
        "cli.main(sys.argv[1:], standalone_mode=False)\n"
        "for name, module in list(sys.modules.items()):\n"
        "    if name.startswith('buildkit_frontend') and getattr(module, '__file__', None):\n"
        "        print(module.__file__, file=sys.stderr)\n"
    )
    args = ["render", "--build-arg", "PYENV_DEBIAN_RELEASE=bookworm", str(tmp_path / "Dockerfile")]
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
    )
    used = [Path(line) for line in done.stderr.splitlines() if line.endswith(".py")]
    package = Path(render_cache.__file__).parent
    skipped = {package / name for name in render_cache.NOT_RUN_BY_THE_CLI}
    assert len(used) > 10 and not [path for path in used if path.parent in skipped]
    assert all(path.parent == package or path.parent.parent == package for path in used)
