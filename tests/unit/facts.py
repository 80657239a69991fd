"""Facts about images that unit tests give the planner instead of an engine."""

from __future__ import annotations

from collections.abc import Callable

from buildkit_frontend.base_os import BaseOS


def debian(release: str = "bookworm") -> Callable[[str], BaseOS]:
    """A lookup that finds every image to be Debian `release`."""
    return lambda image: BaseOS("debian", release)
