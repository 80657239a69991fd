"""The container engine, for reading what a built image says about its environments."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .defaults import LABEL_PREFIX, MANIFEST_PATH
from .errors import EngineError


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


def _read_json(container: Any, path: str) -> dict[str, Any] | None:
    import docker.errors

    try:
        stream, _ = container.get_archive(path)
    except docker.errors.NotFound:
        return None
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
        member = archive.extractfile(archive.getmembers()[0])
        return json.load(member) if member else None


def _labels(labels: dict[str, str]) -> dict[str, dict[str, str]]:
    """`buildkit-pyenv.env.<name>.<key>` labels, grouped by environment name."""
    grouped: dict[str, dict[str, str]] = {}
    for key, value in labels.items():
        if key.startswith(LABEL_PREFIX):
            name, _, fact = key[len(LABEL_PREFIX) :].rpartition(".")
            grouped.setdefault(name, {})[fact] = value
    return dict(sorted(grouped.items()))
