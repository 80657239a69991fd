"""Fixed names, paths and defaults of the PYENV expansion, in one place."""

from __future__ import annotations

# What images built here say about their environments has its own owner (contract.py);
# these names are re-exported for the modules that read them with the other defaults.
from .contract import ENV_PREFIX, LABEL_PREFIX, MANIFEST_PATH, RECORD_NAME  # noqa: F401

#: The instruction this project adds to Dockerfiles.
KEYWORD = "PYENV"

#: Interpreters live here, the pyenv way: <PYENV_ROOT>/versions/<version>.
PYENV_ROOT = "/opt/pyenv"

#: Where a venv goes unless its PYENV line says --path (astro-provider-venv's layout).
VENV_ROOT = "/home/astro/.venv"

#: Helper-stage scratch space noting the interpreter a stage built; never copied out.
STATE_DIR = "/var/lib/buildkit-pyenv"

#: Build arguments the generated stages declare, with their defaults. A user sets them
#: with --build-arg (CLI or docker build) or a global ARG in the Dockerfile.
BUILD_ARG_DEFAULTS = {
    "PYENV_PYTHON_MIRROR": "https://www.python.org/ftp/python",
    "PYENV_PYTHON_CONFIGURE_OPTS": "",
}

#: Build arguments read when rendering, because they decide which stages there are (a
#: build arg set only at `docker build` time after `buildkit-pyenv render` is too late).
#: Where interpreters come from: "image" copies CPython out of the official
#: python:<X.Y>-slim-<release> image (seconds), "source" builds it (minutes, air-gapped).
PROVIDER_ARG = "PYENV_PYTHON_PROVIDER"
PROVIDERS = ("image", "source")
DEFAULT_PROVIDER = "image"
#: The repository of the official Python images, for registry mirrors.
PYTHON_IMAGE_ARG = "PYENV_PYTHON_IMAGE"
DEFAULT_PYTHON_IMAGE = "python"
#: The Debian release of the official image, when it cannot be learned from the base.
RELEASE_ARG = "PYENV_DEBIAN_RELEASE"
#: What installs requirements into a venv: uv (default) or pip.
INSTALLER_ARG = "PYENV_INSTALLER"
INSTALLERS = ("uv", "pip")
DEFAULT_INSTALLER = "uv"
#: uv comes from PyPI at this version, through the base image's index settings...
UV_VERSION_ARG = "PYENV_UV_VERSION"
DEFAULT_UV_VERSION = "0.13.9"
#: ...or out of a uv image the user names (the official one has /uv at its root).
UV_IMAGE_ARG = "PYENV_UV_IMAGE"

#: The BuildKit secrets an install step mounts (for private package indexes), named in
#: this build argument: each secret mount makes BuildKit ask the client for it when the
#: step starts (seconds with Docker's build driver), so only those named are mounted.
#: `buildkit-pyenv build` sets it from its --secret ids.
SECRETS_ARG = "PYENV_SECRETS"
SECRET_IDS = ("netrc", "index-url", "extra-index-url", "pip.conf", "uv.toml")

#: Build argument naming the image helper stages start from, for base images whose
#: ONBUILD triggers must not run there.
BUILDER_ARG = "PYENV_BUILDER_IMAGE"
#: Astronomer's Runtime repositories: an image of one tagged without `-base` runs ONBUILD
#: triggers, and the same tag with `-base` is that image without them. Runtime 2 and
#: older (quay.io/astronomer/astro-runtime:12.6.0), Runtime 3
#: (astrocrpublic.azurecr.io/runtime:3.1-1).
RUNTIME_REPOSITORIES = (
    "quay.io/astronomer/astro-runtime",
    "astronomer/astro-runtime",
    "astrocrpublic.azurecr.io/runtime",
)
#: Build argument adding repositories to RUNTIME_REPOSITORIES (registry mirrors of them),
#: comma-separated.
RUNTIME_REPOSITORIES_ARG = "PYENV_RUNTIME_REPOSITORIES"

#: `# syntax=` images whose repository name ends with one of these are this frontend
#: (or the one it replaces): the CLI drops that line, as the output is plain Dockerfile.
OWN_FRONTEND_NAMES = ("buildkit-pyenv", "buildkit-pyenv/frontend", "astronomer/airflow-extensions")

#: Shown with grammar errors.
USAGE = "PYENV [--flag=value ...] <python-version> <venv-name> [<requirements-file>]"
