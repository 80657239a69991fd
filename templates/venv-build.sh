# Creates the virtual environment $PYENV_VENV on the interpreter this helper stage
# built, and installs $PYENV_REQUIREMENTS into it when that is set.
set -eu
say() { printf 'buildkit-pyenv: %s\n' "$*" >&2; }

# Settings a base image may carry that would send pip outside the venv.
export PIP_ROOT_USER_ACTION=ignore  # older pips ignore unknown variables, not flags
unset PYTHONPATH PYTHONHOME PYTHONSTARTUP PIP_USER PIP_TARGET PIP_PREFIX PIP_REQUIRE_VIRTUALENV

python=$(cat "$PYENV_STATE/python")
say "creating $PYENV_VENV on $("$python" -c 'import platform; print(platform.python_version())')"
"$python" -m venv "$PYENV_VENV"
if [ -n "$PYENV_REQUIREMENTS" ]; then
    say "installing $PYENV_REQUIREMENTS_NAME into $PYENV_VENV"
    "$PYENV_VENV/bin/python" -m pip install --no-input --disable-pip-version-check \
        --progress-bar=off -r "$PYENV_REQUIREMENTS"
fi
