"""Benchmark: what one PYENV environment adds to an image.

Builds `FROM <astro base>` + `PYENV 3.13 tools` (a venv with nothing but pip) and
reports the image's growth and the sizes of the interpreter and the venv. Target: one
environment adds less than 100 MB (CPython 3.13 from source, stripped, with bytecode).
Needs the test bed (`make bench` sets it up).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from tests.bed import fixtures

TARGET_MB = 100
TAG = "buildkit-pyenv-bench/size:latest"


def size_mb(image: str) -> float:
    """The image's size as the engine reports it, in MB."""
    out = subprocess.run(
        ["docker", "image", "inspect", "-f", "{{.Size}}", image],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(out) / 1e6


def main() -> int:
    fixtures.check_engine()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        context = fixtures.write_context(
            root / "context", {"Dockerfile": f"FROM {fixtures.ASTRO_IMAGE}\nPYENV 3.13 tools\n"}
        )
        mirror = fixtures.make_mirror(root / "mirror", fixtures.mirror_sources())
        with fixtures.serve_mirror(mirror) as url:
            subprocess.run(
                [
                    *fixtures.CLI,
                    "build",
                    "--build-arg",
                    f"PYENV_PYTHON_MIRROR={url}",
                    str(context),
                    "-q",
                    "-t",
                    TAG,
                    "--network",
                    "host",
                ],
                check=True,
                capture_output=True,
            )
    try:
        added = size_mb(TAG) - size_mb(fixtures.ASTRO_IMAGE)
        parts = fixtures.run_in_image(
            TAG, ["du -sm /opt/pyenv/versions/* /home/astro/.venv/tools | cut -f1"]
        ).split()
    finally:
        subprocess.run(["docker", "image", "rm", TAG], capture_output=True)
    print("one environment (PYENV 3.13 tools, no requirements) on the astro base:")
    print(f"  image grows by  {added:6.1f} MB")
    print(f"  interpreter     {parts[0]:>6} MB (/opt/pyenv/versions/3.13.5)")
    print(f"  venv            {parts[1]:>6} MB (pip and its bytecode)")
    print(f"  target: under {TARGET_MB} MB: {'met' if added < TARGET_MB else 'MISSED'}")
    return 0 if added < TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
