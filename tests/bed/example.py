"""`make example`: build examples/quickstart on the test bed and run its environment.

The example's `# syntax=` line selects the frontend image `make frontend-image` built,
so this is a plain `docker buildx build`. The bed has no registry: the example's base
image is swapped for the bed's astro image, and CPython comes from the bed's mirror on
127.0.0.1.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from tests.bed import fixtures

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "quickstart"
TAG = "buildkit-pyenv-example:quickstart"
PROBE = (
    "import sys, requests; "
    "print('Python', sys.version.split()[0], 'with requests', requests.__version__)"
)


def main() -> int:
    fixtures.check_engine()
    with tempfile.TemporaryDirectory() as scratch:
        mirror = fixtures.make_mirror(Path(scratch), fixtures.mirror_sources())
        with fixtures.serve_mirror(mirror) as url:
            command = [
                "docker",
                "buildx",
                "build",
                "--build-arg",
                f"BASE_IMAGE={fixtures.ASTRO_IMAGE}",
                "--build-arg",
                f"PYENV_PYTHON_MIRROR={url}",
                str(EXAMPLE),
                "-t",
                TAG,
                "--network",
                "host",
            ]
            print("$", " ".join(command), flush=True)
            if subprocess.run(command).returncode != 0:
                return 1
    run = ["docker", "run", "--rm", TAG, "sh", "-c", 'exec "$ASTRO_PYENV_etl" -c "$0"', PROBE]
    print("$", " ".join(run[:4]), "sh -c '\"$ASTRO_PYENV_etl\" -c ...'", flush=True)
    return subprocess.run(run).returncode


if __name__ == "__main__":
    sys.exit(main())
