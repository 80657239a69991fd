"""CI cache reuse: on the bed's second engine (containerd image store, so the docker
driver exports cache), buildkit-pyenv exports its build cache to a local directory
once; then each run prunes the engine and builds importing that cache, as a fresh CI
runner would. The hand-written uv Dockerfile's cold build on the same engine is the
baseline."""

from __future__ import annotations

import importlib

from .. import progress, variants
from ..engine import Build, Engine
from ..harness import Harness, NotMeasured
from ..results import Row
from ..stats import Sample
from ..variants import Variant

IMPORTED = ("image-uv", "source-uv")


def _cache_engine():
    try:
        return importlib.import_module("tests.bed.cache_engine")
    except ImportError as missing:
        raise NotMeasured(
            "the bed's second engine is not there (tests/bed/cache_engine.py, with "
            f"engine() -> DOCKER_HOST and prune_build_cache(host)): {missing}"
        ) from None


def imported_cache(h: Harness) -> list[Row]:
    bed = _cache_engine()
    chosen = h.variants(IMPORTED)
    if not chosen:
        raise NotMeasured("no buildkit-pyenv variant selected")
    with bed.engine() as host:  # started, with the bed's images, and stopped if it was not up
        return _measure(
            h, Engine(host, "cache engine"), chosen, lambda: bed.prune_build_cache(host)
        )


def _measure(h: Harness, engine: Engine, chosen: list[Variant], prune) -> list[Row]:
    baseline = h.variants(("uv",))
    caches = {}
    for variant in chosen:  # export once, from a cold build
        caches[variant.key] = h.workspace / "cache" / variant.key
        prune()
        export = f"type=local,dest={caches[variant.key]},mode=max"
        h.build(
            variant,
            h.context(variant, engine),
            engine=engine,
            extra=["--cache-to", export],
            what="build exporting its cache",
        )
    runs: dict[str, list[Build]] = {v.key: [] for v in (*baseline, *chosen)}

    def fresh() -> None:  # as on a new CI runner: no build cache, no earlier image
        for variant in (*baseline, *chosen):
            engine.remove_image(variants.tag(variant))
        prune()

    for _ in range(h.repeat):
        for variant in baseline:
            fresh()
            context = h.context(variant, engine)
            runs[variant.key].append(h.build(variant, context, engine=engine, what="cold build"))
        for variant in chosen:
            fresh()
            context = h.context(variant, engine)
            extra = ["--cache-from", f"type=local,src={caches[variant.key]}"]
            runs[variant.key].append(
                h.build(variant, context, engine=engine, extra=extra, what="build importing cache")
            )
    for variant in (*baseline, *chosen):
        engine.remove_image(variants.tag(variant))
    rows = []
    for variant in baseline:
        sample = Sample.of((b.seconds for b in runs[variant.key]), "s")
        rows.append(Row("imported-cache", variant.key, f"{variant.title}, cold", sample))
    for variant in chosen:
        builds = runs[variant.key]
        compiles = max(len(progress.printing(b.steps, variant.pattern("compile"))) for b in builds)
        interpreter = max(len(b.ran(variant.pattern("interpreter"))) for b in builds)
        installs = max(len(b.ran(variant.pattern("install"))) for b in builds)
        size = sum(f.stat().st_size for f in caches[variant.key].rglob("*") if f.is_file())
        note = (
            f"{compiles} CPython compiles, {interpreter} interpreter steps, {installs} installs "
            f"ran; the exported cache holds {size / 1e6:.0f} MB"
        )
        rows.append(
            Row(
                "imported-cache",
                variant.key,
                f"{variant.title}, cache imported",
                Sample.of((b.seconds for b in builds), "s"),
                note,
                (("imported-cache", "uv"),),
                {"compiles": compiles, "interpreter_steps": interpreter, "installs": installs},
            )
        )
    return rows
