"""What a kept render is checked against: files by content, context paths part by part,
images by ID from the engine's socket; whatever cannot be checked is never kept.
(tests/e2e/test_render_cache.py runs `build` itself against the bed's engine.)"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote_plus

import pytest

from buildkit_frontend import render_cache
from buildkit_frontend.render_cache import Uncheckable, context_signature, file_signature


def test_a_file_is_signed_by_its_content_or_as_missing(tmp_path: Path) -> None:
    small, large = tmp_path / "small", tmp_path / "large"
    small.write_bytes(b"six==1.16.0\n")
    large.write_bytes(b"x" * (render_cache.WHOLE + 1))
    assert file_signature(str(small)) == b"six==1.16.0\n"
    assert file_signature(str(large)).startswith(b"sha256:")
    assert file_signature(str(large)) != file_signature(str(small))
    assert file_signature(str(tmp_path / "missing")) is None
    with pytest.raises(Uncheckable):
        file_signature(str(tmp_path))  # a directory: the render reports it, not the check


def test_a_context_path_is_signed_part_by_part(tmp_path: Path) -> None:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text("attrs\n")
    root = str(tmp_path)
    signed = context_signature(root, "requirements/base.txt")
    assert signed == [os.path.realpath(root), "d", b"attrs\n"]
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


class FakeEngine:
    """A unix socket that answers GET /images/<name>/json as the engine does."""

    def __init__(self, path: Path, status: int, body: bytes) -> None:
        self.requests: list[bytes] = []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen()
        self.status, self.body = status, body
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                self.requests.append(connection.recv(65536))
                head = f"HTTP/1.0 {self.status} X\r\nContent-Type: application/json\r\n\r\n"
                connection.sendall(head.encode() + self.body)


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "docker.sock"
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
    monkeypatch.delenv("DOCKER_TLS_VERIFY", raising=False)
    monkeypatch.delenv("DOCKER_CERT_PATH", raising=False)
    yield path


@pytest.mark.parametrize(
    "name",
    ["buildkit-pyenv-test/astro:bookworm", "registry.local:5000/team/img:1", "img@sha256:ab"],
)
def test_an_image_is_asked_for_as_the_docker_sdk_asks(engine: Path, name: str) -> None:
    fake = FakeEngine(engine, 200, b'{"Id":"sha256:0123","RepoTags":["x"]}')
    assert render_cache.image_id(name) == "sha256:0123"
    request_line = fake.requests[0].split(b"\r\n")[0].decode()
    assert request_line == f"GET /images/{quote_plus(name, safe='/:')}/json HTTP/1.0"


def test_an_image_the_engine_lacks_is_recorded_as_missing(engine: Path) -> None:
    FakeEngine(engine, 404, b'{"message":"No such image"}')
    assert render_cache.image_id("nowhere:1") is None


@pytest.mark.parametrize(
    ("status", "body"), [(500, b'{"message":"x"}'), (200, b'{"RepoTags":[],"Id":"x"}')]
)
def test_an_answer_it_does_not_know_is_left_to_the_docker_sdk(engine, status, body) -> None:
    FakeEngine(engine, status, body)
    with pytest.raises(Uncheckable):
        render_cache.image_id("img:1")


def test_an_engine_it_cannot_reach_simply_is_not_used(engine: Path) -> None:
    with pytest.raises(Uncheckable):
        render_cache.image_id("img:1")  # nothing listens on the socket


@pytest.mark.parametrize(
    "settings",
    [
        {"DOCKER_HOST": "tcp://127.0.0.1:2375"},
        {"DOCKER_HOST": "ssh://builder"},
        {"DOCKER_TLS_VERIFY": "1"},
    ],
)
def test_only_an_engine_on_a_plain_unix_socket_is_asked(engine, monkeypatch, settings) -> None:
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(Uncheckable):
        render_cache.engine_socket()


def test_a_recorder_that_met_something_uncheckable_keeps_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "real").mkdir()
    (tmp_path / "linked").symlink_to("real")
    recorder = render_cache.Recorder(["build", str(tmp_path)])
    lookup = recorder.context_lookup(str(tmp_path), lambda relative: None)
    lookup("linked/x.txt")
    recorder.save({"text": "", "own_ignore": None, "docker_args": [], "context": "."}, [])
    assert recorder.broken and not (tmp_path / "cache").exists()
