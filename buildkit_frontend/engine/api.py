"""The Engine API of one endpoint (Docker's, or Podman's compatible one), spoken with the
standard library only: HTTP over the unix socket, or over TCP with the endpoint's TLS
files. json, http, ssl and tarfile are imported where they are used."""

from __future__ import annotations

from .endpoint import Endpoint, engine_error, error_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    import http.client
    import ssl
    from collections.abc import Iterable
    from typing import Any

    from ..errors import EngineError

#: What rendered Dockerfiles need (heredocs, RUN --mount): BuildKit 0.11, which Docker
#: Engine ships from 23.0, the engine of API 1.42; or Podman 4.
NEEDED_API = (1, 42)
NEEDED_PODMAN = (4,)


class Engine:
    """The Engine API of one endpoint (Docker's, or Podman's compatible one), over a unix
    socket or TCP (with the endpoint's TLS files). Every failure is an EngineError that
    names the endpoint and what was asked."""

    def __init__(self, endpoint: Endpoint, timeout: float = 10.0) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        kind, _, address = endpoint.host.partition("://")
        # A tcp:// host may carry a base path, as docker allows.
        base = address.partition("/")[2].strip("/") if kind == "tcp" else ""
        self._prefix = f"/{base}" if base else ""

    def image(self, reference: str) -> dict[str, Any] | None:
        """The engine's inspection of the image `reference`, None when it has none."""
        from urllib.parse import quote

        what = f"the image {reference!r}"
        found = self._json("GET", f"/images/{quote(reference, safe='/:')}/json", what)
        if found is not None and not isinstance(found, dict):
            raise self._error(what, "its answer is not a JSON object")
        return found

    def version(self) -> dict[str, Any]:
        """The engine's /version: its Version, ApiVersion and Components."""
        found = self._json("GET", "/version", "its version")
        if not isinstance(found, dict):
            raise self._error("its version", "its answer is not a JSON object")
        return found

    def check_buildkit(self) -> str:
        """What the engine is ("Docker Engine 26.1.5 (API 1.45)", "Podman 4.9.3"), or an
        EngineError when it is older than what rendered Dockerfiles need."""
        found = self.version()
        components = found.get("Components")
        podman = [
            c
            for c in (components if isinstance(components, list) else [])
            if isinstance(c, dict) and c.get("Name") == "Podman Engine"
        ]
        if podman:  # Podman answers with API 1.41 whatever it supports: its version decides
            version = str(podman[0].get("Version") or "of an unknown version")
            if _numbers(version) >= NEEDED_PODMAN:
                return f"Podman {version}"
            raise engine_error(
                f"the engine at {self.endpoint} is Podman {version}; rendered Dockerfiles "
                "(heredocs, RUN --mount) need Podman 4 or newer",
                hint="upgrade Podman, or point DOCKER_HOST or DOCKER_CONTEXT at a newer engine",
            )
        version = str(found.get("Version") or "of an unknown version")
        api = str(found.get("ApiVersion") or "")
        new_enough = _numbers(api) >= NEEDED_API if api else _numbers(version) >= (23,)
        if new_enough:
            return f"Docker Engine {version} (API {api or 'unknown'})"
        raise engine_error(
            f"the engine at {self.endpoint} is Docker Engine {version} (API "
            f"{api or 'unknown'}); rendered Dockerfiles (heredocs, RUN --mount) need "
            "Docker Engine 23 or newer (API 1.42, BuildKit 0.11)",
            hint="upgrade the engine, or point DOCKER_HOST or DOCKER_CONTEXT at a newer one",
        )

    def read_image_files(
        self, reference: str, paths: Iterable[str], limit: int
    ) -> dict[str, bytes | None]:
        """The regular files at `paths` in the image `reference`, read from a container
        made for it and never started (and always removed): None for a path that is
        missing or not a regular file (a symlink too: the caller tries another path), an
        EngineError for a file over `limit` bytes or an image the engine does not have."""
        what = f"a container of the image {reference!r}"
        made = self._json(
            "POST",
            "/containers/create",
            what,
            {"Image": reference, "Entrypoint": ["true"], "Cmd": [], "NetworkDisabled": True},
        )
        if made is None:
            raise engine_error(
                f"there is no image {reference!r} in the engine at {self.endpoint}",
                hint=f"`docker pull {reference}` first",
            )
        container = made.get("Id") if isinstance(made, dict) else None
        if not isinstance(container, str) or not container:
            raise self._error(what, "its answer has no container ID")
        read = False
        try:
            found = {path: self._file(container, reference, path, limit) for path in paths}
            read = True
        finally:  # a failure to remove must not hide the failure that came first
            self._remove(container, quietly=not read)
        return found

    def _file(self, container: str, reference: str, path: str, limit: int) -> bytes | None:
        import http.client
        import tarfile
        from urllib.parse import quote

        what = f"{path} of the image {reference!r}"
        request = f"/containers/{quote(container)}/archive?path={quote(path, safe='')}"
        connection, response = self._send("GET", request, what)
        try:
            if response.status == 404:
                return None
            with tarfile.open(fileobj=response, mode="r|") as archive:
                member = archive.next()  # the path itself; a directory's contents follow
                if member is None or not member.isfile():
                    return None
                if member.size > limit:
                    raise engine_error(
                        f"{path} of the image {reference!r} has {member.size} bytes, more "
                        f"than the {limit} it may have"
                    )
                handle = archive.extractfile(member)
                return handle.read() if handle is not None else None
        except (OSError, http.client.HTTPException, tarfile.TarError) as error:
            raise self._error(what, error) from None
        finally:
            connection.close()

    def _remove(self, container: str, quietly: bool) -> None:
        """Remove the container (`quietly`: an EngineError is not raised, as when another
        one is already on its way)."""
        import http.client
        from urllib.parse import quote

        from ..errors import EngineError

        what = f"the removal of its container {container[:12]}"
        try:
            connection, response = self._send(
                "DELETE", f"/containers/{quote(container)}?force=1", what
            )
            try:
                response.read()
            except (OSError, http.client.HTTPException) as error:
                raise self._error(what, error) from None
            finally:
                connection.close()
        except EngineError:
            if not quietly:
                raise

    def _json(self, method: str, path: str, what: str, body: dict[str, Any] | None = None) -> Any:
        """The JSON the engine answers, None when it answers 404."""
        import http.client
        import json

        connection, response = self._send(method, path, what, body)
        try:
            if response.status == 404:
                return None
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise self._error(what, error) from None
        finally:
            connection.close()
        try:
            return json.loads(data)
        except (ValueError, RecursionError) as error:
            raise self._error(what, f"its answer is not JSON ({error})") from None

    def _send(
        self, method: str, path: str, what: str, body: dict[str, Any] | None = None
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """The open connection and the engine's response (a 2xx or 404; any other
        status is an EngineError with the engine's message)."""
        import http.client
        import json

        connection = self._connect(what)
        payload = None if body is None else json.dumps(body).encode()
        headers = {} if body is None else {"Content-Type": "application/json"}
        try:
            connection.request(method, self._prefix + path, payload, headers)
            response = connection.getresponse()
            if response.status < 300 or response.status == 404:
                return connection, response
            answer = _engine_message(response.read()) or response.reason
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise self._error(what, error) from None
        connection.close()
        raise self._error(what, f"it answered {response.status}: {answer}")

    def _connect(self, what: str) -> http.client.HTTPConnection:
        """A connection to the endpoint, not yet opened; EngineError for a kind of
        endpoint this client does not speak to."""
        import http.client

        kind, _, address = self.endpoint.host.partition("://")
        if kind == "unix":
            return _unix_connection(address, self.timeout)
        if kind == "tcp":
            netloc = address.partition("/")[0]
            if not self.endpoint.tls:
                return http.client.HTTPConnection(netloc, timeout=self.timeout)
            try:
                context = self._tls_context()
            except OSError as error:  # ssl.SSLError too: a file that is no certificate
                raise self._error(what, f"its TLS files cannot be used: {error}") from None
            return http.client.HTTPSConnection(netloc, timeout=self.timeout, context=context)
        raise engine_error(
            f"cannot ask the engine at {self.endpoint} for {what}: this tool speaks to "
            f"unix:// and tcp:// endpoints only, not {kind}://",
            hint="point DOCKER_HOST or DOCKER_CONTEXT at a unix:// or tcp:// endpoint, or "
            "`buildkit-pyenv render` the Dockerfile and `docker build` the result",
        )

    def _tls_context(self) -> ssl.SSLContext:
        import ssl

        endpoint = self.endpoint
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if not endpoint.tls_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif endpoint.ca_file is not None:
            context.load_verify_locations(endpoint.ca_file)
        else:
            context.load_default_certs()
        if endpoint.cert_file is not None and endpoint.key_file is not None:
            context.load_cert_chain(endpoint.cert_file, endpoint.key_file)
        return context

    def _error(self, what: str, reason: str | BaseException) -> EngineError:
        """An EngineError: the endpoint could not be asked, or could not tell, `what`."""
        if not isinstance(reason, BaseException):
            return engine_error(f"the engine at {self.endpoint} could not tell {what}: {reason}")
        hint = None
        if isinstance(reason, OSError):  # no socket, refused, timed out, TLS
            hint = (
                f"is the engine running? {self.endpoint.host} was chosen by "
                f"{self.endpoint.chosen_by}; `docker context ls` lists the endpoints docker "
                "knows, and DOCKER_HOST or DOCKER_CONTEXT chooses another"
            )
        message = f"cannot ask the engine at {self.endpoint} for {what}: {error_text(reason)}"
        return engine_error(message, hint=hint)


def _unix_connection(path: str, timeout: float) -> http.client.HTTPConnection:
    """An HTTP connection over the unix socket at `path` (the class is made here so that
    http.client is imported only when the engine is asked)."""
    import http.client
    import socket

    class UnixConnection(http.client.HTTPConnection):
        def connect(self) -> None:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                connection.settimeout(timeout)
                connection.connect(path)
            except OSError:
                connection.close()
                raise
            self.sock = connection

    return UnixConnection("localhost", timeout=timeout)


def _engine_message(data: bytes) -> str:
    """The `message` of the engine's JSON error answer, or its start as text."""
    import json

    try:
        found = json.loads(data)
    except (ValueError, RecursionError):
        found = None
    if isinstance(found, dict) and isinstance(found.get("message"), str):
        return found["message"]
    return data[:200].decode("utf-8", "replace").strip()


def _numbers(version: str) -> tuple[int, ...]:
    """The leading numbers of a version: "26.1.5+dfsg1" is (26, 1, 5), "v4" is ()."""
    numbers = []
    for part in version.split("."):
        digits = part[: len(part) - len(part.lstrip("0123456789"))]
        if not digits:
            break
        numbers.append(int(digits))
        if digits != part:
            break
    return tuple(numbers)
