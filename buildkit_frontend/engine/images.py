"""What images in the engine say: the environments of a built image (`list --image`),
and the facts of a base image a render needs (EngineImages, the CLI's
facts.ImageSource): its ID, ONBUILD triggers and os-release."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..base_os import OS_RELEASE_PATHS, BaseOS, parse_os_release
from ..errors import EngineError, PyenvError
from ..facts import ImageFacts
from ..survey import OS_RELEASE
from .api import Engine
from .endpoint import Endpoint, engine_error, resolve_endpoint

#: An os-release file longer than this is not one.
MAX_OS_RELEASE_BYTES = 64 * 1024


@dataclass(frozen=True)
class ImageEnvironments:
    """An image's manifest (None if it has none) and its buildkit-pyenv labels."""

    manifest: dict[str, Any] | None
    labels: dict[str, dict[str, str]]


def image_environments(image: str, engine: Engine | None = None) -> ImageEnvironments:
    """Read the manifest file out of `image` (without running it) and its labels, from
    `engine` (by default the one the user's docker talks to)."""
    from ..defaults import MANIFEST_PATH
    from ..runtime import MAX_MANIFEST_BYTES

    engine = engine or Engine(resolve_endpoint())
    found = engine.image(image)
    if found is None:
        raise engine_error(
            f"no image {image!r} in the engine at {engine.endpoint}",
            hint=f"`docker pull {image}` first",
        )
    image_ref = str(found.get("Id") or image)  # the image inspected, even if retagged since
    data = engine.read_image_files(image_ref, [MANIFEST_PATH], MAX_MANIFEST_BYTES)
    config = found.get("Config") or {}
    labels = config.get("Labels") if isinstance(config, dict) else None
    return ImageEnvironments(
        _read_json(data[MANIFEST_PATH], MANIFEST_PATH),
        _labels(labels if isinstance(labels, dict) else {}),
    )


def base_os(engine: Engine, image: str, inspected: dict[str, Any] | None = None) -> BaseOS:
    """The OS of `image`, from its os-release file, read without running it (once per
    image ID: then from this user's cache); unknown, saying why, when the engine does
    not have the image or the image has no os-release. `inspected` is the engine's
    inspection of it, when the caller has it already. An engine that cannot be asked is
    an EngineError."""
    found = inspected if inspected is not None else engine.image(image)
    if found is None:
        return BaseOS(
            unknown_because=f"it is not in the engine at {engine.endpoint}; "
            f"`docker pull {image}` first"
        )
    image_ref = str(found.get("Id") or image)
    remembered = _remembered_os_release(image_ref)
    if remembered is not None:
        return parse_os_release(remembered)
    files = engine.read_image_files(image_ref, OS_RELEASE_PATHS, MAX_OS_RELEASE_BYTES)
    for path in OS_RELEASE_PATHS:
        data = files.get(path)
        if data is not None:
            text = data.decode("utf-8", "replace")
            _remember_os_release(image_ref, text)
            return parse_os_release(text)
    return BaseOS(unknown_because="it has no /etc/os-release")


def _read_json(data: bytes | None, path: str) -> Any:
    """The JSON of the manifest file at `path` (None when the image has none)."""
    import json

    if data is None:
        return None
    try:
        return json.loads(data.decode("utf-8", "replace"))
    except (ValueError, RecursionError) as error:
        what = "is nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise PyenvError(f"the image's {path} is not a JSON manifest: {what}") from None


def _labels(labels: dict[str, str]) -> dict[str, dict[str, str]]:
    """`buildkit-pyenv.env.<name>.<key>` labels, grouped by environment name."""
    from ..defaults import LABEL_PREFIX

    grouped: dict[str, dict[str, str]] = {}
    for key, value in labels.items():
        if key.startswith(LABEL_PREFIX):
            name, _, fact = key[len(LABEL_PREFIX) :].rpartition(".")
            grouped.setdefault(name, {})[fact] = value
    return dict(sorted(grouped.items()))


# The os-release files of base images, kept by image ID. A cache is read as if a stranger
# wrote it: a private directory of this user's, files of this user's that no one else
# may write, and text that must be an os-release file.


def _os_release_cache(image_id: str) -> str | None:
    """Where the os-release file of an image is kept (an image ID names its content, so
    the file read once stays true); None for an ID that cannot name a file."""
    from ..cache_paths import cache_root

    algorithm, colon, digest = image_id.partition(":")
    if not (colon and algorithm.isalnum() and digest.isalnum() and digest.isascii()):
        return None
    return os.path.join(cache_root(), "os-release", f"{algorithm}-{digest}")


def _private_directory(path: str, create: bool) -> bool:
    """Whether `path` is a directory of this user's that only they can use, made so
    (0700) when `create`."""
    import contextlib
    import stat

    try:
        if create:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with contextlib.suppress(FileExistsError):
                os.mkdir(path, 0o700)
        status = os.lstat(path)
        if not stat.S_ISDIR(status.st_mode) or status.st_uid != os.getuid():
            return False
        if stat.S_IMODE(status.st_mode) & 0o077:
            if not create:
                return False
            os.chmod(path, 0o700)
    except OSError:
        return False
    return True


def _remembered_os_release(image_id: str) -> str | None:
    """The kept os-release file of `image_id`, when it is there, this user's, private,
    and an os-release file."""
    import stat

    path = _os_release_cache(image_id)
    if path is None or not _private_directory(os.path.dirname(path), create=False):
        return None
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        status = os.fstat(descriptor)
        if (
            not stat.S_ISREG(status.st_mode)
            or status.st_uid != os.getuid()
            or stat.S_IMODE(status.st_mode) & 0o077
            or status.st_size > MAX_OS_RELEASE_BYTES
        ):
            return None
        text = os.read(descriptor, MAX_OS_RELEASE_BYTES + 1).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    finally:
        os.close(descriptor)
    return text if _is_os_release(text) else None


def _remember_os_release(image_id: str, text: str) -> None:
    """Keep an image's os-release file (0600, in a 0700 directory). Best effort: a cache
    that cannot be written only costs the next render a lookup."""
    path = _os_release_cache(image_id)
    if path is None or not _is_os_release(text):
        return
    if not _private_directory(os.path.dirname(path), create=True):
        return
    partial = f"{path}.{os.getpid()}.partial"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        if os.path.lexists(partial):
            os.unlink(partial)  # left by a process of the same ID that died
        descriptor = os.open(partial, flags, 0o600)
        try:
            os.write(descriptor, text.encode("utf-8"))
        finally:
            os.close(descriptor)
        os.replace(partial, path)
    except OSError:
        pass


def _is_os_release(text: str) -> bool:
    """Whether `text` is an os-release file (os-release(5)): lines that are blank,
    comments, or NAME=value assignments of one shell word, at least one of them."""
    import shlex

    if len(text.encode("utf-8")) > MAX_OS_RELEASE_BYTES:
        return False
    assignments = 0
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, equals, value = stripped.partition("=")
        if not equals or not name.isidentifier() or not name.isascii():
            return False
        try:
            if len(shlex.split(value)) > 1:
                return False
        except ValueError:
            return False
        assignments += 1
    return assignments > 0


class EngineImages:
    """Looks base images up in one engine, once each."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.engine = Engine(endpoint)
        self.endpoint = str(endpoint)

    def image(self, reference: str, wanted: frozenset[str]) -> ImageFacts:
        """The facts `wanted` of `reference`; unknown, with the reason, when the engine
        cannot be asked or does not have the image."""
        try:
            inspected = self.engine.image(reference)
        except EngineError as error:
            why = error.message  # it names the endpoint
            return ImageFacts(unknown_because=why, os=BaseOS(unknown_because=why))
        if inspected is None:
            why = f"it is not in the engine at {self.endpoint}; `docker pull {reference}` first"
            return ImageFacts(unknown_because=why, os=BaseOS(unknown_because=why), absent=True)
        config = inspected.get("Config") or {}
        found_os = None
        if OS_RELEASE in wanted:
            try:
                found_os = base_os(self.engine, reference, inspected)
            except EngineError as error:
                found_os = BaseOS(unknown_because=error.message)
        return ImageFacts(
            id=str(inspected.get("Id") or "") or None,
            onbuild=tuple(str(t) for t in config.get("OnBuild") or ()),
            os=found_os,
        )
