# Installs uv PYENV_UV_VERSION from the package index the base image is set up for
# (pip's settings), with an interpreter of this build, and leaves the binary at /uv.
set -eu
say() { printf 'buildkit-pyenv: %s\n' "$*" >&2; }
export PIP_ROOT_USER_ACTION=ignore
unset PIP_USER PIP_TARGET PIP_PREFIX PIP_REQUIRE_VIRTUALENV
say "installing uv $PYENV_UV_VERSION from the package index"
tools=$(mktemp -d)
"$(cat "$PYENV_STATE/python")" -m venv "$tools"
"$tools/bin/python" -m pip install --no-input --disable-pip-version-check --progress-bar=off \
    -q "uv==$PYENV_UV_VERSION"
cp "$tools/bin/uv" /uv
rm -rf "$tools"
/uv --version >&2
