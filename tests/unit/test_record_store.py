"""The record store trusts only private, authenticated records of the user running the
build: anything another user could have written or changed is passed over, with the
reason, and a crafted record never gives a traceback or a hang."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from buildkit_frontend import record_store, render_cache
from buildkit_frontend.record_store import Untrusted

NAME = record_store.record_name(["/work", "build", "."])


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A saved record in a fresh cache; returns the record's path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    record_store.save(NAME, {"run": {"docker_args": ["-t", "app"]}})
    path = Path(record_store.store_dir()) / NAME
    assert path.is_file()
    return path


def test_a_record_comes_back_as_it_was_saved(store: Path) -> None:
    assert record_store.load(NAME) == {"run": {"docker_args": ["-t", "app"]}}


def test_a_record_changed_after_it_was_written_is_refused(store: Path) -> None:
    data = bytearray(store.read_bytes())
    data[data.index(b"app")] = ord("x")  # "-t xpp": what an attacker would rewrite
    store.write_bytes(bytes(data))
    with pytest.raises(Untrusted, match="changed after it was written"):
        record_store.load(NAME)


def test_a_record_made_without_the_key_is_refused(store: Path) -> None:
    import marshal

    forged = {"run": {"docker_args": ["--output", "type=local,dest=/root/.ssh"]}}
    store.write_bytes(record_store.MAGIC + b"\0" * 32 + marshal.dumps(forged))
    with pytest.raises(Untrusted, match="changed after it was written"):
        record_store.load(NAME)


@pytest.mark.parametrize("where", ["store", "root"])
def test_a_store_others_may_write_is_refused(store: Path, where: str) -> None:
    directory = store.parent if where == "store" else store.parent.parent
    directory.chmod(0o777)
    with pytest.raises(Untrusted, match="may be written by others"):
        record_store.load(NAME)


def test_a_symlinked_store_is_refused(store: Path, tmp_path: Path) -> None:
    real = tmp_path / "elsewhere"
    store.parent.rename(real)
    store.parent.symlink_to(real)
    with pytest.raises(Untrusted, match="not a directory"):
        record_store.load(NAME)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file away takes root")
def test_a_record_or_store_of_another_user_is_refused_even_for_root(store: Path) -> None:
    os.chown(store, 4321, 4321)
    with pytest.raises(Untrusted, match="belongs to uid 4321"):
        record_store.load(NAME)
    os.chown(store, 0, 0)
    os.chown(store.parent, 4321, 4321)
    with pytest.raises(Untrusted, match="belongs to uid 4321"):
        record_store.load(NAME)


def test_a_record_others_may_read_is_refused(store: Path) -> None:
    store.chmod(0o644)
    with pytest.raises(Untrusted, match="not private"):
        record_store.load(NAME)


def test_a_fifo_a_device_link_or_a_huge_file_is_refused_without_blocking(store: Path) -> None:
    store.unlink()
    os.mkfifo(store, 0o600)
    done: list[BaseException] = []

    def load() -> None:
        try:
            record_store.load(NAME)
        except Untrusted as why:
            done.append(why)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(10)
    assert done and "not a regular file" in str(done[0])
    store.unlink()
    store.symlink_to("/dev/zero")
    with pytest.raises(Untrusted, match="cannot be opened safely"):
        record_store.load(NAME)
    store.unlink()
    with store.open("wb") as handle:
        handle.truncate(record_store.MAX_RECORD_BYTES + 1)  # sparse: costs no disk
    store.chmod(0o600)
    with pytest.raises(Untrusted, match="more than a record has"):
        record_store.load(NAME)


def test_a_record_of_the_wrong_shape_renders_again_quietly(store: Path, monkeypatch) -> None:
    """A record that is ours but not what a build expects (another version's, say)."""
    monkeypatch.chdir(store.parent)
    argv = ["build", "."]
    name = record_store.record_name(render_cache._record_words(argv))
    for shape in ([1, 2], {"facts": 1}, {"facts": {}, "format": "x"}, "text"):
        record_store.save(name, shape)
        assert render_cache.recorded_build(argv) is None


def test_saving_makes_the_store_private(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    record_store.save(NAME, {"x": 1})
    root = Path(record_store.cache_root())
    for path in (root, root / "builds"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    for path in (root / "builds" / NAME, root / "builds" / ".key"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
