"""The `buildkit-pyenv` command's entry point: a `build` whose render is on record and
unchanged goes to docker before the CLI (click, the renderer) is even imported."""

from __future__ import annotations

import sys


def main() -> None:
    """Run the command line in sys.argv."""
    if sys.argv[1:2] == ["build"]:
        from .render_cache import build_if_unchanged

        build_if_unchanged(sys.argv[1:])  # returns only when the build must render
    from .cli import main as cli_main

    cli_main()
