# check=skip=JSONArgsRecommended
ARG BASE=debian:bookworm-slim
FROM ${BASE} AS deps
RUN <<EOF
PYENV 3.12 not-an-instruction
EOF

# buildkit-pyenv: the CPython 3.12 source, for the PYENV line 12
FROM --platform=$TARGETPLATFORM ${BASE} AS pyenv-python-3.12-source
USER root
SHELL ["/bin/sh", "-c"]
RUN PYENV_STATE=/var/lib/buildkit-pyenv /bin/sh <<'BUILDKIT_PYENV_EOF'
# Installs what building CPython needs, after noting the libraries the base image
# already has: the interpreter bundles any other library it links, so that it runs in
# the final image, where these -dev packages are not.
set -eu
mkdir -p "$PYENV_STATE"
ldconfig -p | awk 'NR > 1 { print $1 }' | sort -u >"$PYENV_STATE/base-libs"
if ! command -v apt-get >/dev/null 2>&1; then
    echo "buildkit-pyenv: error: the base image has no apt-get;" \
        "PYENV builds CPython on Debian or Ubuntu based images" >&2
    exit 1
fi
echo "buildkit-pyenv: installing the build dependencies of CPython" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    ca-certificates curl xz-utils make gcc libc6-dev dpkg-dev pkg-config \
    libbz2-dev libffi-dev libgdbm-dev libgdbm-compat-dev liblzma-dev libncursesw5-dev \
    libreadline-dev libsqlite3-dev libssl-dev uuid-dev zlib1g-dev >/dev/null
rm -rf /var/lib/apt/lists/*
BUILDKIT_PYENV_EOF
ARG PYENV_PYTHON_MIRROR=https://www.python.org/ftp/python
RUN --mount=type=cache,id=buildkit-pyenv-downloads,target=/var/cache/buildkit-pyenv/downloads \
    PYENV_REQUEST=3.12 PYENV_SHA256='' \
    PYENV_STATE=/var/lib/buildkit-pyenv /bin/sh <<'BUILDKIT_PYENV_EOF'
# Finds the CPython release PYENV_REQUEST names on PYENV_PYTHON_MIRROR (python.org's
# layout: <mirror>/<version>/Python-<version>.tar.xz), downloads it through the cache
# mount unless it is there, checks PYENV_SHA256 when set, and leaves the tarball and
# the version it resolved to in PYENV_STATE.
set -eu
say() { printf 'buildkit-pyenv: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

mirror=${PYENV_PYTHON_MIRROR%/}
downloads=/var/cache/buildkit-pyenv/downloads
mkdir -p "$downloads"

tarball_url() {  # python.org keeps pre-releases in the directory of the final release
    printf '%s/%s/Python-%s.tar.xz' "$mirror" "$(printf %s "$1" | sed -E 's/(a|b|rc)[0-9]+$//')" "$1"
}

case "$PYENV_REQUEST" in
    *.*.*) candidates=$PYENV_REQUEST ;;
    *)
        say "looking up the newest $PYENV_REQUEST.x on $mirror/"
        listing=$(curl -fsSL "$mirror/") || die "cannot list $mirror/ (is PYENV_PYTHON_MIRROR right?)"
        escaped=$(printf %s "$PYENV_REQUEST" | sed 's/\./\\./g')
        candidates=$(printf '%s\n' "$listing" \
            | grep -oE "href=\"$escaped\\.[0-9]+/\"" \
            | sed -E 's/^href="([^/]*)\/"$/\1/' | sort -u -t. -k3,3nr)
        [ -n "$candidates" ] || die "$mirror/ lists no $PYENV_REQUEST.x release"
        ;;
esac

# The newest listed release whose tarball exists: a directory can come before its release.
version=
for candidate in $candidates; do
    if [ -s "$downloads/Python-$candidate.tar.xz" ] \
        || curl -fsSIL -o /dev/null "$(tarball_url "$candidate")"; then
        version=$candidate
        break
    fi
done
[ -n "$version" ] || die "no Python-$PYENV_REQUEST tarball found on $mirror/"

cached=$downloads/Python-$version.tar.xz
if [ ! -s "$cached" ]; then
    say "downloading $(tarball_url "$version")"
    # A unique name: another stage may be fetching the same release at the same time.
    curl -fsSL -o "$cached.$$" "$(tarball_url "$version")" \
        || { rm -f "$cached.$$"; die "downloading Python $version from $mirror failed"; }
    mv "$cached.$$" "$cached"
fi
if [ -n "$PYENV_SHA256" ] \
    && ! printf '%s  %s\n' "$PYENV_SHA256" "$cached" | sha256sum -c --status -; then
    rm -f "$cached"
    die "Python-$version.tar.xz from $mirror does not have the SHA-256 --sha256 gives"
fi
cp "$cached" "$PYENV_STATE/Python.tar.xz"
printf '%s\n' "$version" >"$PYENV_STATE/version"
say "using CPython $version"
BUILDKIT_PYENV_EOF

# buildkit-pyenv: CPython 3.12 built from source on ${BASE}, for the PYENV line 12
FROM --platform=$TARGETPLATFORM ${BASE} AS pyenv-python-3.12
USER root
SHELL ["/bin/sh", "-c"]
RUN PYENV_STATE=/var/lib/buildkit-pyenv /bin/sh <<'BUILDKIT_PYENV_EOF'
# Installs what building CPython needs, after noting the libraries the base image
# already has: the interpreter bundles any other library it links, so that it runs in
# the final image, where these -dev packages are not.
set -eu
mkdir -p "$PYENV_STATE"
ldconfig -p | awk 'NR > 1 { print $1 }' | sort -u >"$PYENV_STATE/base-libs"
if ! command -v apt-get >/dev/null 2>&1; then
    echo "buildkit-pyenv: error: the base image has no apt-get;" \
        "PYENV builds CPython on Debian or Ubuntu based images" >&2
    exit 1
fi
echo "buildkit-pyenv: installing the build dependencies of CPython" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    ca-certificates curl xz-utils make gcc libc6-dev dpkg-dev pkg-config \
    libbz2-dev libffi-dev libgdbm-dev libgdbm-compat-dev liblzma-dev libncursesw5-dev \
    libreadline-dev libsqlite3-dev libssl-dev uuid-dev zlib1g-dev >/dev/null
rm -rf /var/lib/apt/lists/*
BUILDKIT_PYENV_EOF
# Copied rather than fetched here: the same tarball from another mirror reuses the build.
COPY --from=pyenv-python-3.12-source /var/lib/buildkit-pyenv/ /var/lib/buildkit-pyenv/
ARG PYENV_PYTHON_CONFIGURE_OPTS=
RUN PYENV_ROOT=/opt/pyenv PYENV_STATE=/var/lib/buildkit-pyenv /bin/sh <<'BUILDKIT_PYENV_EOF'
# Builds the fetched CPython the pyenv way into PYENV_ROOT/versions/<version>, bundles
# the libraries the base image lacks, and checks that the standard modules import.
set -eu
say() { printf 'buildkit-pyenv: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

version=$(cat "$PYENV_STATE/version")
prefix=$PYENV_ROOT/versions/$version
src=$(mktemp -d)
log=$PYENV_STATE/build.log
tar -xJf "$PYENV_STATE/Python.tar.xz" -C "$src" --strip-components=1
rm "$PYENV_STATE/Python.tar.xz"
cd "$src"
say "building CPython $version into $prefix (log: $log)"
# RPATH rather than RUNPATH, so that bundled libraries also find their own dependencies.
# No pip in the interpreter itself: every venv gets its own from ensurepip's wheel.
# shellcheck disable=SC2086
if ! { ./configure --prefix="$prefix" --enable-shared --with-ensurepip=no \
        --enable-loadable-sqlite-extensions --without-static-libpython \
        --build="$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)" \
        LDFLAGS="-Wl,-rpath,$prefix/lib -Wl,--disable-new-dtags" \
        $PYENV_PYTHON_CONFIGURE_OPTS \
    && make -j"$(nproc)" && make install; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "building CPython $version failed (the end of its log is above)"
fi
cd /
# The test suite, and IDLE (no Tk here), are most of the weight nobody runs in an image.
rm -rf "$src" "$prefix"/lib/python*/test "$prefix"/lib/python*/idlelib "$prefix"/bin/idle*
# Debug symbols are most of the size of the binaries; non-ELF files are left alone.
for file in "$prefix"/bin/* "$prefix"/lib/*.so* "$prefix"/lib/python*/lib-dynload/*.so; do
    [ -L "$file" ] || strip --strip-unneeded "$file" 2>/dev/null || true
done
ln -sf python3 "$prefix/bin/python"

: >"$PYENV_STATE/bundled-libs"
for lib in $( { ldd "$prefix"/bin/python3 "$prefix"/lib/libpython*.so.* \
        "$prefix"/lib/python*/lib-dynload/*.so 2>/dev/null || true; } \
        | awk '$2 == "=>" && $3 ~ /^\// { print $1 "=" $3 }' | sort -u); do
    soname=${lib%%=*} path=${lib#*=}
    case "$path" in "$prefix"/*) continue ;; esac
    if ! grep -qxF "$soname" "$PYENV_STATE/base-libs"; then
        cp -L "$path" "$prefix/lib/$soname"
        echo "$soname" >>"$PYENV_STATE/bundled-libs"
    fi
done
[ -s "$PYENV_STATE/bundled-libs" ] && say "bundled: $(tr '\n' ' ' <"$PYENV_STATE/bundled-libs")"

"$prefix/bin/python3" -c 'import ssl, sqlite3, ctypes, lzma, bz2, zlib, readline, uuid, decimal, venv, curses, dbm.gnu' \
    || die "CPython $version lacks a standard module (see above)"
printf '%s\n' "$prefix/bin/python3" >"$PYENV_STATE/python"
say "CPython $version is ready in $prefix"
BUILDKIT_PYENV_EOF

# buildkit-pyenv: venv etl on CPython 3.12, for the PYENV line 12
FROM pyenv-python-3.12 AS pyenv-venv-etl
COPY ["reqs/etl.txt", "/tmp/buildkit-pyenv/requirements.txt"]
RUN --mount=type=cache,id=buildkit-pyenv-pip,target=/root/.cache/pip \
    PYENV_NAME=etl PYENV_VARIABLE=ASTRO_PYENV_etl PYENV_REQUEST=3.12 \
    PYENV_VENV=/home/astro/.venv/etl PYENV_REQUIREMENTS=/tmp/buildkit-pyenv/requirements.txt \
    PYENV_REQUIREMENTS_NAME=reqs/etl.txt PYENV_RECORD=buildkit-pyenv.json \
    PYENV_STATE=/var/lib/buildkit-pyenv /bin/sh <<'BUILDKIT_PYENV_EOF'
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
BUILDKIT_PYENV_EOF

# buildkit-pyenv: the manifest of the environments, for the PYENV line 12
FROM pyenv-python-3.12 AS pyenv-manifest
COPY --from=pyenv-venv-etl /home/astro/.venv/etl/buildkit-pyenv.json /var/lib/buildkit-pyenv/records/001.json
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
COPY --from=pyenv-python-3.12 /opt/pyenv/versions/ /opt/pyenv/versions/
COPY --from=pyenv-venv-etl /home/astro/.venv/etl/ /home/astro/.venv/etl/
ENV ASTRO_PYENV_etl=/home/astro/.venv/etl/bin/python
LABEL buildkit-pyenv.env.etl.requested=3.12 \
      buildkit-pyenv.env.etl.venv=/home/astro/.venv/etl \
      buildkit-pyenv.env.etl.interpreter=/home/astro/.venv/etl/bin/python \
      buildkit-pyenv.env.etl.requirements=reqs/etl.txt \
      buildkit-pyenv.env.etl.requirements-sha256=7cc4959877dbe6b6c63a8eb1bfe3bfb545fa8fe5b28b1b2c13e4a7c1c0d1c4d4
COPY --from=pyenv-manifest /etc/buildkit-pyenv/manifest.json /etc/buildkit-pyenv/manifest.json
COPY --from=0 /etc/os-release /tmp/os-release
RUN --mount=type=bind,from=0,target=/deps true
CMD echo ready

# buildkit-pyenv: venv checks on CPython 3.12, for the PYENV line 21
FROM pyenv-python-3.12 AS pyenv-venv-checks
COPY ["reqs/checks.txt", "/tmp/buildkit-pyenv/requirements.txt"]
RUN --mount=type=cache,id=buildkit-pyenv-pip,target=/root/.cache/pip \
    PYENV_NAME=checks PYENV_VARIABLE=ASTRO_PYENV_checks PYENV_REQUEST=3.12 \
    PYENV_VENV=/home/astro/.venv/checks PYENV_REQUIREMENTS=/tmp/buildkit-pyenv/requirements.txt \
    PYENV_REQUIREMENTS_NAME=reqs/checks.txt PYENV_RECORD=buildkit-pyenv.json \
    PYENV_STATE=/var/lib/buildkit-pyenv /bin/sh <<'BUILDKIT_PYENV_EOF'
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
BUILDKIT_PYENV_EOF

# buildkit-pyenv: the manifest of the environments, for the PYENV line 21
FROM pyenv-python-3.12 AS pyenv-manifest-2
COPY --from=pyenv-venv-etl /home/astro/.venv/etl/buildkit-pyenv.json /var/lib/buildkit-pyenv/records/001.json
COPY --from=pyenv-venv-checks /home/astro/.venv/checks/buildkit-pyenv.json /var/lib/buildkit-pyenv/records/002.json
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
COPY --from=pyenv-venv-checks /home/astro/.venv/checks/ /home/astro/.venv/checks/
ENV ASTRO_PYENV_checks=/home/astro/.venv/checks/bin/python
LABEL buildkit-pyenv.env.checks.requested=3.12 \
      buildkit-pyenv.env.checks.venv=/home/astro/.venv/checks \
      buildkit-pyenv.env.checks.interpreter=/home/astro/.venv/checks/bin/python \
      buildkit-pyenv.env.checks.requirements=reqs/checks.txt \
      buildkit-pyenv.env.checks.requirements-sha256=8004a972c3d5c274d8c808e8d8afe03b9aca8af8eebf3df4298f114d8008b754
COPY --from=pyenv-manifest-2 /etc/buildkit-pyenv/manifest.json /etc/buildkit-pyenv/manifest.json
COPY --from=5 /etc/hostname /tmp/hostname
RUN --mount=from=5,target=/app echo from=1
