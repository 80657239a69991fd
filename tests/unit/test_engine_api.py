"""The engine's API spoken with the standard library, against a fake engine: an HTTP
server on a unix socket (or TCP, or TLS) that answers as dockerd does. Whatever goes
wrong is an EngineError that names the endpoint and what was asked."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import os
import shutil
import socket
import socketserver
import ssl
import subprocess
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

from buildkit_frontend.engine import images
from buildkit_frontend.engine.api import Engine
from buildkit_frontend.engine.endpoint import resolve_endpoint
from buildkit_frontend.engine.probe import Unreachable, image_id
from buildkit_frontend.errors import EngineError, PyenvError
from buildkit_frontend.plan import plan_dockerfile
from buildkit_frontend.survey import OS_RELEASE
from tests.unit.certificates import CA_PEM

NEW_DOCKER = {"Version": "26.1.5+dfsg1", "ApiVersion": "1.45", "Components": [{"Name": "Engine"}]}
BOOKWORM = b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_CODENAME=bookworm\n'


class Link:
    """A symlink in an image, as the archive endpoint hands it out (not followed)."""

    def __init__(self, target: str) -> None:
        self.target = target


class Directory:
    """A directory in an image."""


class FakeEngine:
    """dockerd's API, as far as this tool uses it. `images` maps a name to its inspection
    (its "Id" first, as dockerd writes it); `files` maps an image ID to its paths (bytes,
    Link or Directory). `answers` overrides a request ("GET /version") with a status and
    raw body, `archive_failure` every archive request. Requests are recorded;
    `containers` holds the containers made and not removed."""

    def __init__(self, address: str | tuple[str, int], tls: ssl.SSLContext | None = None) -> None:
        self.images: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, bytes | Link | Directory]] = {}
        self.version: dict[str, Any] = dict(NEW_DOCKER)
        self.answers: dict[str, tuple[int, bytes]] = {}
        self.requests: list[tuple[str, str, bytes]] = []
        self.created: list[dict[str, Any]] = []
        self.containers: dict[str, str] = {}  # container ID: image ID
        self.archive_failure: tuple[int, bytes] | None = None
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._answer(self)

            do_POST = do_DELETE = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        kind = socketserver.UnixStreamServer if isinstance(address, str) else socketserver.TCPServer
        self.server = kind(address, Handler)  # type: ignore[arg-type]
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        serve = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        serve.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_image(self, name: str, files: dict[str, bytes | Link | Directory], **config: Any):
        digest = "sha256:" + hashlib.sha256(name.encode()).hexdigest()
        self.images[name] = {"Id": digest, "RepoTags": [name], "Config": config}
        self.files[digest] = files
        return digest

    def _image(self, reference: str) -> dict[str, Any] | None:
        by_id = [i for i in self.images.values() if i["Id"] == reference]
        return self.images.get(reference) or (by_id[0] if by_id else None)

    def _answer(self, request: http.server.BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        self.requests.append((request.command, request.path, body))
        status, answer = self.answers.get(f"{request.command} {request.path}") or self._route(
            request.command, request.path, body
        )
        request.send_response(status)
        kind = "application/x-tar" if answer[:1] not in (b"{", b"[") else "application/json"
        request.send_header("Content-Type", kind)
        request.send_header("Content-Length", str(len(answer)))
        request.end_headers()
        request.wfile.write(answer)

    def _route(self, method: str, target: str, body: bytes) -> tuple[int, bytes]:
        url = urlsplit(target)
        parts = url.path.split("/")
        if method == "GET" and url.path == "/version":
            return 200, _compact(self.version)
        if method == "GET" and parts[1] == "images" and parts[-1] == "json":
            found = self._image(unquote("/".join(parts[2:-1])))
            if found is None:
                return 404, b'{"message":"No such image"}'
            return 200, _compact(found)
        if method == "POST" and url.path == "/containers/create":
            settings = json.loads(body)
            self.created.append(settings)
            found = self._image(settings["Image"])
            if found is None:
                return 404, b'{"message":"No such image"}'
            container = os.urandom(32).hex()
            self.containers[container] = found["Id"]
            return 201, _compact({"Id": container, "Warnings": []})
        if method == "GET" and parts[1] == "containers" and parts[-1] == "archive":
            if self.archive_failure is not None:
                return self.archive_failure
            path = parse_qs(url.query)["path"][0]
            entry = self.files[self.containers[parts[2]]].get(path)
            return (
                (404, b'{"message":"Could not find the file"}')
                if entry is None
                else (
                    200,
                    _tar(path, entry),
                )
            )
        if method == "DELETE" and parts[1] == "containers":
            self.containers.pop(parts[2], None)
            return 204, b""
        return 404, b'{"message":"page not found"}'


def _compact(answer: dict[str, Any]) -> bytes:
    """JSON as dockerd writes it: no spaces, fields in their order ("Id" first)."""
    return json.dumps(answer, separators=(",", ":")).encode()


def _tar(path: str, entry: bytes | Link | Directory) -> bytes:
    """What dockerd's archive endpoint sends for one path: a tar whose first member is
    the path itself."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo(os.path.basename(path))
        if isinstance(entry, Link):
            info.type, info.linkname = tarfile.SYMTYPE, entry.target
            archive.addfile(info)
        elif isinstance(entry, Directory):
            info.type = tarfile.DIRTYPE
            archive.addfile(info)
        else:
            info.size = len(entry)
            archive.addfile(info, io.BytesIO(entry))
    return buffer.getvalue()


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory with a short path: a unix socket's path has at most 107 bytes."""
    with tempfile.TemporaryDirectory(prefix="engine-", dir="/tmp") as directory:
        yield Path(directory)


@pytest.fixture
def fake(short_dir: Path) -> Iterator[FakeEngine]:
    served = FakeEngine(str(short_dir / "docker.sock"))
    yield served
    served.close()


def engine_of(socket_path: str | Path, **variables: str) -> Engine:
    """An Engine for DOCKER_HOST=unix://<socket_path>."""
    found = resolve_endpoint({"DOCKER_HOST": f"unix://{socket_path}", **variables})
    return Engine(found, timeout=5)


def fake_engine(fake: FakeEngine) -> Engine:
    return engine_of(fake.server.server_address)  # type: ignore[arg-type]


# Images and their files.


def test_an_image_is_inspected_and_a_missing_one_is_none(fake: FakeEngine) -> None:
    digest = fake.add_image("registry.local:5000/team/img:1", {}, OnBuild=["RUN x"])
    found = fake_engine(fake).image("registry.local:5000/team/img:1")
    assert found is not None and found["Id"] == digest
    assert fake_engine(fake).image("img@sha256:ab") is None
    # Quoted as the docker SDK quotes a name: / and : kept.
    assert [path for _, path, _ in fake.requests] == [
        "/images/registry.local:5000/team/img:1/json",
        f"/images/{quote('img@sha256:ab', safe='/:')}/json",
    ]


def test_files_are_read_from_a_container_that_is_never_started(fake: FakeEngine) -> None:
    files = {
        "/etc/os-release": Link("../usr/lib/os-release"),
        "/usr/lib/os-release": BOOKWORM,
        "/etc": Directory(),
    }
    digest = fake.add_image("base:1", files)
    paths = ["/etc/os-release", "/usr/lib/os-release", "/etc", "/nowhere"]
    found = fake_engine(fake).read_image_files(digest, paths, limit=1000)
    assert found == {
        "/etc/os-release": None,  # a link: the caller tries the next path
        "/usr/lib/os-release": BOOKWORM,
        "/etc": None,
        "/nowhere": None,
    }
    assert fake.created == [
        {"Image": digest, "Entrypoint": ["true"], "Cmd": [], "NetworkDisabled": True}
    ]
    assert fake.containers == {}  # removed
    assert fake.requests[-1][0] == "DELETE" and fake.requests[-1][1].endswith("?force=1")
    assert ("GET", "/containers/start") not in [(m, p) for m, p, _ in fake.requests]


def test_the_container_is_removed_when_a_file_is_too_big(fake: FakeEngine) -> None:
    fake.add_image("base:1", {"/big": b"x" * 2000, "/ok": b"ok"})
    with pytest.raises(EngineError, match="/big of the image 'base:1' has 2000 bytes"):
        fake_engine(fake).read_image_files("base:1", ["/ok", "/big"], limit=1000)
    assert fake.containers == {}


def test_the_container_is_removed_when_the_engine_fails_to_hand_a_file(fake) -> None:
    fake.add_image("base:1", {"/ok": b"ok"})
    fake.archive_failure = (500, b'{"message":"the disk is on fire"}')
    with pytest.raises(EngineError) as raised:
        fake_engine(fake).read_image_files("base:1", ["/ok"], limit=1000)
    assert "/ok of the image 'base:1'" in raised.value.message
    assert "it answered 500: the disk is on fire" in raised.value.message
    assert fake.containers == {}
    assert fake.requests[-1][0] == "DELETE"


def test_an_engine_failing_in_the_middle_of_a_look_up_is_a_render_error(fake) -> None:
    """The image is there, its container is made, then the engine fails: the render says
    so at the PYENV line, naming the engine, and the CLI never shows a traceback."""
    fake.add_image("base:1", {"/etc/os-release": b"ID=debian\nVERSION_CODENAME=trixie\n"})
    fake.archive_failure = (500, b'{"message":"the disk is on fire"}')
    source = images.EngineImages(fake_engine(fake).endpoint)
    with pytest.raises(PyenvError) as raised:
        plan_dockerfile("FROM base:1\nPYENV 3.13 a\n", "Dockerfile", images=source)
    message = raised.value.show()
    assert message.startswith("Dockerfile:2: cannot tell which Debian release base:1 is")
    assert "it answered 500: the disk is on fire" in message and "unix://" in message
    assert fake.containers == {}


def test_no_container_is_made_of_an_image_the_engine_lacks(fake: FakeEngine) -> None:
    with pytest.raises(EngineError, match="no image 'gone:1' in the engine at unix://"):
        fake_engine(fake).read_image_files("gone:1", ["/etc/os-release"], limit=1000)
    assert fake.containers == {}


# Failures name the endpoint and what was asked.


def test_an_engine_that_is_not_there_is_named_with_its_context(short_dir: Path) -> None:
    config = short_dir / "config"
    meta = config / "contexts" / "meta" / hashlib.sha256(b"other").hexdigest() / "meta.json"
    meta.parent.mkdir(parents=True)
    missing = short_dir / "missing.sock"
    endpoint = {"Host": f"unix://{missing}", "SkipTLSVerify": False}
    meta.write_text(
        json.dumps({"Name": "other", "Metadata": {}, "Endpoints": {"docker": endpoint}})
    )
    found = resolve_endpoint({"DOCKER_CONFIG": str(config), "DOCKER_CONTEXT": "other"})
    with pytest.raises(EngineError) as raised:
        Engine(found).image("base:1")
    message = raised.value.message
    assert str(missing) in message and "docker context 'other'" in message
    assert "the image 'base:1'" in message and "No such file or directory" in message
    assert "DOCKER_CONTEXT" in (raised.value.hint or "")


def test_a_socket_nobody_listens_on_is_refused(short_dir: Path) -> None:
    path = short_dir / "dead.sock"
    with socket.socket(socket.AF_UNIX) as dead:
        dead.bind(str(path))  # bound, not listening
        with pytest.raises(EngineError, match=f"{path} .*its version: Connection refused"):
            engine_of(path).version()


def test_an_engine_that_does_not_answer_times_out(short_dir: Path) -> None:
    path = short_dir / "mute.sock"
    with socket.socket(socket.AF_UNIX) as mute:
        mute.bind(str(path))
        mute.listen()  # accepts into the backlog, never answers
        endpoint = resolve_endpoint({"DOCKER_HOST": f"unix://{path}"})
        with pytest.raises(EngineError, match="timed out"):
            Engine(endpoint, timeout=0.2).version()


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ((500, b'{"message":"daemon exploded"}'), "it answered 500: daemon exploded"),
        ((502, b"<html>bad gateway</html>"), "it answered 502: <html>bad gateway</html>"),
        ((200, b'{"Id": "sha256:'), "its answer is not JSON"),
        ((200, b"[1, 2]"), "its answer is not a JSON object"),
    ],
)
def test_what_the_engine_should_not_answer_is_an_error(fake, answer, expected) -> None:
    fake.answers["GET /images/base:1/json"] = answer
    with pytest.raises(EngineError) as raised:
        fake_engine(fake).image("base:1")
    assert f"the engine at unix://{fake.server.server_address}" in raised.value.message
    assert "the image 'base:1'" in raised.value.message and expected in raised.value.message


@pytest.mark.parametrize("host", ["ssh://me@builder", "npipe:////./pipe/docker_engine"])
def test_endpoints_it_cannot_speak_to_are_named(host: str) -> None:
    remote = Engine(resolve_endpoint({"DOCKER_HOST": host}))  # made: asking fails
    with pytest.raises(EngineError) as raised:
        remote.image("base:1")
    assert host in raised.value.message and host.split("://")[0] + "://" in raised.value.message
    assert "buildkit-pyenv render" in (raised.value.hint or "")


# The engine's version.


def test_a_new_enough_engine_says_what_it_is(fake: FakeEngine) -> None:
    assert fake_engine(fake).check_buildkit() == "Docker Engine 26.1.5+dfsg1 (API 1.45)"
    assert fake_engine(fake).version()["ApiVersion"] == "1.45"


def test_an_engine_too_old_for_rendered_files_is_an_error(fake: FakeEngine) -> None:
    fake.version = {"Version": "20.10.24", "ApiVersion": "1.41", "Components": []}
    with pytest.raises(EngineError) as raised:
        fake_engine(fake).check_buildkit()
    message = raised.value.message
    assert f"unix://{fake.server.server_address}" in message
    assert "Docker Engine 20.10.24 (API 1.41)" in message
    assert "Docker Engine 23 or newer (API 1.42, BuildKit 0.11)" in message


@pytest.mark.parametrize(("version", "new_enough"), [("4.9.3", True), ("3.4.4", False)])
def test_podman_is_judged_by_its_own_version(fake, version: str, new_enough: bool) -> None:
    fake.version = {
        "Version": version,
        "ApiVersion": "1.41",  # what Podman answers, whatever it supports
        "Components": [{"Name": "Podman Engine", "Version": version}],
    }
    if new_enough:
        assert fake_engine(fake).check_buildkit() == f"Podman {version}"
    else:
        with pytest.raises(EngineError, match=f"is Podman {version}; .*need Podman 4 or newer"):
            fake_engine(fake).check_buildkit()


# TCP, plain and with TLS.


def test_an_engine_on_tcp(short_dir: Path) -> None:
    served = FakeEngine(("127.0.0.1", 0))
    try:
        served.add_image("base:1", {})
        port = served.server.server_address[1]
        remote = Engine(resolve_endpoint({"DOCKER_HOST": f"tcp://127.0.0.1:{port}"}))
        assert remote.image("base:1") is not None
    finally:
        served.close()


OPENSSL_SELF_SIGNED = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt"]
OPENSSL_SELF_SIGNED += ["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"]
OPENSSL_SELF_SIGNED += ["-keyout", "key.pem", "-out", "cert.pem"]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the certificates")
def test_an_engine_on_tls_checked_against_its_ca(short_dir: Path) -> None:
    subprocess.run(
        [*OPENSSL_SELF_SIGNED, "-subj", "/CN=engine", "-addext", "subjectAltName=IP:127.0.0.1"],
        cwd=short_dir,
        check=True,
        capture_output=True,
    )
    shutil.copy(short_dir / "cert.pem", short_dir / "ca.pem")  # self-signed: its own CA
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(short_dir / "cert.pem", short_dir / "key.pem")
    served = FakeEngine(("127.0.0.1", 0), tls=server_side)
    try:
        served.add_image("base:1", {})
        port = served.server.server_address[1]
        variables = {"DOCKER_HOST": f"tcp://127.0.0.1:{port}", "DOCKER_CERT_PATH": str(short_dir)}
        checked = resolve_endpoint({**variables, "DOCKER_TLS_VERIFY": "1"})
        assert Engine(checked).image("base:1") is not None
        (short_dir / "ca.pem").write_text(CA_PEM)  # an engine the CA did not sign
        with pytest.raises(EngineError, match="CERTIFICATE_VERIFY_FAILED"):
            Engine(checked).image("base:1")
    finally:
        served.close()


# image_id: the ID alone, over a bare socket, for the check of a kept render.


def test_image_id_reads_the_id_without_a_json_parser(fake: FakeEngine) -> None:
    digest = fake.add_image("base:1", {})
    assert image_id(f"unix://{fake.server.server_address}", "base:1") == digest
    assert image_id(f"unix://{fake.server.server_address}", "gone:1") is None
    assert fake.requests[0][1] == "/images/base:1/json"


@pytest.mark.parametrize(
    "answer",
    [(500, b'{"message":"x"}'), (200, b'{"RepoTags":[],"Id":"x"}'), (200, b"garbage")],
)
def test_image_id_leaves_what_it_does_not_know_unanswered(fake, answer) -> None:
    fake.answers["GET /images/base:1/json"] = answer
    with pytest.raises(Unreachable):
        image_id(f"unix://{fake.server.server_address}", "base:1")


@pytest.mark.parametrize("host", ["tcp://127.0.0.1:2375", "ssh://builder", "unix://"])
def test_image_id_asks_only_an_engine_on_a_unix_socket(host: str) -> None:
    with pytest.raises(Unreachable, match="not on a unix socket"):
        image_id(host, "base:1")


def test_image_id_of_an_engine_that_is_not_there(short_dir: Path) -> None:
    with pytest.raises(Unreachable, match=r"missing\.sock"):
        image_id(f"unix://{short_dir / 'missing.sock'}", "base:1")
    assert issubclass(Unreachable, OSError)


# What images say: the environments of a built image, the triggers of a base image.


def test_an_image_s_environments_are_its_manifest_and_labels(fake: FakeEngine) -> None:
    manifest = {"environments": [{"name": "dbt", "python": "3.12"}]}
    labels = {"buildkit-pyenv.env.dbt.python": "3.12", "other": "x"}
    fake.add_image(
        "app:1", {"/etc/buildkit-pyenv/manifest.json": json.dumps(manifest).encode()}, Labels=labels
    )
    found = images.image_environments("app:1", fake_engine(fake))
    assert found.manifest == manifest
    assert found.labels == {"dbt": {"python": "3.12"}}
    fake.add_image("bare:1", {}, Labels=None)
    assert images.image_environments("bare:1", fake_engine(fake)) == images.ImageEnvironments(
        None, {}
    )
    assert fake.containers == {}


def test_a_manifest_that_is_not_json_is_an_error_naming_it(fake: FakeEngine) -> None:
    fake.add_image("app:1", {"/etc/buildkit-pyenv/manifest.json": b"{not json"})
    with pytest.raises(PyenvError, match=r"manifest\.json is not a JSON manifest"):
        images.image_environments("app:1", fake_engine(fake))
    with pytest.raises(EngineError, match="no image 'gone:1' in the engine at unix://"):
        images.image_environments("gone:1", fake_engine(fake))


def test_engine_images_gives_the_facts_a_render_needs(fake: FakeEngine) -> None:
    os_release = b"ID=debian\nVERSION_CODENAME=trixie\n"
    fake.add_image("triggered:1", {"/etc/os-release": os_release}, OnBuild=["RUN make"])
    fake.add_image("plain:1", {"/etc/os-release": os_release}, OnBuild=None)
    source = images.EngineImages(fake_engine(fake).endpoint)
    found = source.image("triggered:1", frozenset({OS_RELEASE}))
    assert found.onbuild == ("RUN make",) and found.id is not None
    inspections = [r for r in fake.requests if r[:2] == ("GET", "/images/triggered:1/json")]
    assert len(inspections) == 1  # the os-release look-up reuses the inspection
    assert found.os is not None and found.os.debian_release == "trixie"
    plain = source.image("plain:1", frozenset())
    assert plain.onbuild == () and plain.os is None  # the os-release was not asked for
    gone = source.image("gone:1", frozenset({OS_RELEASE}))
    assert gone.absent and gone.id is None and gone.onbuild is None
    assert "it is not in the engine at unix://" in (gone.unknown_because or "")
    assert fake.containers == {}


def test_engine_images_says_which_engine_it_could_not_ask(short_dir: Path) -> None:
    missing = short_dir / "missing.sock"
    source = images.EngineImages(engine_of(missing).endpoint)
    found = source.image("base:1", frozenset({OS_RELEASE}))
    assert found.id is None and found.onbuild is None and not found.absent  # unknown
    assert f"unix://{missing} (DOCKER_HOST)" in (found.unknown_because or "")
    assert found.os is not None and found.os.debian_release is None
