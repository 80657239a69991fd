"""Which engine the user's docker talks to, decided as the docker CLI decides it:
DOCKER_HOST, else DOCKER_CONTEXT, else the current context of config.json, else the
default socket; contexts read from the store `docker context create` writes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from buildkit_frontend.engine.endpoint import DEFAULT_HOST, Endpoint, resolve_endpoint
from buildkit_frontend.errors import EngineError
from tests.unit.certificates import CA_PEM


def write_context(
    config: Path, name: str, host: str, skip_verify: bool = False, tls: tuple[str, ...] = ()
) -> Path:
    """A context as `docker context create` stores it; returns its TLS directory."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = config / "contexts" / "meta" / digest / "meta.json"
    meta.parent.mkdir(parents=True)
    endpoint = {"Host": host, "SkipTLSVerify": skip_verify}
    meta.write_text(json.dumps({"Name": name, "Metadata": {}, "Endpoints": {"docker": endpoint}}))
    tls_dir = config / "contexts" / "tls" / digest / "docker"
    for file in tls:
        tls_dir.mkdir(parents=True, exist_ok=True)
        (tls_dir / file).write_text(f"{file} of {name}")
    return tls_dir


def use_context(config: Path, name: str) -> Path:
    """What `docker context use NAME` writes."""
    config.mkdir(exist_ok=True)
    (config / "config.json").write_text(json.dumps({"auths": {}, "currentContext": name}))
    return config / "config.json"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """An empty docker configuration directory."""
    return tmp_path / "docker-config"


def env(config: Path, **variables: str) -> dict[str, str]:
    return {"DOCKER_CONFIG": str(config), **variables}


def test_with_nothing_set_it_is_the_default_socket(config: Path) -> None:
    found = resolve_endpoint(env(config))
    assert found.host == DEFAULT_HOST == "unix:///var/run/docker.sock"
    assert (found.context, found.chosen_by, found.tls) == (None, "the default", False)
    assert str(found) == "unix:///var/run/docker.sock (the default)"
    assert found.files == (str(config / "config.json"),)  # looked at, found missing
    assert found.variables[:3] == ("DOCKER_CONFIG", "DOCKER_HOST", "DOCKER_CONTEXT")


def test_docker_host_wins_over_docker_context_and_the_current_context(config: Path) -> None:
    write_context(config, "other", "unix:///run/other.sock")
    use_context(config, "other")
    found = resolve_endpoint(env(config, DOCKER_HOST="tcp://10.0.0.1:2375", DOCKER_CONTEXT="other"))
    assert (found.host, found.context, found.chosen_by) == (
        "tcp://10.0.0.1:2375",
        None,
        "DOCKER_HOST",
    )
    assert str(found) == "tcp://10.0.0.1:2375 (DOCKER_HOST)"
    # Neither the context nor the config file decided anything, so neither is a file of it.
    assert found.files == ()
    assert "DOCKER_CONTEXT" not in found.variables
    assert {"DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"} <= set(found.variables)


def test_an_empty_docker_host_counts_as_unset(config: Path) -> None:
    write_context(config, "other", "unix:///run/other.sock")
    found = resolve_endpoint(env(config, DOCKER_HOST="", DOCKER_CONTEXT="other"))
    assert (found.host, found.context) == ("unix:///run/other.sock", "other")


def test_docker_context_wins_over_the_current_context(config: Path) -> None:
    write_context(config, "other", "unix:///run/other.sock")
    write_context(config, "third", "unix:///run/third.sock")
    use_context(config, "third")
    found = resolve_endpoint(env(config, DOCKER_CONTEXT="other"))
    assert (found.host, found.context, found.chosen_by) == (
        "unix:///run/other.sock",
        "other",
        "DOCKER_CONTEXT",
    )
    assert str(found) == "unix:///run/other.sock (docker context 'other')"
    digest = hashlib.sha256(b"other").hexdigest()
    assert str(config / "contexts" / "meta" / digest / "meta.json") in found.files


def test_the_current_context_of_config_json(config: Path) -> None:
    write_context(config, "other", "unix:///run/other.sock")
    config_file = use_context(config, "other")
    found = resolve_endpoint(env(config))
    assert (found.host, found.context) == ("unix:///run/other.sock", "other")
    assert found.chosen_by == f"the current context in {config_file}"
    assert found.files[0] == str(config_file)
    assert found.config_dir == str(config)


@pytest.mark.parametrize("how", ["DOCKER_CONTEXT", "config.json"])
def test_the_context_named_default_is_the_default_endpoint(config: Path, how: str) -> None:
    if how == "config.json":
        use_context(config, "default")
        found = resolve_endpoint(env(config))
    else:
        found = resolve_endpoint(env(config, DOCKER_CONTEXT="default"))
    assert (found.host, found.context) == (DEFAULT_HOST, "default")
    assert found.docker_environment()["DOCKER_HOST"] == DEFAULT_HOST


def test_a_context_that_does_not_exist_is_named_with_where_it_was_looked_for(
    config: Path,
) -> None:
    use_context(config, "gone")
    with pytest.raises(EngineError) as raised:
        resolve_endpoint(env(config))
    digest = hashlib.sha256(b"gone").hexdigest()
    message = raised.value.message
    assert "docker context 'gone'" in message
    assert str(config / "contexts" / "meta" / digest / "meta.json") in message
    assert str(config / "config.json") in message  # what chose it
    assert "docker context ls" in (raised.value.hint or "")


def test_a_context_without_a_docker_endpoint_is_an_error(config: Path) -> None:
    meta = config / "contexts" / "meta" / hashlib.sha256(b"k8s").hexdigest() / "meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text('{"Name":"k8s","Metadata":{},"Endpoints":{}}')
    with pytest.raises(EngineError, match=r"'k8s' .* has no docker endpoint"):
        resolve_endpoint(env(config, DOCKER_CONTEXT="k8s"))


def test_a_config_file_docker_cannot_parse_is_ignored_as_docker_ignores_it(config: Path) -> None:
    config.mkdir()
    (config / "config.json").write_text("{not json")
    assert resolve_endpoint(env(config)).host == DEFAULT_HOST


def test_the_configuration_directory_defaults_to_home(tmp_path: Path) -> None:
    write_context(tmp_path / ".docker", "other", "unix:///run/other.sock")
    use_context(tmp_path / ".docker", "other")
    found = resolve_endpoint({"HOME": str(tmp_path)})
    assert (found.host, found.config_dir) == ("unix:///run/other.sock", str(tmp_path / ".docker"))
    assert found.variables[:2] == ("DOCKER_CONFIG", "HOME")


@pytest.mark.parametrize(
    ("value", "host"),
    [
        ("tcp://10.0.0.1", "tcp://10.0.0.1:2375"),
        ("10.0.0.1:5000", "tcp://10.0.0.1:5000"),
        ("tcp://[::1]:5000", "tcp://[::1]:5000"),
        ("unix://", DEFAULT_HOST),
        ("  unix:///run/x.sock  ", "unix:///run/x.sock"),
        ("ssh://me@builder", "ssh://me@builder"),
        ("npipe:////./pipe/docker_engine", "npipe:////./pipe/docker_engine"),
    ],
)
def test_docker_host_is_normalised_as_docker_does(config: Path, value: str, host: str) -> None:
    assert resolve_endpoint(env(config, DOCKER_HOST=value)).host == host


@pytest.mark.parametrize("value", ["ftp://x", "tcp://host:port", "unix://a://b"])
def test_an_address_docker_refuses_is_an_error(config: Path, value: str) -> None:
    with pytest.raises(EngineError, match=r"DOCKER_HOST is .* not an address docker can use"):
        resolve_endpoint(env(config, DOCKER_HOST=value))


def test_tls_from_docker_tls_verify_and_docker_cert_path(tmp_path: Path, config: Path) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (certs / name).write_text(name)
    found = resolve_endpoint(
        env(
            config,
            DOCKER_HOST="tcp://10.0.0.1:2376",
            DOCKER_TLS_VERIFY="1",
            DOCKER_CERT_PATH=str(certs),
        )
    )
    assert (found.tls, found.tls_verify) == (True, True)
    assert (found.ca_file, found.cert_file, found.key_file) == tuple(
        str(certs / name) for name in ("ca.pem", "cert.pem", "key.pem")
    )
    assert found.files == (found.ca_file, found.cert_file, found.key_file)
    assert found.docker_environment() == {
        "DOCKER_HOST": "tcp://10.0.0.1:2376",
        "DOCKER_CONTEXT": "",
        "DOCKER_TLS_VERIFY": "1",
        "DOCKER_TLS": "",
        "DOCKER_CERT_PATH": str(certs),
    }


def test_any_docker_tls_verify_value_verifies_as_docker_reads_it(config: Path) -> None:
    config.mkdir()
    (config / "ca.pem").write_text("ca")  # DOCKER_CERT_PATH defaults to DOCKER_CONFIG
    found = resolve_endpoint(env(config, DOCKER_TLS_VERIFY="0"))
    # TLS without a host is docker's TLS default, and its files are the config directory's.
    assert (found.host, found.tls, found.tls_verify) == ("tcp://localhost:2376", True, True)
    assert (found.ca_file, found.cert_file) == (str(config / "ca.pem"), None)


def test_docker_tls_alone_is_tls_without_checking_the_engine(config: Path) -> None:
    config.mkdir()
    (config / "ca.pem").write_text("ca")
    found = resolve_endpoint(env(config, DOCKER_HOST="tcp://h:2376", DOCKER_TLS="1"))
    assert (found.tls, found.tls_verify) == (True, False)
    assert found.docker_environment()["DOCKER_TLS"] == "1"


def test_tls_without_its_ca_file_is_an_error_naming_it(config: Path) -> None:
    with pytest.raises(EngineError) as raised:
        resolve_endpoint(env(config, DOCKER_HOST="tcp://h:2376", DOCKER_TLS_VERIFY="1"))
    assert str(config / "ca.pem") in raised.value.message
    assert "DOCKER_TLS_VERIFY" in raised.value.message


def test_a_context_s_tls_files(config: Path) -> None:
    tls_dir = write_context(config, "remote", "tcp://10.0.0.2:2376", tls=("ca.pem",))
    found = resolve_endpoint(env(config, DOCKER_CONTEXT="remote"))
    assert (found.tls, found.tls_verify, found.ca_file) == (True, True, str(tls_dir / "ca.pem"))
    assert found.cert_file is found.key_file is None
    assert str(tls_dir / "ca.pem") in found.files and str(tls_dir / "key.pem") in found.files
    with_pair = write_context(config, "pair", "tcp://h:2376", tls=("cert.pem", "key.pem"))
    found = resolve_endpoint(env(config, DOCKER_CONTEXT="pair"))
    assert (found.cert_file, found.key_file) == (
        str(with_pair / "cert.pem"),
        str(with_pair / "key.pem"),
    )


def test_a_context_that_skips_the_check_speaks_tls_without_files(config: Path) -> None:
    write_context(config, "insecure", "tcp://10.0.0.3:2376", skip_verify=True)
    found = resolve_endpoint(env(config, DOCKER_CONTEXT="insecure"))
    assert (found.tls, found.tls_verify, found.ca_file) == (True, False, None)
    write_context(config, "plain", "tcp://10.0.0.4:2375")
    assert resolve_endpoint(env(config, DOCKER_CONTEXT="plain")).tls is False


def test_a_context_s_environment_pins_the_context_and_its_store(config: Path) -> None:
    write_context(config, "other", "unix:///run/other.sock")
    found = resolve_endpoint(env(config, DOCKER_CONTEXT="other", DOCKER_TLS_VERIFY="1"))
    assert found.docker_environment() == {
        "DOCKER_CONTEXT": "other",
        "DOCKER_HOST": "",
        "DOCKER_CONFIG": str(config),
    }


def test_an_endpoint_is_a_frozen_value() -> None:
    endpoint = Endpoint("unix:///run/x.sock", "DOCKER_HOST")
    assert endpoint == Endpoint("unix:///run/x.sock", "DOCKER_HOST")
    with pytest.raises(AttributeError):
        endpoint.host = "tcp://elsewhere:2375"  # type: ignore[misc]


# The docker CLI itself, when it is installed: the same store, the same answers.

DOCKER = shutil.which("docker")
needs_docker = pytest.mark.skipif(DOCKER is None, reason="the docker CLI is not installed")


def docker(config: Path, *args: str, **variables: str) -> str:
    """Run the docker CLI on the configuration directory `config` (no engine needed)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    environ.update(variables)
    done = subprocess.run(
        [str(DOCKER), "--config", str(config), *args],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout


def docker_current(config: Path, **variables: str) -> tuple[str, str]:
    """The context `docker context ls` marks current, and its docker endpoint."""
    listed = docker(config, "context", "ls", "--format", "json", **variables)
    rows = [json.loads(line) for line in listed.splitlines() if line.strip()]
    current = [row for row in rows if row["Current"]]
    assert len(current) == 1, rows
    return current[0]["Name"], current[0]["DockerEndpoint"]


@needs_docker
def test_contexts_docker_creates_resolve_as_docker_resolves_them(config: Path) -> None:
    docker(config, "context", "create", "xx", "--docker", "host=unix:///tmp/xx.sock")
    docker(config, "context", "create", "yy", "--docker", "host=tcp://10.0.0.9:2375")
    inspected = json.loads(docker(config, "context", "inspect", "xx"))[0]
    assert docker_current(config) == ("default", DEFAULT_HOST)
    assert resolve_endpoint(env(config)).host == DEFAULT_HOST

    docker(config, "context", "use", "xx")
    found = resolve_endpoint(env(config))
    assert (found.context, found.host) == docker_current(config) == ("xx", "unix:///tmp/xx.sock")
    assert found.host == inspected["Endpoints"]["docker"]["Host"]
    assert os.path.join(inspected["Storage"]["MetadataPath"], "meta.json") in found.files

    found = resolve_endpoint(env(config, DOCKER_CONTEXT="yy"))
    assert (found.context, found.host) == docker_current(config, DOCKER_CONTEXT="yy")

    both = {"DOCKER_HOST": "unix:///tmp/host.sock", "DOCKER_CONTEXT": "yy"}
    found = resolve_endpoint(env(config, **both))
    assert ("default", found.host) == docker_current(config, **both)


@needs_docker
def test_the_docker_environment_makes_docker_use_the_same_endpoint(config: Path) -> None:
    docker(config, "context", "create", "xx", "--docker", "host=unix:///tmp/xx.sock")
    docker(config, "context", "use", "xx")
    # A context, pinned against variables that would choose another endpoint.
    found = resolve_endpoint(env(config))
    elsewhere = {"DOCKER_CONTEXT": "default", "DOCKER_HOST": "unix:///tmp/elsewhere.sock"}
    pinned = {**elsewhere, **found.docker_environment()}
    assert docker_current(config, **pinned) == ("xx", found.host)
    # A host, pinned against the current context and DOCKER_CONTEXT.
    found = resolve_endpoint(env(config, DOCKER_HOST="tcp://10.0.0.1:2375"))
    pinned = {"DOCKER_CONTEXT": "xx", **found.docker_environment()}
    assert docker_current(config, **pinned) == ("default", "tcp://10.0.0.1:2375")


@needs_docker
def test_a_tls_context_docker_creates(config: Path, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text(CA_PEM)
    docker(
        config,
        "context",
        "create",
        "tlsy",
        "--docker",
        f"host=tcp://10.0.0.5:2376,ca={ca},skip-tls-verify=true",
    )
    inspected = json.loads(docker(config, "context", "inspect", "tlsy"))[0]
    found = resolve_endpoint(env(config, DOCKER_CONTEXT="tlsy"))
    assert found.host == inspected["Endpoints"]["docker"]["Host"]
    assert found.tls_verify is not inspected["Endpoints"]["docker"]["SkipTLSVerify"]
    assert found.ca_file == os.path.join(inspected["Storage"]["TLSPath"], "docker", "ca.pem")
    assert Path(found.ca_file).read_text() == CA_PEM
