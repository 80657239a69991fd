"""The CLI reads a base image's os-release once per image ID, then from its cache."""

from __future__ import annotations

from types import SimpleNamespace

import docker

from buildkit_frontend import engine

BOOKWORM = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_CODENAME=bookworm\n'


class _Containers:
    def __init__(self) -> None:
        self.created = 0

    def create(self, *args, **kwargs):
        self.created += 1
        return SimpleNamespace(
            get_archive=lambda path: (_ for _ in ()).throw(docker.errors.NotFound(path)),
            remove=lambda force: None,
        )


def _client(image_id: str) -> SimpleNamespace:
    return SimpleNamespace(
        images=SimpleNamespace(get=lambda name: SimpleNamespace(id=image_id)),
        containers=_Containers(),
    )


def test_a_remembered_image_is_answered_without_a_container(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    client = _client("sha256:" + "a" * 64)
    monkeypatch.setattr(docker, "from_env", lambda **kwargs: client)
    engine._remember_os_release("sha256:" + "a" * 64, BOOKWORM)
    found = engine.local_base_os()("astro:latest")
    assert found.debian_release == "bookworm"
    assert client.containers.created == 0


def test_another_image_id_is_read_from_the_image(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    engine._remember_os_release("sha256:" + "a" * 64, BOOKWORM)
    client = _client("sha256:" + "b" * 64)  # same tag, rebuilt: a new ID
    monkeypatch.setattr(docker, "from_env", lambda **kwargs: client)
    found = engine.local_base_os()("astro:latest")
    assert client.containers.created == 1
    assert found.debian_release is None
    assert found.unknown_because == "it has no /etc/os-release"


def test_an_unwritable_cache_costs_only_the_lookup(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))  # a file, not a directory
    engine._remember_os_release("sha256:" + "c" * 64, BOOKWORM)
    assert engine._remembered_os_release("sha256:" + "c" * 64) is None
