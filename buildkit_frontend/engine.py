"""The container engine, for reading what a built image says about its environments."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .base_os import OS_RELEASE_PATHS, BaseOS, parse_os_release
from .defaults import LABEL_PREFIX, MANIFEST_PATH
from .errors import EngineError, PyenvError
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
            client.images.get(image)
        except Exception as error:  # no engine, no such image, no docker SDK
            missing = type(error).__name__ == "ImageNotFound"
            return BaseOS(
                unknown_because=f"it is not in the local engine; `docker pull {image}` first"
                if missing
                else f"the local Docker engine cannot be asked: {error}"
            )
        container = client.containers.create(image, entrypoint=["true"], command=[])
        try:
            for path in OS_RELEASE_PATHS:
                text = _read_text(container, path)
                if text is not None:
                    return parse_os_release(text)
        finally:
            container.remove(force=True)
        return BaseOS(unknown_because="it has no /etc/os-release")

    return lookup


def _read_text(container: Any, path: str) -> str | None:
    """A regular file of a container, or None (missing, or a link to follow elsewhere)."""
    import docker.errors

    try:
        stream, _ = container.get_archive(path)
    except docker.errors.NotFound:
        return None
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
        member = archive.getmembers()[0]
        handle = archive.extractfile(member) if member.isfile() else None
        return handle.read().decode("utf-8", "replace") if handle else None


def _read_json(container: Any, path: str) -> dict[str, Any] | None:
    import docker.errors

    try:
        stream, _ = container.get_archive(path)
    except docker.errors.NotFound:
        return None
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
        first = archive.getmembers()[0]
        member = archive.extractfile(first)
        if member is None:
            return None
        if first.size > MAX_MANIFEST_BYTES:
            raise PyenvError(f"the image's {path} has {first.size} bytes: not a manifest")
        try:
            return json.loads(member.read().decode("utf-8"))
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
