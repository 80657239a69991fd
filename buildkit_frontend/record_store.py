"""A private store of `build`'s records, read as if a stranger wrote them.

Whoever can write a record decides what the next `buildkit-pyenv build` hands to docker
(any Dockerfile, `--output`, `--secret`...), so a record is used only when:
- the directory it is in, and every directory up to this tool's cache root, is a real
  directory (no symlink), owned by the user running the build, that neither group nor
  others may write (the store makes them 0700);
- the record is a regular file of that user's, private (0600), of a sane size;
- its content carries an HMAC-SHA256 under a key only that user can read (0600, made
  once at random): a record altered after it was written, or written by anyone without
  the key, is detected before it is unmarshalled.
Anything else is passed over with a one-line note, and the build renders as usual.

Built-in modules only on the read path (sha256.py: CPython's own SHA-256, not OpenSSL's),
as render_cache's fast path needs.
"""

from __future__ import annotations

import os

from .cache_paths import cache_root
from .sha256 import compare_digest, hmac_sha256, sha256

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: The first bytes of a record: the layout, then the MAC, then marshal data.
MAGIC = b"bkpyenv\x03"
_MAC_BYTES = 32
#: A render is tens of kilobytes; a record this large is not one of ours.
MAX_RECORD_BYTES = 32 << 20
_KEY_NAME = ".key"
_KEY_BYTES = 32
#: Records kept; the oldest go first.
KEEP = 64


class Untrusted(Exception):
    """Why a record or the store is not used; the message is the note the user sees."""


def store_dir() -> str:
    """Where records live."""
    return os.path.join(cache_root(), "builds")


def _check_owned(path: str, status: os.stat_result, kind: int, what: str, loose: int) -> None:
    """`status` (of `path`) is a `kind` (S_IFDIR, S_IFREG bits) of this user's with none
    of the `loose` mode bits; Untrusted, saying which, when not."""
    if (status.st_mode & 0o170000) != kind:
        raise Untrusted(f"{path} is not {what}")
    if status.st_uid != os.geteuid():
        raise Untrusted(f"{path} belongs to uid {status.st_uid}, not to this user")
    if status.st_mode & loose:
        mode = f"mode {status.st_mode & 0o777:o}"
        problem = "may be written by others" if loose == 0o022 else "is not private"
        raise Untrusted(f"{path} {problem} ({mode})")


def _check_directory(path: str) -> None:
    """`path` is a directory of this user's that no one else may write; Untrusted if not,
    FileNotFoundError when it is missing."""
    _check_owned(path, os.lstat(path), 0o040000, "a directory (a symlink?)", 0o022)


def _check_store() -> str:
    """The store's directory, when it and the cache root are trusted."""
    for path in (cache_root(), store_dir()):
        _check_directory(path)
    return store_dir()


def _read_private(path: str, limit: int) -> bytes:
    """The bytes of a private regular file of this user's, at most `limit` of them;
    Untrusted when it is anything else (a FIFO or device never blocks: O_NONBLOCK)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as error:  # ELOOP: a symlink
        raise Untrusted(f"{path} cannot be opened safely: {error.strerror}") from None
    try:
        status = os.fstat(descriptor)
        _check_owned(path, status, 0o100000, "a regular file", 0o077)
        if status.st_size > limit:
            raise Untrusted(f"{path} has {status.st_size} bytes, more than a record has")
        chunks = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            raise Untrusted(f"{path} grew past {limit} bytes while it was read")
        return data
    finally:
        os.close(descriptor)


def _key(create: bool) -> bytes:
    """This user's record key; made (at random, 0600) when `create` and it is missing or
    damaged (the records made with the old one are then refused, and made again)."""
    path = os.path.join(store_dir(), _KEY_NAME)
    try:
        key = _read_private(path, _KEY_BYTES)
        if len(key) != _KEY_BYTES:
            raise Untrusted(f"{path} is not a record key")
        return key
    except (FileNotFoundError, Untrusted):
        if not create:
            raise
        if os.path.lexists(path):
            os.unlink(path)
        key = os.urandom(_KEY_BYTES)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        descriptor = os.open(path, flags, 0o600)
        try:
            os.write(descriptor, key)
        finally:
            os.close(descriptor)
        return key


def _make_private(path: str) -> None:
    """Take group and other access away from a directory of this user's (a store made
    with a loose umask, or opened up since); another user's is left as it is, and then
    not trusted. The records in it need no such care: they carry a MAC."""
    status = os.lstat(path)
    is_directory = (status.st_mode & 0o170000) == 0o040000
    if is_directory and status.st_uid == os.geteuid() and status.st_mode & 0o077:
        os.chmod(path, 0o700)


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac_sha256(key, payload)


def record_name(words: list[str]) -> str:
    """The file name of the record of `words` (the working directory and the command
    line): a keyless digest, as the name only finds a record; the MAC vouches for it."""
    key = "\0".join(words).encode("utf-8", "surrogateescape")
    return sha256(key).hexdigest()[:32] + ".record"


def load(name: str) -> Any:
    """The record `name` of this user's store, unmarshalled; FileNotFoundError when there
    is none, Untrusted (the note to show) when it cannot be trusted or read."""
    import marshal

    directory = _check_store()
    data = _read_private(os.path.join(directory, name), MAX_RECORD_BYTES)
    key = _key(create=False)
    head, mac = data[: len(MAGIC)], data[len(MAGIC) : len(MAGIC) + _MAC_BYTES]
    payload = data[len(MAGIC) + _MAC_BYTES :]
    if head != MAGIC:
        raise Untrusted(f"{name} is not a record of this version")
    if not compare_digest(mac, _mac(key, payload)):
        raise Untrusted(f"{name} was changed after it was written, or not written here")
    try:
        return marshal.loads(payload)
    except (EOFError, ValueError, TypeError) as error:
        raise Untrusted(f"{name} cannot be read: {error}") from None


def save(name: str, record: Any) -> None:
    """Keep `record` as `name`, private and authenticated. Best effort: a store that
    cannot be made or trusted keeps nothing (the next build renders again)."""
    import marshal

    try:
        for path in (cache_root(), store_dir()):
            os.makedirs(path, mode=0o700, exist_ok=True)
            _make_private(path)
        directory = _check_store()
        payload = marshal.dumps(record)
        data = MAGIC + _mac(_key(create=True), payload) + payload
        path = os.path.join(directory, name)
        partial = f"{path}.{os.getpid()}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        with os.fdopen(os.open(partial, flags, 0o600), "wb") as handle:
            handle.write(data)
        os.replace(partial, path)
        _prune(directory)
    except (OSError, ValueError, Untrusted):  # ValueError: marshal met an unexpected value
        pass


def _prune(directory: str) -> None:
    import contextlib

    entries = [e for e in os.scandir(directory) if e.name.endswith(".record")]
    if len(entries) > KEEP:
        entries.sort(key=lambda entry: entry.stat(follow_symlinks=False).st_mtime_ns)
        for entry in entries[: len(entries) - KEEP]:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
