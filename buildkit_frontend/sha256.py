"""SHA-256 and HMAC-SHA256 for the hot path of a kept render (render_cache, record_store).

hashlib loads OpenSSL, which alone takes about 4 ms here, a fifth of what a build from
a record adds to docker's own time; CPython's built-in SHA-256 module (`_sha2` from 3.12,
`_sha256` before) loads at once. The digests are the same (tests/unit/test_sha256.py),
and so is the HMAC (RFC 2104), built on it here as hmac.digest builds it.
"""

from __future__ import annotations

try:
    from _sha2 import sha256 as _sha256  # CPython 3.12+
except ImportError:
    try:
        from _sha256 import sha256 as _sha256  # CPython before 3.12
    except ImportError:  # another Python: its hashlib
        from hashlib import sha256 as _sha256
from _operator import _compare_digest as compare_digest  # hmac.compare_digest itself

_BLOCK = 64  # SHA-256's block size, which HMAC pads the key to
_INNER = bytes(byte ^ 0x36 for byte in range(256))
_OUTER = bytes(byte ^ 0x5C for byte in range(256))


def sha256(data: bytes = b"") -> object:
    """A SHA-256 hash object (update, digest, hexdigest), as hashlib.sha256."""
    return _sha256(data)


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 of `message` under `key`, as hmac.digest(key, message, "sha256")."""
    if len(key) > _BLOCK:
        key = _sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = _sha256(key.translate(_INNER) + message).digest()
    return _sha256(key.translate(_OUTER) + inner).digest()


__all__ = ["compare_digest", "hmac_sha256", "sha256"]
