"""What the benchmarks build: the project (bench/project/) with buildkit-pyenv under
each setting, and the baselines (bench/baselines/), each with how to recognise its
install and interpreter steps in a build's progress output and where its parts lie in
the image."""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.bed import fixtures

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR / "project"
BASELINES_DIR = BENCH_DIR / "baselines"

#: The project's environments: name → (Python version, requirements file).
ENVIRONMENTS = {
    "pandas": ("3.13", "requirements/pandas.txt"),
    "web": ("3.13", "requirements/web.txt"),
    "legacy": ("3.11", "requirements/legacy.txt"),
}
#: The file the "edit one requirements file" figure edits, and what it adds.
EDITED = "requirements/pandas.txt"
EDIT_LINE = "tabulate==0.9.0"
#: The environment the "add a PYENV line" figure adds (see the *.added.Dockerfile files).
ADDED_REQUIREMENTS = "requirements/tools.txt"

#: The test bed's stand-ins of the official images the baselines and the image provider
#: copy CPython out of (the baselines' Dockerfiles name the same), and of the uv image.
PYTHON_IMAGES = tuple(fixtures.PYTHON_SLIM_IMAGES.values())
UV_IMAGE = fixtures.UV_IMAGE

_MARKER = re.compile(r"^# bench: .*$", re.MULTILINE)


@dataclass(frozen=True)
class Variant:
    """One way of building the project.

    `settings` are the PYENV_* build args of a buildkit-pyenv build (None: a baseline,
    built from `dockerfile` with plain `docker buildx build`). `install` and
    `interpreter` match the `[stage] COMMAND` names of its install and interpreter
    steps; `compile` matches a line a CPython compile prints. `interpreters` are the
    shell globs, per Python version, of the files an interpreter adds to the image.
    """

    key: str
    title: str
    settings: Mapping[str, str] | None = None
    dockerfile: str | None = None
    install: str = r"$^"
    interpreter: str = r"$^"
    compile: str = r"$^"
    interpreters: Mapping[str, str] = field(default_factory=dict)
    needs: tuple[str, ...] = ()

    @property
    def is_pyenv(self) -> bool:
        return self.settings is not None

    def pattern(self, kind: str) -> re.Pattern[str]:
        return re.compile(getattr(self, kind))

    def source(self) -> Path:
        """The Dockerfile this variant builds."""
        return BASELINES_DIR / self.dockerfile if self.dockerfile else PROJECT_DIR / "Dockerfile"

    def added_fragment(self) -> Path:
        """The lines one more environment adds, by marker (`# bench: ...`)."""
        if self.dockerfile:
            return BASELINES_DIR / self.dockerfile.replace(".Dockerfile", ".added.Dockerfile")
        return PROJECT_DIR / "added.Dockerfile"


_PYENV = {
    "install": r"^\[pyenv-venv-[^\]]*\] RUN ",
    "interpreter": r"^\[pyenv-python-[^\]]*\] RUN ",
    "compile": r"buildkit-pyenv: building CPython ",
    "interpreters": {"3.13": "/opt/pyenv/versions/3.13.*", "3.11": "/opt/pyenv/versions/3.11.*"},
}


def _usr_local(minor: str) -> str:
    return (
        f"/usr/local/bin/*{minor}* /usr/local/include/python{minor}* "
        f"/usr/local/lib/pkgconfig/*{minor}* /usr/local/lib/*{minor}*.so* "
        f"/usr/local/lib/python{minor}"
    )


VARIANTS = {
    v.key: v
    for v in (
        Variant(
            "astro",
            "astro-provider-venv's expansion",
            dockerfile="astro-provider-venv.Dockerfile",
            install=r"\bpip --cache-dir=\S+ install ",
            interpreter=r"\] (COPY --link --from=python:|RUN /sbin/ldconfig)",
            interpreters={"3.13": _usr_local("3.13"), "3.11": _usr_local("3.11")},
            needs=PYTHON_IMAGES,
        ),
        Variant(
            "uv",
            "hand-written uv multi-stage",
            dockerfile="uv-multistage.Dockerfile",
            install=r"^\[venv-[^\]]*\] RUN ",
            interpreter=r"^\[base-[^\]]*\] |\] RUN ldconfig",
            interpreters={
                "3.13": "/usr/local/bin/python3.13 /usr/local/lib/libpython3.13.so.1.0 "
                "/usr/local/lib/python3.13",
                "3.11": "/usr/local/bin/python3.11 /usr/local/lib/libpython3.11.so.1.0 "
                "/usr/local/lib/python3.11",
            },
            needs=(*PYTHON_IMAGES, UV_IMAGE),
        ),
        Variant("plain", "plain Dockerfile", dockerfile="plain.Dockerfile"),
        Variant(
            "image-uv",
            "buildkit-pyenv, image provider, uv",
            # uv out of the same image the hand-written Dockerfile copies it from; the
            # default (uv's wheel from the package index) is the "image-uv-index" variant.
            settings={
                "PYENV_PYTHON_PROVIDER": "image",
                "PYENV_INSTALLER": "uv",
                "PYENV_UV_IMAGE": UV_IMAGE,
            },
            needs=(*PYTHON_IMAGES, UV_IMAGE),
            **_PYENV,
        ),
        Variant(
            "image-uv-index",
            "buildkit-pyenv, image provider, uv from the index (the default)",
            settings={"PYENV_PYTHON_PROVIDER": "image", "PYENV_INSTALLER": "uv"},
            needs=PYTHON_IMAGES,
            **_PYENV,
        ),
        Variant(
            "source-uv",
            "buildkit-pyenv, source provider, uv",
            settings={"PYENV_PYTHON_PROVIDER": "source", "PYENV_INSTALLER": "uv"},
            **_PYENV,
        ),
        Variant(
            "source-pip",
            "buildkit-pyenv, source provider, pip",
            settings={"PYENV_PYTHON_PROVIDER": "source", "PYENV_INSTALLER": "pip"},
            **_PYENV,
        ),
        Variant(
            "image-pip",
            "buildkit-pyenv, image provider, pip",
            settings={"PYENV_PYTHON_PROVIDER": "image", "PYENV_INSTALLER": "pip"},
            needs=PYTHON_IMAGES,
            **_PYENV,
        ),
    )
}


#: Every image the benchmarks tag is in this repository.
REPOSITORY = "buildkit-pyenv-bench"


def tag(variant: Variant, flavour: str = "latest") -> str:
    """The image tag a variant's builds get (`flavour` for derived images)."""
    return f"{REPOSITORY}/{variant.key}:{flavour}"


class Context:
    """A build context of the project for one variant, in a scratch directory: the
    requirements files and the variant's Dockerfile as `Dockerfile`; edits and added
    environments are applied here and undone with reset()."""

    def __init__(self, variant: Variant, directory: Path) -> None:
        self.variant = variant
        self.directory = directory
        self.reset()

    @property
    def dockerfile(self) -> Path:
        return self.directory / "Dockerfile"

    def reset(self) -> None:
        """Back to the project as it is in bench/."""
        shutil.rmtree(self.directory, ignore_errors=True)
        shutil.copytree(PROJECT_DIR / "requirements", self.directory / "requirements")
        shutil.copyfile(self.variant.source(), self.dockerfile)

    def edit_requirements(self, nonce: str, path: str = EDITED, line: str = EDIT_LINE) -> None:
        """Add a requirement to one file; the nonce makes the file new to the cache."""
        with open(self.directory / path, "a") as handle:
            handle.write(f"{line}\n# bench edit {nonce}\n" if line else f"# bench edit {nonce}\n")

    def touch_requirements(self, nonce: str) -> None:
        """Make every requirements file new to the cache, with the same packages."""
        for _, path in ENVIRONMENTS.values():
            self.edit_requirements(nonce, path, line="")

    def add_environment(self, nonce: str) -> None:
        """Add the `tools` environment: the variant's fragment goes in at its markers."""
        requirements = (PROJECT_DIR / ADDED_REQUIREMENTS).read_text()
        (self.directory / ADDED_REQUIREMENTS).write_text(f"{requirements}# bench {nonce}\n")
        self.dockerfile.write_text(
            insert_at_markers(
                self.dockerfile.read_text(), self.variant.added_fragment().read_text()
            )
        )


def insert_at_markers(text: str, fragment: str) -> str:
    """Put each section of `fragment` (the lines after a `# bench: ...` marker) right
    after the same marker in `text`."""
    markers = list(_MARKER.finditer(fragment))
    for index, marker in enumerate(markers):
        end = markers[index + 1].start() if index + 1 < len(markers) else len(fragment)
        section = fragment[marker.end() : end].strip("\n")
        target = re.search(rf"^{re.escape(marker.group(0))}$", text, re.MULTILINE)
        if target is None:
            raise ValueError(f"no marker {marker.group(0)!r} to insert at")
        text = f"{text[: target.end()]}\n{section}{text[target.end() :]}"
    return text
