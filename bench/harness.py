"""What every scenario works with: the engine, the CPython mirror, a scratch directory
with one build context per variant, the number of repetitions, and how to build a
variant there."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.bed import fixtures

from . import variants
from .engine import Build, Engine
from .variants import Context, Variant

#: `buildkit-pyenv` as users run it, the console script installed beside this Python
#: (`python -m buildkit_frontend` would add runpy's import, about 3 ms a build).
_SCRIPT = Path(sys.executable).with_name("buildkit-pyenv")
CLI = [str(_SCRIPT)] if _SCRIPT.is_file() else fixtures.CLI


class NotMeasured(Exception):
    """A scenario cannot run here; the message says what it needs."""


@dataclass
class Harness:
    engine: Engine
    repeat: int
    workspace: Path
    mirror_url: str
    selected: tuple[str, ...]  # variant keys the run measures
    missing: dict[str, str] = field(default_factory=dict)  # variant key → why not
    notes: list[str] = field(default_factory=list)
    frontend_image: str | None = None
    _contexts: dict[tuple[str, str], Context] = field(default_factory=dict)

    def variants(self, keys: Iterable[str]) -> list[Variant]:
        """The variants among `keys` that this run measures and can build."""
        return [
            variants.VARIANTS[key]
            for key in keys
            if key in self.selected and key not in self.missing
        ]

    def context(self, variant: Variant, engine: Engine | None = None) -> Context:
        """The variant's build context (one per engine), as bench/ has it."""
        engine = engine or self.engine
        key = (variant.key, engine.label)
        if key not in self._contexts:
            directory = self.workspace / "contexts" / engine.label.replace(" ", "-") / variant.key
            self._contexts[key] = Context(variant, directory)
        context = self._contexts[key]
        context.reset()
        return context

    def command(self, variant: Variant, context: Context, extra: Sequence[str] = ()) -> list[str]:
        """The command that builds `context` the variant's way, tagged variants.tag()."""
        common = ["-t", variants.tag(variant), "--network", "host", "--progress", "plain"]
        if variant.is_pyenv:
            command = [
                *CLI,
                "build",
                "--build-arg",
                f"PYENV_PYTHON_MIRROR={self.mirror_url}",
            ]
            for name, value in (variant.settings or {}).items():
                command += ["--build-arg", f"{name}={value}"]
            return [*command, str(context.directory), *common, *extra]
        command = ["docker", "buildx", "build", "-f", str(context.dockerfile), *common, *extra]
        if variants.UV_IMAGE in variant.needs:
            command += ["--build-arg", f"UV_IMAGE={variants.UV_IMAGE}"]
        return [*command, str(context.directory)]

    def build(
        self,
        variant: Variant,
        context: Context,
        *,
        engine: Engine | None = None,
        extra: Sequence[str] = (),
        what: str = "build",
    ) -> Build:
        """Build and require success."""
        engine = engine or self.engine
        done = engine.build(self.command(variant, context, extra))
        return done.ok(f"{what} of {variant.title} on the {engine.label}")

    def ensure_built(self, variant: Variant) -> str:
        """Build the project as bench/ has it (cached if an earlier scenario built it);
        returns the image tag."""
        self.build(variant, self.context(variant), what="build")
        return variants.tag(variant)


def nonce() -> str:
    """A word no earlier build has seen, to make a file new to the build cache."""
    return uuid.uuid4().hex[:12]
