# Creates the virtual environment PYENV_VENV on the interpreter this helper stage has,
# installs PYENV_REQUIREMENTS into it when set (with uv or pip: PYENV_INSTALLER; from
# PYENV_CONTEXT, where the context files it names are copied), compiles its bytecode
# from its own sources (the program PYENV_BYTECODE), writes its record
# (PYENV_RECORD at the top of the venv: name, versions, requirements digest, packages)
# for the manifest, and moves it under PYENV_STATE/export with its parent
# directories as the base image has them, for the final stage's COPY --link.
set -eu
say() { printf 'buildkit-pyenv: %s\n' "$*" >&2; }
# The interpreter of this stage is not finished yet (that happens beside this build): it
# finds its own libraries through the loader's path, in this build only.
if [ -s "$PYENV_STATE/library-path" ]; then
    LD_LIBRARY_PATH=$(cat "$PYENV_STATE/library-path")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export LD_LIBRARY_PATH
fi

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
# Index settings: the well-known BuildKit secrets, mounted for this step only, then the
# PYENV line's own flags (README: Private package indexes); pip and uv read the same.
secrets=/run/secrets mounted=
if [ -s "$secrets/index-url" ]; then
    PIP_INDEX_URL=$(tr -d ' \t\r\n' <"$secrets/index-url")
    export PIP_INDEX_URL UV_INDEX_URL="$PIP_INDEX_URL"
    mounted="$mounted index-url"
fi
if [ -s "$secrets/extra-index-url" ]; then
    PIP_EXTRA_INDEX_URL=$(tr -d ' \t\r\n' <"$secrets/extra-index-url")
    export PIP_EXTRA_INDEX_URL UV_EXTRA_INDEX_URL="$PIP_EXTRA_INDEX_URL"
    mounted="$mounted extra-index-url"
fi
[ -s "$secrets/netrc" ] && export NETRC="$secrets/netrc" && mounted="$mounted netrc"
[ -s "$secrets/pip.conf" ] && export PIP_CONFIG_FILE="$secrets/pip.conf" && mounted="$mounted pip.conf"
[ -s "$secrets/uv.toml" ] && export UV_CONFIG_FILE="$secrets/uv.toml" && mounted="$mounted uv.toml"
[ -n "${PYENV_INDEX_URL:-}" ] && export PIP_INDEX_URL="$PYENV_INDEX_URL" UV_INDEX_URL="$PYENV_INDEX_URL"
[ -n "${PYENV_EXTRA_INDEX_URL:-}" ] \
    && export PIP_EXTRA_INDEX_URL="$PYENV_EXTRA_INDEX_URL" UV_EXTRA_INDEX_URL="$PYENV_EXTRA_INDEX_URL"
[ -n "${PYENV_TRUSTED_HOST:-}" ] \
    && export PIP_TRUSTED_HOST="$PYENV_TRUSTED_HOST" UV_INSECURE_HOST="$PYENV_TRUSTED_HOST"
# An install that fails says which environment, and what a private index would need.
failed() {
    say "error: installing $PYENV_REQUIREMENTS_NAME for PYENV $PYENV_REQUEST $PYENV_NAME failed (see above)"
    if [ -z "$mounted" ]; then
        say "no index credentials were given: if the index needs them, pass a BuildKit" \
            "secret and name it in the build arg PYENV_SECRETS, e.g. --secret" \
            "id=netrc,src=\$HOME/.netrc --build-arg PYENV_SECRETS=netrc (ids: netrc," \
            "index-url, extra-index-url, pip.conf, uv.toml; buildkit-pyenv build names" \
            "its --secret ids itself)"
    else
        say "index credentials given as secrets:$mounted"
    fi
    exit 1
}
# Local paths in requirements files are relative to the build context's root, whose
# files the install reads are copied to PYENV_CONTEXT at the same layout.
mkdir -p "$PYENV_CONTEXT"
cd "$PYENV_CONTEXT"
# Debian packages the install needs to build (--apt, --apt-file): installed here, with a
# compiler; what the built extensions then link that the base image lacks is bundled
# into the venv below, so the final image needs none of them.
apt_packages=
if [ -n "${PYENV_APT:-}${PYENV_APT_FILE:-}" ]; then
    # The file as the render read it (requirements.package_list): CRs dropped, # to the
    # end of a line a comment (bytes, whatever the locale), words split at IFS.
    apt_packages="${PYENV_APT:-} $([ -z "${PYENV_APT_FILE:-}" ] || LC_ALL=C tr -d '\r' <"$PYENV_APT_FILE" | LC_ALL=C sed 's/#.*//')"
    apt_packages=$(echo $apt_packages)
    ldconfig -p | awk 'NR > 1 { print $1 }' | sort -u >/tmp/buildkit-pyenv/base-libs
    say "installing $apt_packages (and a C compiler) to build $PYENV_NAME"
    apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        gcc libc6-dev make pkg-config patchelf $apt_packages >/dev/null
fi
# --airflow: what the base image's Airflow needs in the environment, learned from the
# base itself (this stage starts FROM it or its -base image): the first python on PATH is
# asked for its apache-airflow and apache-airflow-task-sdk. Airflow 3 gets its Task SDK
# (Variables, Connections, logs over the supervisor's channel), Airflow 2 apache-airflow
# of its release (without Astro's +astro.N label): pinned, and resolved together with the
# environment's own requirements (a lock must hold it already: checked after the install).
airflow_probe='
import importlib.metadata as metadata
def version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"
print(version("apache-airflow"), version("apache-airflow-task-sdk"))'
airflow_base= airflow_sdk= airflow_pin= airflow_file=
if [ "${PYENV_AIRFLOW:-0}" = 1 ]; then
    airflow_fail() {
        say "error: PYENV --airflow $PYENV_REQUEST $PYENV_NAME: $*"
        exit 1
    }
    base_python=$(command -v python3 || command -v python || true)
    [ -n "$base_python" ] || airflow_fail "the base image has no python on PATH" \
        "($PATH) to ask which Airflow it has: --airflow needs a base image with Airflow" \
        "(Astro Runtime, apache/airflow), or drop --airflow"
    found=$(env -u LD_LIBRARY_PATH "$base_python" -c "$airflow_probe" 2>/dev/null) \
        || airflow_fail "could not ask $base_python (the base image's first python on PATH)" \
            "which Airflow it has"
    # shellcheck disable=SC2086  # two words: the versions
    set -- $found
    [ "${1:--}" != - ] || airflow_fail "the base image has no Airflow: $base_python (its" \
        "first python on PATH) has no apache-airflow. --airflow installs what the base's" \
        "Airflow needs in the environment: build FROM an image with Airflow, or drop --airflow"
    airflow_base=$1
    case $airflow_base in
    [01].* | 2.*)
        airflow_pin="apache-airflow==${airflow_base%%+*}"
        ;;
    *)
        [ "${2:--}" != - ] || airflow_fail "the base image's Airflow $airflow_base" \
            "($base_python) has no apache-airflow-task-sdk to match"
        airflow_sdk=$2
        airflow_pin="apache-airflow-task-sdk==${airflow_sdk%%+*}"
        ;;
    esac
    if [ -n "${PYENV_LOCK:-}" ]; then
        say "--airflow: the base image has Airflow $airflow_base; the lock must hold $airflow_pin"
    else
        say "--airflow: the base image has Airflow $airflow_base: installing $airflow_pin with the requirements"
        mkdir -p /tmp/buildkit-pyenv
        airflow_file=/tmp/buildkit-pyenv/airflow-requirements.txt
        printf '%s\n' "$airflow_pin" >"$airflow_file"
    fi
fi
# What the environment's own requirements would install of Airflow without --airflow's
# pin, when the install with it failed: a conflict is named with both versions.
airflow_conflict() {
    [ -n "$airflow_pin" ] && [ -n "$PYENV_REQUIREMENTS" ] || return 0
    if [ "$PYENV_INSTALLER" = uv ]; then
        wanted=$("$PYENV_UV" pip install --dry-run --python "$PYENV_VENV/bin/python" \
            -r "$PYENV_REQUIREMENTS" 2>&1 | sed -n 's/^ + \(apache-airflow\(-task-sdk\)\{0,1\}==[^ ]*\)$/\1/p')
    else
        wanted=$("$PYENV_VENV/bin/python" -m pip install --dry-run --quiet --no-input \
            --disable-pip-version-check --ignore-installed --report /tmp/buildkit-pyenv/dry-run.json \
            -r "$PYENV_REQUIREMENTS" >/dev/null 2>&1 && "$PYENV_VENV/bin/python" -c 'import json, sys
for item in json.load(open(sys.argv[1]))["install"]:
    name = item["metadata"]["name"].lower().replace("_", "-")
    if name in ("apache-airflow", "apache-airflow-task-sdk"):
        print(name + "==" + item["metadata"]["version"])' /tmp/buildkit-pyenv/dry-run.json) || wanted=
    fi
    # Requirements that cannot be installed at all on this Python are named as written.
    [ -n "$wanted" ] || wanted=$(grep -iE \
        '^[[:space:]]*apache[-_.]airflow([-_.]task[-_.]sdk)?[[:space:]]*([<>=!~;[]|$)' \
        "$PYENV_REQUIREMENTS" | tr -d ' \r') || wanted=
    [ -n "$wanted" ] || return 0
    # shellcheck disable=SC2086  # one requirement a line, shown on one
    say "error: PYENV --airflow $PYENV_REQUEST $PYENV_NAME: $PYENV_REQUIREMENTS_NAME asks for" \
        $wanted "(without the pin), but the base image's Airflow $airflow_base needs $airflow_pin in the" \
        "environment: remove that requirement (--airflow installs it) or pin it to the base's"
    exit 1
}
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
    if [ "${PYENV_LOCK:-}" = uv.lock ]; then
        # A uv project: `uv sync --locked` semantics (the lock must match pyproject.toml),
        # without dev dependencies; the project itself too when it is a package, as a
        # wheel (never editable: its sources stay in this stage).
        say "installing $PYENV_REQUIREMENTS_NAME into $PYENV_VENV with uv sync --locked"
        exact=
        [ "$PYENV_SEED" = 1 ] && exact=--inexact  # keep the seeded pip
        # shellcheck disable=SC2086
        UV_PROJECT_ENVIRONMENT=$PYENV_VENV "$PYENV_UV" sync --locked --no-dev --no-editable \
            $exact --python "$PYENV_VENV/bin/python" \
            --project "$(dirname "$PYENV_REQUIREMENTS")" || failed
    elif [ -n "$PYENV_REQUIREMENTS$airflow_file" ]; then
        # A requirements file or a pylock.toml (PEP 751), which uv installs as locked; and
        # --airflow's pin, in the same resolution.
        set --
        [ -z "$PYENV_REQUIREMENTS" ] || set -- "$@" -r "$PYENV_REQUIREMENTS"
        [ -z "$airflow_file" ] || set -- "$@" -r "$airflow_file"
        say "installing ${PYENV_REQUIREMENTS_NAME:-$airflow_pin} into $PYENV_VENV with uv"
        "$PYENV_UV" pip install --python "$PYENV_VENV/bin/python" "$@" \
            || { airflow_conflict; failed; }
    fi
else
    say "creating $PYENV_VENV on $version"
    "$python" -m venv "$PYENV_VENV"
    if [ -n "$PYENV_REQUIREMENTS$airflow_file" ]; then
        set --
        [ -z "$PYENV_REQUIREMENTS" ] || set -- "$@" -r "$PYENV_REQUIREMENTS"
        [ -z "$airflow_file" ] || set -- "$@" -r "$airflow_file"
        say "installing ${PYENV_REQUIREMENTS_NAME:-$airflow_pin} into $PYENV_VENV with pip"
        "$PYENV_VENV/bin/python" -m pip install --no-input --disable-pip-version-check \
            --progress-bar=off --no-compile "$@" || { airflow_conflict; failed; }
    fi
fi
# --airflow: what the environment now holds must be the base's release (a lock, or a
# requirement of apache-airflow beside the Task SDK, could give another).
airflow_installed=
if [ -n "$airflow_pin" ]; then
    # shellcheck disable=SC2046  # two words: the versions
    set -- $("$PYENV_VENV/bin/python" -c "$airflow_probe")
    case $airflow_pin in
    apache-airflow==*) has=$1 name=apache-airflow ;;
    *) has=$2 name=apache-airflow-task-sdk ;;
    esac
    if [ "${has%%+*}" != "${airflow_pin#*==}" ]; then
        what="$name $has"
        [ "$has" != - ] || what="no $name"
        say "error: PYENV --airflow $PYENV_REQUEST $PYENV_NAME: the environment has $what," \
            "but the base image's Airflow $airflow_base needs $airflow_pin:" \
            "${PYENV_LOCK:+lock it in $PYENV_REQUIREMENTS_NAME, or }remove the requirement that asks for another"
        exit 1
    fi
    if [ -n "$airflow_sdk" ] && [ "$1" != - ] && [ "${1%%+*}" != "${airflow_base%%+*}" ]; then
        say "error: PYENV --airflow $PYENV_REQUEST $PYENV_NAME: the environment has" \
            "apache-airflow $1, but the base image has Airflow $airflow_base: remove" \
            "apache-airflow from $PYENV_REQUIREMENTS_NAME (the Task SDK is what tasks need) or pin it to ${airflow_base%%+*}"
        exit 1
    fi
    [ -n "${PYENV_LOCK:-}" ] || airflow_installed=$airflow_pin
fi
if [ -n "$apt_packages" ]; then
    # Libraries the venv's extensions link from the packages just installed (not in the
    # base image) go to lib/buildkit-pyenv-libs, found through RUNPATH ($ORIGIN-relative).
    libs=$PYENV_VENV/lib/buildkit-pyenv-libs
    mkdir -p "$libs"
    find "$PYENV_VENV" -type f -name '*.so*' ! -path "$libs/*" >/tmp/buildkit-pyenv/extensions
    while read -r extension; do
        needed=$(ldd "$extension" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\/(usr\/)?lib/ { print $1, $3 }') || continue
        [ -n "$needed" ] || continue
        bundled=
        while read -r soname path; do
            grep -qxF "$soname" /tmp/buildkit-pyenv/base-libs && continue
            [ -e "$libs/$soname" ] || { cp -L "$path" "$libs/$soname"; say "bundling $soname"; }
            bundled=1
        done <<EOF_NEEDED
$needed
EOF_NEEDED
        if [ -n "$bundled" ]; then
            relative=$(realpath --relative-to="$(dirname "$extension")" "$libs")
            patchelf --add-rpath "\$ORIGIN/$relative" "$extension"
        fi
    done </tmp/buildkit-pyenv/extensions
    for lib in "$libs"/*; do
        if [ -e "$lib" ]; then patchelf --set-rpath '$ORIGIN' "$lib"; fi
    done
    rmdir "$libs" 2>/dev/null || true
fi

# Bytecode at build time, since task users cannot write __pycache__ into the venv; for
# every module but the test suites packages ship (in test/ or tests/ directories: 1,345
# of pandas' 1,869 files, 29 of its 43 MB of bytecode), which tasks do not import. Both
# installers leave it to this step, so uv and pip venvs hold the same files. The program
# PYENV_BYTECODE writes what compileall would, compiling every module here from the
# venv's own source, in one process per CPU: no cache mount, which any build on the
# builder could write into (README: Cache mounts and trust). A module that does not
# compile is reported, as the installers would, without failing the build. It runs in
# the process that then writes the record: one interpreter start fewer.
PYENV_APT_PACKAGES=$apt_packages PYENV_AIRFLOW_BASE=$airflow_base PYENV_AIRFLOW_TASK_SDK=$airflow_sdk \
    PYENV_AIRFLOW_INSTALLED=$airflow_installed "$PYENV_VENV/bin/python" - "$PYENV_BYTECODE" \
    "$PYENV_VENV/lib" <<'PYENV_RECORD_EOF'
import hashlib, importlib.metadata, json, os, platform, runpy, sys

runpy.run_path(sys.argv[1], run_name="venv_bytecode")["main"](sys.argv[2:])

env = os.environ
requirements = env["PYENV_REQUIREMENTS"]
digest = None
if requirements:
    with open(requirements, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
packages = {d.metadata["Name"]: d.version for d in importlib.metadata.distributions()}
libs = os.path.join(env["PYENV_VENV"], "lib", "buildkit-pyenv-libs")
# What --airflow found in the base image and installed (null without the flag).
airflow = None
if env.get("PYENV_AIRFLOW_BASE"):
    airflow = dict(
        base=env["PYENV_AIRFLOW_BASE"],
        task_sdk=env.get("PYENV_AIRFLOW_TASK_SDK") or None,
        installed=env.get("PYENV_AIRFLOW_INSTALLED", "").split(),
    )
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
    "lock": env.get("PYENV_LOCK") or None,
    "packages": dict(sorted(packages.items(), key=lambda item: item[0].lower())),
    "system_packages": env.get("PYENV_APT_PACKAGES", "").split(),
    "bundled_libraries": sorted(os.listdir(libs)) if os.path.isdir(libs) else [],
    "airflow": airflow,
}
with open(os.path.join(env["PYENV_VENV"], env["PYENV_RECORD"]), "w") as out:
    json.dump(record, out, indent=2, sort_keys=True)
    out.write("\n")
PYENV_RECORD_EOF
mv "$PYENV_VENV" "$export_root$PYENV_VENV"
