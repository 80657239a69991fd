"""Task start-up: `import pandas` in the pandas environment, as the task user (astro),
with the bytecode buildkit-pyenv compiled at build time and without it (the same image
with the venv's __pycache__ directories removed: astro cannot write them, so every
start compiles again). Each run is a first import in a fresh container."""

from __future__ import annotations

from ..harness import Harness, NotMeasured
from ..results import Row
from ..stats import Sample
from ..variants import tag

VENV = "/home/astro/.venv/pandas"
_IMPORT = (
    'start=$(date +%s%N); "$ASTRO_PYENV_pandas" -c "import pandas" || exit 1; '
    "end=$(date +%s%N); echo $(((end - start) / 1000))"
)


def _without_bytecode(image: str) -> str:
    """A Dockerfile: `image` with the venv's bytecode removed."""
    return (
        f"FROM {image}\nUSER root\n"
        f"RUN find {VENV} -name __pycache__ -type d -prune -exec rm -rf '{{}}' +\n"
        "USER astro\n"
    )


_PYC_COUNT = f"find {VENV} -name '*.pyc' | wc -l"


def import_time(h: Harness) -> list[Row]:
    chosen = h.variants(("image-uv", "source-uv"))
    if not chosen:
        raise NotMeasured("no buildkit-pyenv variant selected")
    variant = chosen[0]
    with_bytecode = h.ensure_built(variant)
    without = tag(variant, "no-bytecode")
    directory = h.workspace / "no-bytecode"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Dockerfile").write_text(_without_bytecode(with_bytecode))
    h.engine.run(["docker", "buildx", "build", "-q", "-t", without, str(directory)])
    pyc = {
        image: int(h.engine.in_container(image, _PYC_COUNT)) for image in (with_bytecode, without)
    }
    times: dict[str, list[float]] = {with_bytecode: [], without: []}
    for _ in range(h.repeat * 5):
        for image in times:
            micros = h.engine.in_container(image, _IMPORT, user="astro").split()[-1]
            times[image].append(int(micros) / 1000)
    return [
        Row(
            "startup",
            "no-bytecode",
            f"{variant.title}, venv without bytecode",
            Sample.of(times[without], "ms"),
            f"{pyc[without]} .pyc files in the venv",
        ),
        Row(
            "startup",
            "bytecode",
            f"{variant.title}, bytecode compiled at build time",
            Sample.of(times[with_bytecode], "ms"),
            f"{pyc[with_bytecode]} .pyc files in the venv",
            (("startup", "no-bytecode"),),
        ),
    ]
