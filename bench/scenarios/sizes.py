"""Image sizes: what the project adds to its base image, and the files of each
interpreter and each environment (measured in the image; sizes do not vary between
runs, so each is measured once)."""

from __future__ import annotations

from tests.bed import fixtures

from .. import variants
from ..harness import Harness
from ..results import Row
from ..stats import Sample

SIZED = ("astro", "uv", "image-uv", "source-uv")

#: Apparent bytes of each argument's files (the argument is split and globbed), one
#: number a line, as the image layers hold them.
_DU = 'for spec in "$@"; do du -scb $spec 2>/dev/null | tail -n 1 | cut -f1; done'


def _mb(value: float) -> Sample:
    return Sample.of([value / 1e6], "MB")


def sizes(h: Harness) -> list[Row]:
    base = h.engine.image_bytes(fixtures.ASTRO_IMAGE)
    rows = []
    chosen = h.variants(SIZED)
    for variant in chosen:
        tag = h.ensure_built(variant)
        compare = (("size", "uv"), ("size", "astro")) if variant.is_pyenv else ()
        added = h.engine.image_bytes(tag) - base
        rows.append(Row("size", variant.key, variant.title, _mb(added), "", compare))
        versions = list(variant.interpreters)
        names = list(variants.ENVIRONMENTS)
        specs = [variant.interpreters[v] for v in versions]
        specs += [f"/home/astro/.venv/{name}" for name in names]
        found = [int(n) for n in h.engine.in_container(tag, _DU, *specs, user="0").split()]
        for version, size in zip(versions, found[: len(versions)]):
            subject = f"{variant.key}:{version}"
            compare = (("interpreter-size", f"uv:{version}"),) if variant.is_pyenv else ()
            label = f"{variant.title}: CPython {version}"
            rows.append(Row("interpreter-size", subject, label, _mb(size), "", compare))
        for name, size in zip(names, found[len(versions) :]):
            subject = f"{variant.key}:{name}"
            compare = (("environment-size", f"uv:{name}"),) if variant.is_pyenv else ()
            label = f"{variant.title}: {name}"
            rows.append(Row("environment-size", subject, label, _mb(size), "", compare))
    return rows
