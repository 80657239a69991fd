"""Benchmark: what the frontend adds to a cached build, against CLI render + build.

Builds one Dockerfile (astro base, one PYENV environment) three ways until fully
cached, then times repeated cached builds of each:
  plain     `docker buildx build` of the already rendered Dockerfile (the floor),
  cli       `buildkit-pyenv render` piped into `docker buildx build -f -`,
  frontend  `docker buildx build` with `# syntax=<frontend image>`.
Needs the test bed and the frontend image (`make bench` builds both).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bed import fixtures

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
FRONTEND = os.environ.get("FRONTEND_IMAGE", "buildkit-pyenv/frontend:dev")


def main() -> int:
    fixtures.check_engine()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        context = fixtures.write_context(
            root / "context",
            {
                "Dockerfile": f"# syntax={FRONTEND}\nFROM {fixtures.ASTRO_IMAGE}\n"
                "PYENV 3.13 tools requirements.txt\n",
                "requirements.txt": "six==1.16.0\n",
            },
        )
        mirror = fixtures.make_mirror(root / "mirror", fixtures.mirror_sources())
        with fixtures.serve_mirror(mirror) as url:
            build = ["docker", "buildx", "build", "-q", "--network", "host"]
            build += ["--build-arg", f"PYENV_PYTHON_MIRROR={url}"]
            rendered = subprocess.run(
                [*fixtures.CLI, "render", str(context / "Dockerfile")],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            (root / "rendered.Dockerfile").write_text(rendered)
            ways = {
                "plain": [*build, "-f", str(root / "rendered.Dockerfile"), str(context)],
                "cli": [
                    "sh",
                    "-c",
                    f"{' '.join(fixtures.CLI)} render {context}/Dockerfile"
                    f" | {' '.join(build)} -f - {context}",
                ],
                "frontend": [*build, str(context)],
            }
            for command in ways.values():  # warm every cache
                subprocess.run(command, check=True, capture_output=True)
            timings = {name: [] for name in ways}
            for _ in range(ROUNDS):
                for name, command in ways.items():
                    started = time.perf_counter()
                    subprocess.run(command, check=True, capture_output=True)
                    timings[name].append(time.perf_counter() - started)
    median = {name: statistics.median(values) for name, values in timings.items()}
    print(f"cached build of one PYENV environment, median of {ROUNDS}:")
    for name, value in median.items():
        print(f"  {name:<9} {value * 1000:7.0f} ms")
    for other in ("plain", "cli"):
        overhead = (median["frontend"] - median[other]) * 1000
        print(f"  frontend overhead vs {other:<5}: {overhead:+.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
