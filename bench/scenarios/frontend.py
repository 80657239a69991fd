"""What the BuildKit frontend adds to a cached build of the project: the rendered
Dockerfile built directly (the floor), `buildkit-pyenv build` (render in a new process,
then build), and `docker buildx build` with `# syntax=<frontend image>`. Needs the
frontend image (`make bench` builds it)."""

from __future__ import annotations

from tests.bed import fixtures

from .. import variants
from ..harness import Harness, NotMeasured
from ..results import Row
from ..stats import Sample

WAYS = {
    "rendered": "rendered Dockerfile, built directly",
    "cli": "`buildkit-pyenv build` (render + build)",
    "frontend": "`# syntax=` the frontend image",
}


def overhead(h: Harness) -> list[Row]:
    image = h.frontend_image
    if not image or not h.engine.has_image(image):
        raise NotMeasured(f"no frontend image {image!r} (make frontend-image)")
    chosen = h.variants(("image-uv", "source-uv"))
    if not chosen:
        raise NotMeasured("no buildkit-pyenv variant selected")
    variant = chosen[0]
    context = h.context(variant)
    arguments = [f"PYENV_PYTHON_MIRROR={h.mirror_url}"]
    arguments += [f"{k}={v}" for k, v in (variant.settings or {}).items()]
    build_args = [word for argument in arguments for word in ("--build-arg", argument)]
    rendered = context.directory / "rendered.Dockerfile"
    h.engine.run(
        [*fixtures.CLI, "render", str(context.dockerfile), "-o", str(rendered), *build_args]
    )
    with_syntax = context.directory / "frontend.Dockerfile"
    with_syntax.write_text(f"# syntax={image}\n{context.dockerfile.read_text()}")

    def docker_build(dockerfile, flavour: str, *more: str) -> list[str]:
        command = ["docker", "buildx", "build", "-f", str(dockerfile), *more]
        command += ["-t", variants.tag(variant, flavour), "--network", "host"]
        return [*command, "--progress", "plain", str(context.directory)]

    commands = {
        "rendered": docker_build(rendered, "rendered"),
        "cli": h.command(variant, context),
        "frontend": docker_build(with_syntax, "frontend", *build_args),
    }
    for way, command in commands.items():  # fill every cache
        h.engine.build(command).ok(f"build of the project, {WAYS[way]}")
    times: dict[str, list[float]] = {way: [] for way in commands}
    for _ in range(h.repeat * 5):
        for way, command in commands.items():
            times[way].append(h.engine.build(command).ok(WAYS[way]).seconds)
    rows = []
    for way in commands:
        sample = Sample.of(times[way], "s")
        compare = () if way == "rendered" else (("frontend", "rendered"),)
        note = ""
        if way != "rendered":
            floor = Sample.of(times["rendered"], "s")
            note = f"{(sample.median - floor.median) * 1000:+.0f} ms over the rendered build"
        rows.append(Row("frontend", way, f"{WAYS[way]} ({variant.key})", sample, note, compare))
    return rows
