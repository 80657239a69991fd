"""`python -m bench`: run the benchmark suite and write docs/benchmarks.md.

    python -m bench                          # everything, 3 repetitions (make bench)
    python -m bench --quick --scenarios cold,edit --without source-uv,source-pip
    python -m bench --list                   # the scenarios and variants

Needs the test bed (`make bed`); the frontend figures need the frontend image and the
imported-cache figure the bed's second engine. Prunes the engine's build cache.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bed import fixtures

from . import report, variants
from .engine import BenchError, Engine
from .harness import Harness, NotMeasured
from .results import Results
from .scenarios import SCENARIOS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks.md"


def _names(text: str, known: dict, what: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(known)})")
    return names


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated")
    parser.add_argument("--skip", default="", help="scenarios not to run, comma-separated")
    parser.add_argument("--variants", default=",".join(variants.VARIANTS), help="what to build")
    parser.add_argument("--without", default="", help="variants not to build")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (default 3)")
    parser.add_argument("--quick", action="store_true", help="one repetition (--repeat 1)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the report")
    parser.add_argument(
        "--frontend-image",
        default=os.environ.get("FRONTEND_IMAGE", "buildkit-pyenv/frontend:dev"),
    )
    parser.add_argument("--keep-images", action="store_true", help="keep the images built")
    parser.add_argument("--list", action="store_true", help="list scenarios and variants")
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.repeat = 1
    return arguments


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


#: The settings the suite varies: name → (value, the other value).
SETTINGS = {"PYENV_PYTHON_PROVIDER": ("image", "source"), "PYENV_INSTALLER": ("uv", "pip")}
#: When the renderer ignores a setting, variants with this value would build the same
#: thing as their twins: they are not built (and why is said).
TWIN_DROPPED = {
    "PYENV_PYTHON_PROVIDER": ("image", "this tree ignores PYENV_PYTHON_PROVIDER: its "
                              "interpreters are measured with the source-* variants"),
    "PYENV_INSTALLER": ("pip", "this tree ignores PYENV_INSTALLER: what the *-uv variants "
                        "measure is whatever installer it uses"),
}  # fmt: skip


def _unhonoured(engine: Engine) -> list[str]:
    """The settings this tree's renderer ignores (its output does not change with them)."""
    project = variants.PROJECT_DIR / "Dockerfile"
    ignored = []
    for name, values in SETTINGS.items():
        texts = []
        for value in values:
            command = [*fixtures.CLI, "render", str(project), "--build-arg", f"{name}={value}"]
            done = engine.run(command, check=False)
            if done.returncode != 0:
                raise BenchError(f"cannot render the project with {name}={value}:\n{done.stderr}")
            texts.append("\n".join(line for line in done.stdout.splitlines() if name not in line))
        if texts[0] == texts[1]:
            ignored.append(name)
    return ignored


def _unavailable(engine: Engine, ignored: list[str]) -> dict[str, str]:
    """Variants not to build: those whose images the bed lacks, and the twins of the
    settings this tree ignores; key → why."""
    missing = {}
    for variant in variants.VARIANTS.values():
        for image in variant.needs:
            if not engine.has_image(image):
                missing[variant.key] = f"no stand-in image {image} in the bed"
        for name in ignored:
            value, why = TWIN_DROPPED[name]
            if variant.settings and variant.settings[name] == value:
                missing.setdefault(variant.key, why)
    return missing


def _setup(engine: Engine, arguments: argparse.Namespace, ignored: list[str]) -> dict:
    described = engine.describe()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    honoured = [TWIN_DROPPED[name][1] for name in ignored]
    return {
        "Date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "Engine": f"Docker {described['engine']} ({described['storage']}), BuildKit "
        f"{described['buildkit']}, buildx {described['buildx']}",
        "Machine": f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
        "Repetitions": f"{arguments.repeat} per build figure, {arguments.repeat * 5} for figures "
        "under a second; median, min - max",
        "Code": f"{commit or 'unknown'}{' with uncommitted changes' if dirty else ''}",
        "Settings": "; ".join(honoured) or "PYENV_PYTHON_PROVIDER and PYENV_INSTALLER honoured",
    }


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    if arguments.list:
        for name, (_, what) in SCENARIOS.items():
            print(f"scenario {name:<15} {what}")
        for key, variant in variants.VARIANTS.items():
            print(f"variant  {key:<15} {variant.title}")
        return 0
    skipped = _names(arguments.skip, SCENARIOS, "scenarios")
    chosen = [s for s in _names(arguments.scenarios, SCENARIOS, "scenarios") if s not in skipped]
    selected = _names(arguments.variants, variants.VARIANTS, "variants")
    without = _names(arguments.without, variants.VARIANTS, "variants")
    try:
        fixtures.check_engine()
        sources = fixtures.mirror_sources()
    except fixtures.BedMissing as missing:
        print(f"bench: {missing}", file=sys.stderr)
        return 2
    engine = Engine()
    ignored = _unhonoured(engine)
    missing = _unavailable(engine, ignored)
    results = Results()
    for key, why in missing.items():
        if key in selected and key not in without:
            results.notes.append(f"Variant `{key}` not built: {why}.")
    setup = _setup(engine, arguments, ignored)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="buildkit-pyenv-bench-") as scratch:
        workspace = Path(scratch)
        mirror = fixtures.make_mirror(workspace / "mirror", sources)
        with fixtures.serve_mirror(mirror) as url:
            harness = Harness(
                engine=engine,
                repeat=arguments.repeat,
                workspace=workspace,
                mirror_url=url,
                selected=tuple(k for k in selected if k not in without),
                missing=missing,
                frontend_image=arguments.frontend_image,
            )
            failed = _run(chosen, harness, results)
    results.notes.extend(harness.notes)
    minutes = (time.perf_counter() - started) / 60
    setup["Duration"] = f"{minutes:.0f} min for the scenarios {', '.join(chosen)}"
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(report.write(results, setup))
    _log(f"wrote {arguments.output} ({minutes:.1f} min)")
    if not arguments.keep_images:
        _remove_images(engine)
    return 1 if failed else 0


def _run(chosen: list[str], harness: Harness, results: Results) -> bool:
    """Run the scenarios; one that fails is reported and the others still run."""
    failed = False
    for name in chosen:
        function, what = SCENARIOS[name]
        _log(f"{name}: {what}")
        others = _foreign_builds()
        if others:
            results.notes.append(
                f"Builds the suite did not start were running as `{name}` began ({others}): "
                "its figures share the machine with them."
            )
        started = time.perf_counter()
        try:
            rows = function(harness)
        except NotMeasured as why:
            results.skipped[name] = str(why)
            _log(f"{name}: not measured: {why}")
            continue
        except (BenchError, subprocess.CalledProcessError) as error:
            failed = True
            text = str(error).strip().splitlines()
            errors = [line for line in text if line.startswith("ERROR")]
            why = f"{text[0]} {errors[-1] if errors else ''}".strip()
            results.skipped[name] = f"failed: {why} (the run's log has the rest)"
            _log(f"{name}: FAILED: {error}")
            continue
        results.add(rows)
        for row in rows:
            _log(f"  {row.label}: {row.sample.show()} {row.sample.spread()} {row.note}")
        _log(f"{name}: done in {time.perf_counter() - started:.0f} s")
    return failed


def _foreign_builds() -> int:
    """How many `docker buildx build` processes are running (the suite's own builds are
    finished whenever this is called)."""
    count = 0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"buildx" in words and b"build" in words and words[0].endswith(b"docker"):
            count += 1
    return count


def _remove_images(engine: Engine) -> None:
    reference = f"reference={variants.REPOSITORY}/*"
    tags = engine.docker(
        "image", "ls", "--filter", reference, "--format", "{{.Repository}}:{{.Tag}}"
    )
    for tag in tags.split():
        engine.remove_image(tag)


if __name__ == "__main__":
    sys.exit(main())
