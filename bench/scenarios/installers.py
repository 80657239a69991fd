"""uv against pip: the install steps of the three environments, rerun with the same
requirements on a warm package cache (each file gets a new comment, so the steps run
again while every download is already cached)."""

from __future__ import annotations

from ..harness import Harness, NotMeasured, nonce
from ..results import Row
from ..stats import Sample

#: (uv variant, pip variant): the image provider's pair when it can be built.
PAIRS = (("image-uv", "image-pip"), ("source-uv", "source-pip"))


def uv_vs_pip(h: Harness) -> list[Row]:
    pair = next((p for p in PAIRS if len(h.variants(p)) == 2), None)
    if pair is None:
        raise NotMeasured("needs a uv and a pip variant of buildkit-pyenv (see --variants)")
    chosen = h.variants(pair)
    contexts = {}
    for variant in chosen:  # warm the package caches
        contexts[variant.key] = h.context(variant)
        h.build(variant, contexts[variant.key], what="build before the installs")
    times: dict[str, list[float]] = {v.key: [] for v in chosen}
    walls: dict[str, list[float]] = {v.key: [] for v in chosen}
    for _ in range(h.repeat):
        for variant in chosen:
            contexts[variant.key].touch_requirements(nonce())
            build = h.build(variant, contexts[variant.key], what="rebuild of the installs")
            steps = build.ran(variant.pattern("install"))
            times[variant.key].append(sum(step.seconds or 0 for step in steps))
            walls[variant.key].append(build.seconds)
    uv, pip = pair
    rows = []
    for variant in chosen:
        wall = Sample.of(walls[variant.key], "s")
        note = f"whole rebuild {wall.show()} (median)"
        compare = (("install", pip),) if variant.key == uv else ()
        sample = Sample.of(times[variant.key], "s")
        rows.append(Row("install", variant.key, variant.title, sample, note, compare))
    return rows
