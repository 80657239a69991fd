"""Which engine the user's `docker` talks to, resolved as the docker CLI resolves it
(docker/cli, cli/command/cli.go `resolveContextName` and `getDockerEndPoint`): a
non-empty DOCKER_HOST, else the DOCKER_CONTEXT variable, else the `currentContext` of
$DOCKER_CONFIG/config.json, else the default socket; a named context is read from the
context store in $DOCKER_CONFIG/contexts.

Every file and variable read to decide is kept in the Endpoint, so that `build`'s record
can check that the same endpoint would be chosen again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

TYPE_CHECKING = False  # typing itself takes 2 ms to import
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from ..errors import EngineError

#: Where dockerd listens unless told otherwise (docker/cli opts/hosts.go).
DEFAULT_HOST = "unix:///var/run/docker.sock"
#: The default when TLS is asked for (DOCKER_TLS_VERIFY, DOCKER_TLS) without a host.
DEFAULT_TLS_HOST = "tcp://localhost:2376"
#: The port of a tcp:// host that names none.
DEFAULT_TCP_PORT = "2375"
#: The environment variables the docker CLI reads to choose its endpoint.
ENDPOINT_VARIABLES = (
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "DOCKER_CONFIG",
    "DOCKER_TLS_VERIFY",
    "DOCKER_TLS",
    "DOCKER_CERT_PATH",
    "HOME",
)
#: The TLS files of an endpoint, as the docker CLI names them.
TLS_FILES = ("ca.pem", "cert.pem", "key.pem")


@dataclass(frozen=True)
class Endpoint:
    """The engine the user's docker talks to, and how that was decided."""

    #: unix:///var/run/docker.sock, tcp://1.2.3.4:2376, ssh://user@host, ...
    host: str
    #: In words: "DOCKER_HOST", "DOCKER_CONTEXT", "the current context in <path>",
    #: "the default".
    chosen_by: str
    #: The docker context it came from ("default" for the default one named), or None.
    context: str | None = None
    #: Whether a tcp:// host is spoken to over TLS, and whether its certificate is checked.
    tls: bool = False
    tls_verify: bool = False
    #: The TLS files found: the CA to check the engine against, the client's own pair.
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    #: The directory of the TLS files (DOCKER_CERT_PATH, or the context's).
    cert_path: str | None = None
    #: The docker configuration directory ($DOCKER_CONFIG, ~/.docker) it was read from.
    config_dir: str | None = None
    #: Every file looked at to decide (read, or found missing), for a record to check.
    files: tuple[str, ...] = ()
    #: The environment variables read to decide, for a record to check.
    variables: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.context is not None:
            return f"{self.host} (docker context {self.context!r})"
        return f"{self.host} ({self.chosen_by})"

    def docker_environment(self) -> dict[str, str]:
        """The variables to set for a `docker` command so that it talks to exactly this
        endpoint: the context pinned (DOCKER_CONTEXT, and DOCKER_CONFIG for its store), or
        the host (DOCKER_HOST and the TLS variables). The one not used is set empty, which
        the docker CLI reads as unset (since 23.0): merge it over the environment."""
        if self.context is not None and self.context != "default":
            pinned = {"DOCKER_CONTEXT": self.context, "DOCKER_HOST": ""}
            if self.config_dir is not None:
                pinned["DOCKER_CONFIG"] = self.config_dir
            return pinned
        return {
            "DOCKER_HOST": self.host,
            "DOCKER_CONTEXT": "",
            "DOCKER_TLS_VERIFY": "1" if self.tls and self.tls_verify else "",
            "DOCKER_TLS": "1" if self.tls and not self.tls_verify else "",
            "DOCKER_CERT_PATH": self.cert_path if self.tls and self.cert_path else "",
        }


def resolve_endpoint(environ: Mapping[str, str] | None = None) -> Endpoint:
    """The endpoint the docker CLI would use with the environment `environ` (by default
    this process's); an EngineError when that cannot be used (a context that does not
    exist, an address docker would refuse, TLS asked for without its CA file)."""
    looked = _Lookups(os.environ if environ is None else environ)
    config_dir = looked.variable("DOCKER_CONFIG") or os.path.join(_home(looked), ".docker")
    host = looked.variable("DOCKER_HOST")
    if host:  # wins over any context, set or current (docker >= 23: an empty one is unset)
        return _host_endpoint(looked, config_dir, host, "DOCKER_HOST", None)
    name, chosen_by = looked.variable("DOCKER_CONTEXT"), "DOCKER_CONTEXT"
    if not name:
        config_file = os.path.join(config_dir, "config.json")
        name = _current_context(looked, config_file)
        chosen_by = f"the current context in {config_file}"
    if not name:
        return _host_endpoint(looked, config_dir, "", "the default", None)
    if name == "default":  # docker's name for the endpoint of no context
        return _host_endpoint(looked, config_dir, "", chosen_by, "default")
    return _context_endpoint(looked, config_dir, name, chosen_by)


class _Lookups:
    """What resolve_endpoint reads, recorded in order: variables and files."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.variables: list[str] = []
        self.files: list[str] = []

    def variable(self, name: str) -> str:
        if name not in self.variables:
            self.variables.append(name)
        return self.environ.get(name, "")

    def file(self, path: str) -> bytes | None:
        """The file's bytes, None when it is missing; OSError when it cannot be read."""
        self.files.append(path)
        try:
            with open(path, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    def exists(self, path: str) -> str | None:
        """`path` when it is a file."""
        self.files.append(path)
        return path if os.path.isfile(path) else None

    def endpoint(self, host: str, chosen_by: str, **settings: Any) -> Endpoint:
        return Endpoint(
            host,
            chosen_by,
            files=tuple(self.files),
            variables=tuple(self.variables),
            **settings,
        )


def _home(looked: _Lookups) -> str:
    """The user's home directory as Go's os.UserHomeDir finds it: $HOME, else the
    password database."""
    home = looked.variable("HOME")
    if home:
        return home
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_dir
    except (ImportError, KeyError):
        return ""


def _current_context(looked: _Lookups, config_file: str) -> str:
    """The `currentContext` of docker's config.json; "" when there is none. A config file
    that cannot be read or parsed counts as empty: docker warns and goes on without it."""
    import json

    try:
        data = looked.file(config_file)
        config = json.loads(data) if data is not None else None
    except (OSError, ValueError, RecursionError):
        return ""
    name = config.get("currentContext") if isinstance(config, dict) else None
    return name if isinstance(name, str) else ""


def _host_endpoint(
    looked: _Lookups, config_dir: str, value: str, chosen_by: str, context: str | None
) -> Endpoint:
    """The endpoint of docker's default context: `value` (DOCKER_HOST, or "" for the
    default host) with the TLS settings of DOCKER_TLS_VERIFY, DOCKER_TLS and
    DOCKER_CERT_PATH (docker/cli cli/flags/options.go: any non-empty value is true)."""
    verify = bool(looked.variable("DOCKER_TLS_VERIFY"))
    tls = verify or bool(looked.variable("DOCKER_TLS"))
    cert_path = looked.variable("DOCKER_CERT_PATH") or config_dir
    host = _parse_host(value, tls, chosen_by)
    if not tls:
        return looked.endpoint(host, chosen_by, context=context, config_dir=config_dir)
    ca_file, cert_file, key_file = (looked.exists(os.path.join(cert_path, f)) for f in TLS_FILES)
    if ca_file is None:  # docker fails the same way: it reads the CA file it is given
        switch = "DOCKER_TLS_VERIFY" if verify else "DOCKER_TLS"
        raise engine_error(
            f"{switch} asks for TLS with the engine at {host}, but there is no "
            f"{os.path.join(cert_path, TLS_FILES[0])}",
            hint="put the engine's CA certificate there (and the client's cert.pem and "
            "key.pem beside it), or set DOCKER_CERT_PATH to the directory that has them",
        )
    return looked.endpoint(
        host,
        chosen_by,
        context=context,
        tls=True,
        tls_verify=verify,
        ca_file=ca_file,
        cert_file=cert_file if key_file else None,
        key_file=key_file if cert_file else None,
        cert_path=cert_path,
        config_dir=config_dir,
    )


def _context_endpoint(looked: _Lookups, config_dir: str, name: str, chosen_by: str) -> Endpoint:
    """The docker endpoint of the context `name`, from docker's context store: its
    meta.json and its TLS files, in directories named by the SHA-256 of its name."""
    import hashlib
    import json

    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()
    meta_file = os.path.join(config_dir, "contexts", "meta", digest, "meta.json")
    where = f"docker context {name!r} (chosen by {chosen_by})"
    try:
        data = looked.file(meta_file)
    except OSError as error:
        raise engine_error(f"{where} cannot be read: {error_text(error)}") from None
    if data is None:
        raise engine_error(
            f"{where} does not exist: there is no {meta_file}",
            hint="`docker context ls` lists the contexts there are; `docker context use "
            "default` or unsetting DOCKER_CONTEXT goes back to the default engine",
        )
    try:
        meta = json.loads(data)
    except (ValueError, RecursionError) as error:
        raise engine_error(f"{where}: {meta_file} is not JSON: {error}") from None
    endpoints = meta.get("Endpoints") if isinstance(meta, dict) else None
    docker = endpoints.get("docker") if isinstance(endpoints, dict) else None
    host = docker.get("Host") if isinstance(docker, dict) else None
    if not isinstance(docker, dict) or not isinstance(host, (str, type(None))):
        raise engine_error(f"{where} has no docker endpoint in {meta_file}")
    skip_verify = docker.get("SkipTLSVerify") is True
    tls_dir = os.path.join(config_dir, "contexts", "tls", digest, "docker")
    ca_file, cert_file, key_file = (looked.exists(os.path.join(tls_dir, f)) for f in TLS_FILES)
    # As docker/cli cli/context/docker/load.go: TLS when there are TLS files or the
    # check is skipped; the client's pair only when both are there.
    tls = skip_verify or any((ca_file, cert_file, key_file))
    return looked.endpoint(
        host or DEFAULT_HOST,
        chosen_by,
        context=name,
        tls=tls,
        tls_verify=tls and not skip_verify,
        ca_file=ca_file,
        cert_file=cert_file if key_file else None,
        key_file=key_file if cert_file else None,
        cert_path=tls_dir if tls else None,
        config_dir=config_dir,
    )


def _parse_host(value: str, tls: bool, chosen_by: str) -> str:
    """DOCKER_HOST as docker/cli opts.ParseHost normalises it: "" is the default host,
    an address without a scheme is tcp, a tcp address gets docker's port."""
    value = value.strip()
    if not value:
        return DEFAULT_TLS_HOST if tls else DEFAULT_HOST
    kind, sep, rest = value.partition("://")
    if not sep:
        kind, rest = "tcp", value
    if kind == "tcp" and "://" not in rest:
        netloc, slash, path = rest.partition("/")
        if netloc.startswith("["):  # [IPv6]:port
            name, _, port = netloc.partition("]")
            name, port = name + "]", port[1:]
        else:
            name, _, port = netloc.partition(":")
        if port.isdigit() or not port:
            return f"tcp://{name or 'localhost'}:{port or DEFAULT_TCP_PORT}{slash}{path}"
    elif kind in ("unix", "npipe") and "://" not in rest:
        default = DEFAULT_HOST[len("unix://") :] if kind == "unix" else "//./pipe/docker_engine"
        return f"{kind}://{rest or default}"
    elif kind in ("ssh", "fd"):
        return value
    raise engine_error(
        f"{chosen_by} is {value!r}, not an address docker can use",
        hint="unix:///path/to/docker.sock, tcp://host:port or ssh://user@host",
    )


def engine_error(message: str, hint: str | None = None) -> EngineError:
    """An EngineError (errors.py is imported only when there is one)."""
    from ..errors import EngineError

    return EngineError(message, hint=hint)


def error_text(error: BaseException) -> str:
    """What went wrong, in words: an OSError's strerror, else the error's text."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
