# Installs uv PYENV_UV_VERSION from the package index the base image is set up for
# (pip's settings), with an interpreter of this build, and leaves the binary at /uv.
set -eu
say() { printf 'buildkit-pyenv: %s\n' "$*" >&2; }
# The interpreter of this stage is not finished yet (that happens beside this build): it
# finds its own libraries through the loader's path, in this build only.
if [ -s "$PYENV_STATE/library-path" ]; then
    LD_LIBRARY_PATH=$(cat "$PYENV_STATE/library-path")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export LD_LIBRARY_PATH
fi
export PIP_ROOT_USER_ACTION=ignore
unset PIP_USER PIP_TARGET PIP_PREFIX PIP_REQUIRE_VIRTUALENV
say "installing uv $PYENV_UV_VERSION from the package index"
python=$(cat "$PYENV_STATE/python")
wheels=$(mktemp -d)
# The interpreter's bundled pip runs straight from its wheel: no venv to make, nothing
# installed; pip only fetches uv's wheel (for this platform), whose binary is all we need.
pip_wheel=$(ls "${python%/bin/python3}"/lib/python3*/ensurepip/_bundled/pip-*.whl 2>/dev/null | head -n 1)
if [ -n "$pip_wheel" ]; then
    "$python" "$pip_wheel/pip" download --no-input --disable-pip-version-check \
        --progress-bar=off -q --no-deps --only-binary=:all: --dest "$wheels" \
        "uv==$PYENV_UV_VERSION"
    "$python" - "$wheels"/uv-*.whl <<'PYENV_UV_EOF'
import shutil, sys, zipfile

with zipfile.ZipFile(sys.argv[1]) as wheel:
    (member,) = [n for n in wheel.namelist() if n.endswith(".data/scripts/uv")]
    with wheel.open(member) as binary, open("/uv", "wb") as out:
        shutil.copyfileobj(binary, out)
PYENV_UV_EOF
    chmod 0755 /uv
else
    "$python" -m venv "$wheels/venv"
    "$wheels/venv/bin/python" -m pip install --no-input --disable-pip-version-check \
        --progress-bar=off -q "uv==$PYENV_UV_VERSION"
    cp "$wheels/venv/bin/uv" /uv
fi
rm -rf "$wheels"
/uv --version >&2
