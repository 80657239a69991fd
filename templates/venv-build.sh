# Creates the virtual environment PYENV_VENV on the interpreter this helper stage built,
# installs PYENV_REQUIREMENTS into it when set, and writes its record (PYENV_RECORD at
# the top of the venv: name, versions, requirements digest, packages) for the manifest.
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
    "requirements": env["PYENV_REQUIREMENTS_NAME"] or None,
    "requirements_sha256": digest,
    "packages": dict(sorted(packages.items(), key=lambda item: item[0].lower())),
}
with open(os.path.join(env["PYENV_VENV"], env["PYENV_RECORD"]), "w") as out:
    json.dump(record, out, indent=2, sort_keys=True)
    out.write("\n")
PYENV_RECORD_EOF
