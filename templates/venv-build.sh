# Creates the virtual environment PYENV_VENV on the interpreter this helper stage has,
# installs PYENV_REQUIREMENTS into it when set (with uv or pip: PYENV_INSTALLER), writes
# its record (PYENV_RECORD at the top of the venv: name, versions, requirements digest,
# packages) for the manifest, and moves it under PYENV_STATE/export with its parent
# directories as the base image has them, for the final stage's COPY --link.
set -eu
say() { printf 'buildkit-pyenv: %s\n' "$*" >&2; }

# Settings a base image may carry that would send an install outside the venv.
export PIP_ROOT_USER_ACTION=ignore  # older pips ignore unknown variables, not flags
unset PYTHONPATH PYTHONHOME PYTHONSTARTUP PIP_USER PIP_TARGET PIP_PREFIX PIP_REQUIRE_VIRTUALENV
unset VIRTUAL_ENV UV_SYSTEM_PYTHON UV_PYTHON UV_PROJECT_ENVIRONMENT

# COPY --link creates missing parent directories as root with mode 0755: note the
# owner and mode the base image gives each parent, before the venv adds any.
export_root=$PYENV_STATE/export
parents= dir=$(dirname "$PYENV_VENV")
while [ "$dir" != / ]; do parents="$dir $parents"; dir=$(dirname "$dir"); done
mkdir -p "$export_root"
for dir in $parents; do
    mkdir "$export_root$dir"
    if [ -d "$dir" ]; then
        chown --reference="$dir" "$export_root$dir"
        chmod --reference="$dir" "$export_root$dir"
    fi
done

python=$(cat "$PYENV_STATE/python")
# Packages that compile find the interpreter's C headers where sysconfig says.
prefix=$(dirname "$(dirname "$python")")
[ -d "$PYENV_STATE/include" ] && [ ! -e "$prefix/include" ] && ln -s "$PYENV_STATE/include" "$prefix/include"
version=$("$python" -c 'import platform; print(platform.python_version())')
if [ "$PYENV_INSTALLER" = uv ]; then
    # uv reads its own settings; carry over the pip index settings a base image has.
    : "${UV_INDEX_URL:=${PIP_INDEX_URL:-}}" "${UV_EXTRA_INDEX_URL:=${PIP_EXTRA_INDEX_URL:-}}"
    : "${UV_INSECURE_HOST:=${PIP_TRUSTED_HOST:-}}" "${SSL_CERT_FILE:=${PIP_CERT:-}}"
    for name in UV_INDEX_URL UV_EXTRA_INDEX_URL UV_INSECURE_HOST SSL_CERT_FILE; do
        eval "value=\${$name}"
        if [ -n "$value" ]; then export "$name"; else unset "$name"; fi
    done
    export UV_LINK_MODE=copy UV_CACHE_DIR=/root/.cache/uv UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1
    say "creating $PYENV_VENV on $version with uv"
    seed=
    [ "$PYENV_SEED" = 1 ] && seed=--seed
    # shellcheck disable=SC2086
    "$PYENV_UV" venv -q $seed --python "$python" "$PYENV_VENV"
    if [ -n "$PYENV_REQUIREMENTS" ]; then
        say "installing $PYENV_REQUIREMENTS_NAME into $PYENV_VENV with uv"
        "$PYENV_UV" pip install --python "$PYENV_VENV/bin/python" --compile-bytecode \
            -r "$PYENV_REQUIREMENTS"
    fi
else
    say "creating $PYENV_VENV on $version"
    "$python" -m venv "$PYENV_VENV"
    if [ -n "$PYENV_REQUIREMENTS" ]; then
        say "installing $PYENV_REQUIREMENTS_NAME into $PYENV_VENV with pip"
        "$PYENV_VENV/bin/python" -m pip install --no-input --disable-pip-version-check \
            --progress-bar=off -r "$PYENV_REQUIREMENTS"
    fi
fi

"$PYENV_VENV/bin/python" - <<'PYENV_RECORD_EOF'
import hashlib, importlib.metadata, json, os, platform, sys

env = os.environ
requirements = env["PYENV_REQUIREMENTS"]
digest = None
if requirements:
    with open(requirements, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
packages = {d.metadata["Name"]: d.version for d in importlib.metadata.distributions()}
record = {
    "name": env["PYENV_NAME"],
    "variable": env["PYENV_VARIABLE"],
    "venv": env["PYENV_VENV"],
    "interpreter": os.path.join(env["PYENV_VENV"], "bin", "python"),
    "python": platform.python_version(),
    "requested": env["PYENV_REQUEST"],
    "base_prefix": sys.base_prefix,
    "installer": env["PYENV_INSTALLER"],
    "interpreter_origin": open(os.path.join(env["PYENV_STATE"], "origin")).read().strip(),
    "requirements": env["PYENV_REQUIREMENTS_NAME"] or None,
    "requirements_sha256": digest,
    "packages": dict(sorted(packages.items(), key=lambda item: item[0].lower())),
}
with open(os.path.join(env["PYENV_VENV"], env["PYENV_RECORD"]), "w") as out:
    json.dump(record, out, indent=2, sort_keys=True)
    out.write("\n")
PYENV_RECORD_EOF
mv "$PYENV_VENV" "$export_root$PYENV_VENV"
