"""Where this tool keeps what it remembers between runs, in the user's cache directory.

Only `os` is imported: the render records (render_cache.py) are read on the way to
docker, before anything else is imported."""

from __future__ import annotations

import os


def cache_root() -> str:
    """This tool's directory of the user's cache ($XDG_CACHE_HOME or ~/.cache): the
    render records (render_cache.py), the os-release files of base images (engine.py)."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "buildkit-pyenv")
