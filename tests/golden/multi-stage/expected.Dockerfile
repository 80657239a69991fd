# check=skip=JSONArgsRecommended
ARG BASE=debian:bookworm-slim
FROM ${BASE} AS deps
RUN <<EOF
PYENV 3.12 not-an-instruction
EOF

# buildkit-pyenv: the official image CPython 3.12 is copied from, for the PYENV line 12
FROM --platform=$TARGETPLATFORM python:3.12-slim-bookworm AS pyenv-python-3.12-image

# buildkit-pyenv: CPython 3.12 out of python:3.12-slim-bookworm on ${BASE}, for the PYENV line 12
FROM --platform=$TARGETPLATFORM ${BASE} AS pyenv-python-3.12
USER root
SHELL ["/bin/sh", "-c"]
RUN --mount=from=pyenv-python-3.12-image,target=/tmp/buildkit-pyenv/python-image \
    PYENV_DIST=/tmp/buildkit-pyenv/python-image PYENV_IMAGE=python:3.12-slim-bookworm PYENV_REQUEST=3.12 \
    PYENV_ROOT=/opt/pyenv PYENV_STATE=/var/lib/buildkit-pyenv /bin/sh <<'BUILDKIT_PYENV_EOF'
# Copies the CPython of an official python image (mounted at PYENV_DIST, its files under
# /usr/local) into PYENV_ROOT/versions/<version>, once this base's C library is known to
# run it; bundles the libraries the base lacks and checks that the standard modules import.
set -eu
say() { printf 'buildkit-pyenv: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

dist=$PYENV_DIST
mkdir -p "$PYENV_STATE"
header=$(ls "$dist"/usr/local/include/python3.*/patchlevel.h 2>/dev/null | head -n 1)
[ -n "$header" ] || die "$PYENV_IMAGE has no CPython under /usr/local (is it an official python image?)"
version=$(sed -n 's/^#define PY_VERSION[[:space:]]*"\([^"+]*\).*"/\1/p' "$header")
minor=${version%.*}
case "$version" in 3.*.*) ;; *) die "cannot read the CPython version of $PYENV_IMAGE" ;; esac
case "$version" in "$PYENV_REQUEST" | "$PYENV_REQUEST".*) ;;
    *) die "$PYENV_IMAGE holds CPython $version, not $PYENV_REQUEST" ;;
esac

# A binary runs only on a C library at least as new as the one it was built against.
need=$(dpkg-query --admindir="$dist/var/lib/dpkg" -W -f '${Version}' libc6 2>/dev/null | sed 's/-.*//') || need=
have=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{ print $2 }') || have=
if [ -n "$need" ] && [ -n "$have" ] && command -v dpkg >/dev/null \
    && ! dpkg --compare-versions "$have" ge "$need"; then
    die "this base image has glibc $have, older than the glibc $need that CPython in" \
        "$PYENV_IMAGE needs; set PYENV_DEBIAN_RELEASE to the base's own Debian release," \
        "or build from source with --provider=source"
fi

prefix=$PYENV_ROOT/versions/$version
say "copying CPython $version out of $PYENV_IMAGE into $prefix"
mkdir -p "$prefix/bin" "$prefix/lib" "$prefix/include"
cp -a "$dist/usr/local/bin/python$minor" "$prefix/bin/"
cp -a "$dist/usr/local/lib/python$minor" "$dist"/usr/local/lib/libpython3*.so* "$prefix/lib/"
cp -a "$dist/usr/local/include/python$minor" "$prefix/include/"
ln -s "python$minor" "$prefix/bin/python3"
ln -s python3 "$prefix/bin/python"
# The image's own pip and setuptools stay behind: each venv gets what it asks for. The
# slim images keep no Tk (their _tkinter cannot load), so tkinter and IDLE go too.
find "$prefix/lib/python$minor/site-packages" -mindepth 1 -maxdepth 1 ! -name README.txt \
    -exec rm -rf {} +
rm -rf "$prefix/lib/python$minor/idlelib" "$prefix/lib/python$minor/tkinter" \
    "$prefix/lib/python$minor/turtledemo" "$prefix"/lib/python"$minor"/lib-dynload/_tkinter*

# Libraries the base lacks come from the same image, next to the interpreter; the scan
# sees those already bundled, so that their own dependencies are found too.
missing() {
    LD_LIBRARY_PATH=$prefix/lib ldd "$prefix/bin/python$minor" "$prefix"/lib/*.so* \
        "$prefix"/lib/python"$minor"/lib-dynload/*.so 2>/dev/null \
        | awk '$2 == "=>" && $3 == "not" { print $1 }' | sort -u
}
: >"$PYENV_STATE/bundled-libs"
for _ in 1 2 3 4 5 6; do
    sonames=$(missing)
    [ -n "$sonames" ] || break
    for soname in $sonames; do
        found=
        for dir in "$dist"/usr/local/lib "$dist"/usr/lib/*-linux-gnu* "$dist"/lib/*-linux-gnu*; do
            if [ -e "$dir/$soname" ]; then found=$dir/$soname; break; fi
        done
        [ -n "$found" ] || die "$PYENV_IMAGE lacks $soname, which CPython $version needs"
        cp -L "$found" "$prefix/lib/$soname"
        echo "$soname" >>"$PYENV_STATE/bundled-libs"
    done
done
[ -z "$(missing)" ] || die "cannot bundle what CPython $version needs: $(missing | tr '\n' ' ')"
# Without the scan's help, each file must find lib/ on its own: the binary (unless the
# image linked it so, as docker-library does), the extension modules, bundled libraries.
if [ -s "$PYENV_STATE/bundled-libs" ] || ldd "$prefix/bin/python$minor" | grep -q 'not found'; then
    [ -s "$PYENV_STATE/bundled-libs" ] && say "bundling $(tr '\n' ' ' <"$PYENV_STATE/bundled-libs")"
    if ! command -v patchelf >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            patchelf >/dev/null
    fi
    patchelf --force-rpath --set-rpath '$ORIGIN/../lib' "$prefix/bin/python$minor"
    for file in "$prefix"/lib/python"$minor"/lib-dynload/*.so; do
        patchelf --force-rpath --set-rpath '$ORIGIN/../..' "$file"
    done
    for soname in $(cat "$PYENV_STATE/bundled-libs"); do
        patchelf --force-rpath --set-rpath '$ORIGIN' "$prefix/lib/$soname"
    done
fi
if ldd "$prefix/bin/python$minor" "$prefix"/lib/python"$minor"/lib-dynload/*.so | grep -q 'not found'; then
    die "CPython $version from $PYENV_IMAGE does not find its libraries"
fi

"$prefix/bin/python3" -c 'import ssl, sqlite3, ctypes, lzma, bz2, zlib, uuid, decimal, venv' \
    || die "CPython $version from $PYENV_IMAGE lacks a standard module (see above)"
# Bytecode once, at one optimisation level: task users cannot write __pycache__ here.
# Unchecked hashes: the files never change in the image, whatever their timestamps.
"$prefix/bin/python3" -m compileall -q -j 0 --invalidation-mode unchecked-hash \
    -x '/(test|tests|idle_test)/' "$prefix/lib/python$minor" >/dev/null \
    || die "compiling the standard library of CPython $version failed"
# The C headers serve venv builds (packages that compile) but not the image: they wait
# in the state directory, which venv stages link back and no image copies.
mv "$prefix/include" "$PYENV_STATE/include"
printf '%s\n' "$version" >"$PYENV_STATE/version"
printf 'image %s\n' "$PYENV_IMAGE" >"$PYENV_STATE/origin"
printf '%s\n' "$prefix/bin/python3" >"$PYENV_STATE/python"
say "CPython $version is ready in $prefix"
BUILDKIT_PYENV_EOF

# buildkit-pyenv: uv 0.13.9 from the package index, for the venvs of this build
FROM pyenv-python-3.12 AS pyenv-uv
RUN --mount=type=cache,id=buildkit-pyenv-pip,target=/root/.cache/pip \
    PYENV_UV_VERSION=0.13.9 PYENV_STATE=/var/lib/buildkit-pyenv /bin/sh <<'BUILDKIT_PYENV_EOF'
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
BUILDKIT_PYENV_EOF

# buildkit-pyenv: venv etl on CPython 3.12 (uv), for the PYENV line 12
FROM pyenv-python-3.12 AS pyenv-venv-etl
COPY ["reqs/etl.txt", "/tmp/buildkit-pyenv/requirements.txt"]
RUN --mount=type=cache,id=buildkit-pyenv-uv,target=/root/.cache/uv \
    --mount=from=pyenv-uv,source=/uv,target=/tmp/buildkit-pyenv/uv \
    PYENV_NAME=etl PYENV_VARIABLE=ASTRO_PYENV_etl PYENV_REQUEST=3.12 \
    PYENV_VENV=/home/astro/.venv/etl PYENV_REQUIREMENTS=/tmp/buildkit-pyenv/requirements.txt \
    PYENV_REQUIREMENTS_NAME=reqs/etl.txt PYENV_RECORD=buildkit-pyenv.json \
    PYENV_INSTALLER=uv PYENV_SEED=0 PYENV_UV=/tmp/buildkit-pyenv/uv \
    PYENV_STATE=/var/lib/buildkit-pyenv /bin/sh <<'BUILDKIT_PYENV_EOF'
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
BUILDKIT_PYENV_EOF

# buildkit-pyenv: the manifest of the environments, for the PYENV line 12
FROM pyenv-python-3.12 AS pyenv-manifest
COPY --from=pyenv-venv-etl /var/lib/buildkit-pyenv/export/home/astro/.venv/etl/buildkit-pyenv.json /var/lib/buildkit-pyenv/records/001.json
RUN PYENV_STATE=/var/lib/buildkit-pyenv PYENV_MANIFEST=/etc/buildkit-pyenv/manifest.json /bin/sh <<'BUILDKIT_PYENV_EOF'
# Merges the records of the environments (one JSON file each, in PYENV_STATE/records)
# into the image manifest PYENV_MANIFEST. Environments of the base image's own manifest
# stay listed unless a PYENV line here redefines them.
set -eu
"$(cat "$PYENV_STATE/python")" - <<'PYENV_MANIFEST_EOF'
import glob, json, os

path = os.environ["PYENV_MANIFEST"]
environments = {}
if os.path.exists(path):
    with open(path) as inherited:
        environments = {e["name"]: e for e in json.load(inherited).get("environments", [])}
for record in sorted(glob.glob(os.path.join(os.environ["PYENV_STATE"], "records", "*.json"))):
    with open(record) as handle:
        entry = json.load(handle)
    environments[entry["name"]] = entry
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as out:
    json.dump({"schema": 1, "environments": list(environments.values())}, out, indent=2, sort_keys=True)
    out.write("\n")
PYENV_MANIFEST_EOF
BUILDKIT_PYENV_EOF

# The application image.
FROM --platform=$TARGETPLATFORM ${BASE} AS app
USER 50000
# pyenv 3.12 \
#     etl \
#     reqs/etl.txt
COPY --link --from=pyenv-python-3.12 /opt/pyenv/versions/ /opt/pyenv/versions/
COPY --link --from=pyenv-venv-etl /var/lib/buildkit-pyenv/export/ /
ENV ASTRO_PYENV_etl=/home/astro/.venv/etl/bin/python
LABEL buildkit-pyenv.env.etl.requested=3.12 \
      buildkit-pyenv.env.etl.venv=/home/astro/.venv/etl \
      buildkit-pyenv.env.etl.interpreter=/home/astro/.venv/etl/bin/python \
      buildkit-pyenv.env.etl.requirements=reqs/etl.txt \
      buildkit-pyenv.env.etl.requirements-sha256=7cc4959877dbe6b6c63a8eb1bfe3bfb545fa8fe5b28b1b2c13e4a7c1c0d1c4d4
COPY --link --from=pyenv-manifest /etc/buildkit-pyenv/manifest.json /etc/buildkit-pyenv/manifest.json
COPY --from=0 /etc/os-release /tmp/os-release
RUN --mount=type=bind,from=0,target=/deps true
CMD echo ready

# buildkit-pyenv: venv checks on CPython 3.12 (uv), for the PYENV line 21
FROM pyenv-python-3.12 AS pyenv-venv-checks
COPY ["reqs/checks.txt", "/tmp/buildkit-pyenv/requirements.txt"]
RUN --mount=type=cache,id=buildkit-pyenv-uv,target=/root/.cache/uv \
    --mount=from=pyenv-uv,source=/uv,target=/tmp/buildkit-pyenv/uv \
    PYENV_NAME=checks PYENV_VARIABLE=ASTRO_PYENV_checks PYENV_REQUEST=3.12 \
    PYENV_VENV=/home/astro/.venv/checks PYENV_REQUIREMENTS=/tmp/buildkit-pyenv/requirements.txt \
    PYENV_REQUIREMENTS_NAME=reqs/checks.txt PYENV_RECORD=buildkit-pyenv.json \
    PYENV_INSTALLER=uv PYENV_SEED=0 PYENV_UV=/tmp/buildkit-pyenv/uv \
    PYENV_STATE=/var/lib/buildkit-pyenv /bin/sh <<'BUILDKIT_PYENV_EOF'
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
BUILDKIT_PYENV_EOF

# buildkit-pyenv: the manifest of the environments, for the PYENV line 21
FROM pyenv-python-3.12 AS pyenv-manifest-2
COPY --from=pyenv-venv-etl /var/lib/buildkit-pyenv/export/home/astro/.venv/etl/buildkit-pyenv.json /var/lib/buildkit-pyenv/records/001.json
COPY --from=pyenv-venv-checks /var/lib/buildkit-pyenv/export/home/astro/.venv/checks/buildkit-pyenv.json /var/lib/buildkit-pyenv/records/002.json
RUN PYENV_STATE=/var/lib/buildkit-pyenv PYENV_MANIFEST=/etc/buildkit-pyenv/manifest.json /bin/sh <<'BUILDKIT_PYENV_EOF'
# Merges the records of the environments (one JSON file each, in PYENV_STATE/records)
# into the image manifest PYENV_MANIFEST. Environments of the base image's own manifest
# stay listed unless a PYENV line here redefines them.
set -eu
"$(cat "$PYENV_STATE/python")" - <<'PYENV_MANIFEST_EOF'
import glob, json, os

path = os.environ["PYENV_MANIFEST"]
environments = {}
if os.path.exists(path):
    with open(path) as inherited:
        environments = {e["name"]: e for e in json.load(inherited).get("environments", [])}
for record in sorted(glob.glob(os.path.join(os.environ["PYENV_STATE"], "records", "*.json"))):
    with open(record) as handle:
        entry = json.load(handle)
    environments[entry["name"]] = entry
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as out:
    json.dump({"schema": 1, "environments": list(environments.values())}, out, indent=2, sort_keys=True)
    out.write("\n")
PYENV_MANIFEST_EOF
BUILDKIT_PYENV_EOF

FROM app AS test
# Inherits etl's interpreter: only the venv is new here.
# PYENV 3.12 checks reqs/checks.txt
COPY --link --from=pyenv-venv-checks /var/lib/buildkit-pyenv/export/ /
ENV ASTRO_PYENV_checks=/home/astro/.venv/checks/bin/python
LABEL buildkit-pyenv.env.checks.requested=3.12 \
      buildkit-pyenv.env.checks.venv=/home/astro/.venv/checks \
      buildkit-pyenv.env.checks.interpreter=/home/astro/.venv/checks/bin/python \
      buildkit-pyenv.env.checks.requirements=reqs/checks.txt \
      buildkit-pyenv.env.checks.requirements-sha256=8004a972c3d5c274d8c808e8d8afe03b9aca8af8eebf3df4298f114d8008b754
COPY --link --from=pyenv-manifest-2 /etc/buildkit-pyenv/manifest.json /etc/buildkit-pyenv/manifest.json
COPY --from=6 /etc/hostname /tmp/hostname
RUN --mount=from=6,target=/app echo from=1
