"""The one engine question on the way from a kept render to docker (render_cache.py):
an image's ID, asked over a bare unix socket with nothing but built-in modules, so that
checking a record costs little more than the socket itself."""

from __future__ import annotations

#: What a path keeps unquoted in the engine's API, as the docker SDK quotes image names
#: (urllib.parse.quote with safe="/:").
_UNQUOTED = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-~/:")


class Unreachable(OSError):
    """What image_id cannot answer: an engine not on a unix socket, not listening, or an
    answer it does not know."""


def image_id(endpoint_host: str, reference: str, timeout: float = 10.0) -> str | None:
    """The ID of the image `reference` in the engine at `endpoint_host` (an Endpoint's
    host), None when it has none; asked as the docker SDK asks (GET /images/<name>/json,
    the name quoted alike) over a bare socket, without an HTTP client or JSON parser."""
    if not endpoint_host.startswith("unix://") or endpoint_host == "unix://":
        raise Unreachable(f"the engine at {endpoint_host} is not on a unix socket")
    import _socket  # socket.py would import selectors and enum first

    quoted = "".join(chr(b) if b in _UNQUOTED else f"%{b:02X}" for b in reference.encode())
    path = f"/images/{quoted}/json"
    connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        connection.settimeout(timeout)
        connection.connect(endpoint_host[len("unix://") :])
        connection.sendall(f"GET {path} HTTP/1.0\r\nHost: docker\r\n\r\n".encode())
        chunks = []
        while True:
            chunk = connection.recv(1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError as error:
        raise Unreachable(f"the engine at {endpoint_host}: {error}") from None
    finally:
        connection.close()
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1:2]
    if status == [b"404"]:
        return None
    # The engine writes the image's fields in a fixed order, its ID first: that is read
    # without a JSON parser, and anything else is left to the Engine class.
    start = b'{"Id":"'
    if status == [b"200"] and body.startswith(start):
        end = body.find(b'"', len(start))
        if end > len(start):
            return body[len(start) : end].decode("ascii", "replace")
    raise Unreachable(f"the engine at {endpoint_host} answered {head[:80]!r} for {path}")
