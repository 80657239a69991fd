"""The container engine, for reading what a built image says about its environments."""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .base_os import OS_RELEASE_PATHS, BaseOS, parse_os_release
from .defaults import LABEL_PREFIX, MANIFEST_PATH
from .errors import EngineError, PyenvError
from .render_cache import cache_root
from .runtime import MAX_MANIFEST_BYTES


@dataclass(frozen=True)
class ImageEnvironments:
    """An image's manifest (None if it has none) and its buildkit-pyenv labels."""

    manifest: dict[str, Any] | None
    labels: dict[str, dict[str, str]]


def image_environments(image: str) -> ImageEnvironments:
    """Read the manifest file out of `image` (without running it) and its labels."""
    import docker
    import docker.errors

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as error:
        raise EngineError(f"cannot reach the Docker engine: {error}") from None
    try:
        try:
            found = client.images.get(image)
        except docker.errors.ImageNotFound:
            raise EngineError(f"no image {image!r} in the local engine (pull it first)") from None
        container = client.containers.create(image, entrypoint=["true"], command=[])
        try:
            manifest = _read_json(container, MANIFEST_PATH)
        finally:
            container.remove(force=True)
        return ImageEnvironments(manifest, _labels(found.labels or {}))
    finally:
        client.close()


def local_image_triggers() -> Callable[[str], list[str] | None]:
    """A lookup of the ONBUILD triggers of images in the local engine: [] for none, None
    when the engine or the image is not there (then nothing is known)."""
    client: Any = None

    def lookup(image: str) -> list[str] | None:
        nonlocal client
        try:
            import docker

            client = client or docker.from_env(timeout=10)
            config = client.images.get(image).attrs.get("Config") or {}
        except Exception:  # no engine, no such image, no docker SDK: unknown, not an error
            return None
        return list(config.get("OnBuild") or [])

    return lookup


def local_base_os() -> Callable[[str], BaseOS]:
    """A lookup of the OS of images in the local engine, read from their os-release file
    without running them; says why when it cannot tell."""
    client: Any = None

    def lookup(image: str) -> BaseOS:
        nonlocal client
        try:
            import docker
            import docker.errors

            client = client or docker.from_env(timeout=10)
            image_id = client.images.get(image).id
        except Exception as error:  # no engine, no such image, no docker SDK
            missing = type(error).__name__ == "ImageNotFound"
            return BaseOS(
                unknown_because=f"it is not in the local engine; `docker pull {image}` first"
                if missing
                else f"the local Docker engine cannot be asked: {error}"
            )
        remembered = _remembered_os_release(image_id)
        if remembered is not None:
            return parse_os_release(remembered)
        container = client.containers.create(image, entrypoint=["true"], command=[])
        try:
            for path in OS_RELEASE_PATHS:
                text = _read_text(container, path)
                if text is not None:
                    _remember_os_release(image_id, text)
                    return parse_os_release(text)
        finally:
            container.remove(force=True)
        return BaseOS(unknown_because="it has no /etc/os-release")

    return lookup


def _os_release_cache(image_id: str) -> Path:
    """Where the os-release file of an image is kept: an image ID names its content, so
    the file read once stays true (and a rebuild skips making a container to read it)."""
    return Path(cache_root(), "os-release", image_id.replace(":", "-"))


def _remembered_os_release(image_id: str) -> str | None:
    try:
        return _os_release_cache(image_id).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _remember_os_release(image_id: str, text: str) -> None:
    """Best effort: a cache that cannot be written only costs the next render a lookup."""
    path = _os_release_cache(image_id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    except OSError:
        pass


def _read_text(container: Any, path: str, limit: int | None = None) -> str | None:
    """A regular file of a container, or None (missing, or a link to follow elsewhere);
    a file over `limit` bytes is an error, not read."""
    import docker.errors

    try:
        stream, _ = container.get_archive(path)
    except docker.errors.NotFound:
        return None
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
        member = archive.getmembers()[0]
        if limit is not None and member.size > limit:
            raise PyenvError(f"the image's {path} has {member.size} bytes: not a manifest")
        handle = archive.extractfile(member) if member.isfile() else None
        return handle.read().decode("utf-8", "replace") if handle else None


def _read_json(container: Any, path: str) -> dict[str, Any] | None:
    text = _read_text(container, path, limit=MAX_MANIFEST_BYTES)
    if text is None:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        what = "is nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise PyenvError(f"the image's {path} is not a JSON manifest: {what}") from None


def _labels(labels: dict[str, str]) -> dict[str, dict[str, str]]:
    """`buildkit-pyenv.env.<name>.<key>` labels, grouped by environment name."""
    grouped: dict[str, dict[str, str]] = {}
    for key, value in labels.items():
        if key.startswith(LABEL_PREFIX):
            name, _, fact = key[len(LABEL_PREFIX) :].rpartition(".")
            grouped.setdefault(name, {})[fact] = value
    return dict(sorted(grouped.items()))
