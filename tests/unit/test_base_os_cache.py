"""A base image's os-release is read once per image ID, then from this user's cache; the
cache is private, and what it holds is checked before it is believed."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from buildkit_frontend.engine import images as engine
from buildkit_frontend.engine.api import Engine
from buildkit_frontend.engine.endpoint import resolve_endpoint
from tests.unit.test_engine_api import BOOKWORM, FakeEngine, Link

A, B = "sha256:" + "a" * 64, "sha256:" + "b" * 64


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEngine]:
    """A fake engine, and a cache of its own in tmp_path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with tempfile.TemporaryDirectory(prefix="engine-", dir="/tmp") as short:
        served = FakeEngine(os.path.join(short, "docker.sock"))
        yield served
        served.close()


def asked(fake: FakeEngine) -> Engine:
    return Engine(resolve_endpoint({"DOCKER_HOST": f"unix://{fake.server.server_address}"}))


def cached(image_id: str) -> Path:
    path = engine._os_release_cache(image_id)
    assert path is not None
    return Path(path)


def test_a_remembered_image_is_answered_without_a_container(fake: FakeEngine) -> None:
    fake.add_image("astro:latest", {})
    image_id = fake.images["astro:latest"]["Id"]
    engine._remember_os_release(image_id, BOOKWORM.decode())
    assert engine.base_os(asked(fake), "astro:latest").debian_release == "bookworm"
    assert fake.created == []


def test_an_image_is_read_once_then_from_the_cache(fake: FakeEngine) -> None:
    image_id = fake.add_image(
        "astro:latest",
        {"/etc/os-release": Link("../usr/lib/os-release"), "/usr/lib/os-release": BOOKWORM},
    )
    assert engine.base_os(asked(fake), "astro:latest").debian_release == "bookworm"
    assert engine.base_os(asked(fake), "astro:latest").debian_release == "bookworm"
    assert len(fake.created) == 1 and fake.created[0]["Image"] == image_id
    assert fake.containers == {}


def test_another_image_id_is_read_from_the_image(fake: FakeEngine) -> None:
    engine._remember_os_release(A, BOOKWORM.decode())
    fake.add_image("astro:latest", {})  # same tag, rebuilt: a new ID, and no os-release
    found = engine.base_os(asked(fake), "astro:latest")
    assert len(fake.created) == 1
    assert found.debian_release is None
    assert found.unknown_because == "it has no /etc/os-release"


def test_an_image_the_engine_lacks_is_unknown_naming_the_engine(fake: FakeEngine) -> None:
    found = engine.base_os(asked(fake), "gone:1")
    assert found.unknown_because == (
        f"it is not in the engine at unix://{fake.server.server_address} (DOCKER_HOST); "
        "`docker pull gone:1` first"
    )


def test_the_cache_is_private(fake: FakeEngine) -> None:
    engine._remember_os_release(A, BOOKWORM.decode())
    path = cached(A)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert engine._remembered_os_release(A) == BOOKWORM.decode()


def test_a_cache_file_others_could_write_is_not_believed(fake: FakeEngine) -> None:
    engine._remember_os_release(A, BOOKWORM.decode())
    cached(A).chmod(0o666)
    assert engine._remembered_os_release(A) is None


def test_a_cache_directory_others_could_write_is_not_believed_then_made_private(fake) -> None:
    engine._remember_os_release(A, BOOKWORM.decode())
    cached(A).parent.chmod(0o777)
    assert engine._remembered_os_release(A) is None
    engine._remember_os_release(B, BOOKWORM.decode())  # writing makes it private again
    assert stat.S_IMODE(cached(A).parent.stat().st_mode) == 0o700
    assert engine._remembered_os_release(A) == BOOKWORM.decode()


@pytest.mark.parametrize(
    "text", ["", "#!/bin/sh\nrm -rf / ; echo\n", "ID=debian two words\n", "\xff" * 10]
)
def test_what_is_no_os_release_file_is_not_believed(fake: FakeEngine, text: str) -> None:
    engine._remember_os_release(A, BOOKWORM.decode())
    cached(A).write_text(text, encoding="latin-1")
    assert engine._remembered_os_release(A) is None
    engine._remember_os_release(B, text)  # nor kept
    assert not cached(B).exists()


def test_a_link_in_the_cache_is_not_followed(fake: FakeEngine, tmp_path: Path) -> None:
    engine._remember_os_release(A, BOOKWORM.decode())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text(BOOKWORM.decode())
    elsewhere.chmod(0o600)
    cached(B).symlink_to(elsewhere)
    assert engine._remembered_os_release(B) is None


def test_an_id_that_cannot_name_a_file_is_not_kept(fake: FakeEngine) -> None:
    assert engine._os_release_cache("sha256:../../etc/passwd") is None
    assert engine._remembered_os_release("../x") is None


def test_an_unwritable_cache_costs_only_the_lookup(tmp_path: Path, monkeypatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))  # a file, not a directory
    engine._remember_os_release("sha256:" + "c" * 64, BOOKWORM.decode())
    assert engine._remembered_os_release("sha256:" + "c" * 64) is None
