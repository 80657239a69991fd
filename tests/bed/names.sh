# The test bed's names, sourced by setup.sh and cache-engine.sh; tests/bed/fixtures.py
# holds the same names for the tests.

# Where fixtures live between runs; tests read the same variable (tests/bed/fixtures.py).
BED_DIR=${BUILDKIT_PYENV_BED_DIR:-/var/cache/buildkit-pyenv-bed}
BARE_IMAGE=buildkit-pyenv-test/bare:bookworm
ASTRO_IMAGE=buildkit-pyenv-test/astro:bookworm
AIRFLOW_IMAGE=buildkit-pyenv-test/airflow:bookworm
# Stand-ins of official images the bed cannot pull (images/testbed/*.Dockerfile).
UV_VERSION=0.13.9
UV_IMAGE=ghcr.io/astral-sh/uv:$UV_VERSION
PYTHON_RELEASE=bookworm

# The CPython versions (X.Y.Z) the mirror has tarballs of, one a line.
mirror_versions() {
    local tarball
    for tarball in "$BED_DIR"/mirror/*/Python-*.tar.xz; do
        [ -e "$tarball" ] && basename "$(dirname "$tarball")"
    done
    return 0
}

# The tags of the stand-in of python:<X.Y.Z>-slim-bookworm, the exact one first.
python_slim_tags() {
    local minor=${1%.*}
    echo "python:$1-slim-$PYTHON_RELEASE python:$minor-slim-$PYTHON_RELEASE python:$minor-slim"
}
