"""The built-in SHA-256 the kept renders use gives hashlib's digests and hmac's MACs."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from buildkit_frontend.sha256 import compare_digest, hmac_sha256, sha256


@pytest.mark.parametrize("data", [b"", b"six==1.16.0\n", bytes(range(256)) * 1000])
def test_the_digests_are_hashlibs(data: bytes) -> None:
    assert sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
    streamed = sha256()
    for start in range(0, len(data), 4096):
        streamed.update(data[start : start + 4096])
    assert streamed.digest() == hashlib.sha256(data).digest()


@pytest.mark.parametrize("key", [b"", b"k" * 32, b"x" * 64, b"y" * 65, bytes(range(200))])
def test_the_macs_are_hmacs(key: bytes) -> None:
    for message in (b"", b"record", bytes(range(256)) * 10):
        assert hmac_sha256(key, message) == hmac.digest(key, message, "sha256")
    assert compare_digest(b"a" * 32, b"a" * 32) and not compare_digest(b"a" * 32, b"b" * 32)
