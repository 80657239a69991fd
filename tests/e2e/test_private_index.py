"""End to end: a private package index that wants credentials (pypiserver with an htpasswd
file on 127.0.0.1), reached with BuildKit secrets through `buildkit-pyenv build` and the
frontend, with uv and pip; the secret reaches no layer, history or image config."""

from __future__ import annotations

import gzip
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.bed.fixtures import ASTRO_IMAGE, image_config, write_context
from tests.conftest import FRONTEND_TEST_IMAGE
from tests.e2e.checks import shell
from tests.e2e.wheels import make_wheel

USER = "ci-reader"


@dataclass(frozen=True)
class PrivateIndex:
    """A running authenticated index and the secret that opens it."""

    url: str  # without credentials
    token: str
    secrets: Path  # directory with the files given as --secret src=


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture(scope="module")
def private_index(bed, tmp_path_factory) -> Iterator[PrivateIndex]:
    """pypiserver on 127.0.0.1 serving a wheel built here, every action authenticated."""
    from passlib.apache import HtpasswdFile

    root = tmp_path_factory.mktemp("private-index")
    make_wheel(root / "packages", "privatepkg", "2.0", "SECRET_SAUCE = 42\n")
    token = f"tok-{uuid.uuid4().hex}"
    htpasswd = HtpasswdFile(str(root / "htpasswd"), new=True)
    htpasswd.set_password(USER, token)
    htpasswd.save()
    port = _free_port()
    url = f"http://127.0.0.1:{port}/simple/"
    secrets = root / "secrets"
    write_context(
        secrets,
        {
            "netrc": f"machine 127.0.0.1 login {USER} password {token}\n",
            "index-url": f"http://{USER}:{token}@127.0.0.1:{port}/simple/\n",
        },
    )
    command = [sys.executable, "-m", "pypiserver", "run", "-p", str(port), "-i", "127.0.0.1"]
    command += ["-a", "download,list,update", "-P", str(root / "htpasswd"), "--disable-fallback"]
    log = open(root / "server.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen([*command, str(root / "packages")], stdout=log, stderr=log)
    try:
        for _ in range(100):
            try:
                if _status(url) == 401:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail(f"pypiserver did not start: {(root / 'server.log').read_text()[-2000:]}")
        yield PrivateIndex(url, token, secrets)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def test_the_index_refuses_requests_without_credentials(private_index):
    assert _status(private_index.url + "privatepkg/") == 401


@pytest.fixture(scope="module")
def private_image(cli_build, private_index):
    """Two environments from the private index, built by `buildkit-pyenv build` with two
    secrets: uv with the index URL as a secret, pip with a netrc and --index-url."""
    context = write_context(
        cli_build.tmp / "private",
        {
            "Dockerfile": f"FROM {ASTRO_IMAGE}\n"
            "PYENV 3.13 private_uv private.txt\n"
            f"PYENV --installer=pip --index-url={private_index.url} 3.13 private_pip private.txt\n",
            "private.txt": f"privatepkg==2.0\n# {uuid.uuid4()}: built afresh in every run\n",
        },
    )
    secrets = private_index.secrets
    tag, result = cli_build.build(
        context,
        "--secret",
        f"id=index-url,src={secrets / 'index-url'}",
        "--secret",
        f"id=netrc,src={secrets / 'netrc'}",
    )
    result.ok()
    return tag, result


@pytest.mark.parametrize("variable", ["ASTRO_PYENV_private_uv", "ASTRO_PYENV_private_pip"])
def test_secrets_open_the_private_index_for_uv_and_pip(private_image, variable):
    tag, _ = private_image
    code = "import privatepkg; print(privatepkg.SECRET_SAUCE)"
    assert shell(tag, f'"${variable}" -c "{code}"') == "42"


def layer_bytes(image: str, scratch: Path) -> Iterator[bytes]:
    """Every file of `docker save IMAGE` (layers decompressed when gzipped)."""
    archive = scratch / "image.tar"
    subprocess.run(["docker", "save", "-o", str(archive), image], check=True)
    with tarfile.open(archive) as saved:
        for member in saved:
            if not member.isfile():
                continue
            data = saved.extractfile(member).read()
            yield gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    archive.unlink()


def test_the_secret_is_in_no_layer_history_or_config(private_image, private_index, tmp_path):
    tag, result = private_image
    token = private_index.token.encode()
    found_sauce = False
    for data in layer_bytes(tag, tmp_path):
        assert token not in data
        found_sauce = found_sauce or b"SECRET_SAUCE = 42" in data
    assert found_sauce, "the scan did not read the venv's layer"
    history = subprocess.run(
        ["docker", "history", "--no-trunc", "--format", "{{.CreatedBy}}", tag],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert private_index.token not in history
    assert private_index.token not in str(image_config(tag))
    assert private_index.token not in result.output


def test_without_the_secret_the_build_fails_at_the_pyenv_line(
    frontend_image, buildx, private_index
):
    context = write_context(
        buildx.tmp / "no-secret",
        {
            "Dockerfile": f"# syntax={FRONTEND_TEST_IMAGE}\nFROM {ASTRO_IMAGE}\n"
            f"PYENV --index-url={private_index.url} 3.13 private private.txt\n",
            "private.txt": f"privatepkg==2.0\n# {uuid.uuid4()}\n",
        },
    )
    _, result = buildx.build(context)
    assert result.returncode != 0
    assert "a step of the PYENV line 3 did not complete successfully" in result.output
    assert "installing private.txt for PYENV 3.13 private failed" in result.output
    assert "no index credentials were given" in result.output
    assert "--secret id=netrc" in result.output
    assert "--build-arg PYENV_SECRETS=netrc" in result.output
