ARG PY=3.11
ARG PYENV_PYTHON_MIRROR=https://mirror.example/python
# buildkit-pyenv: the CPython 3.12 source, for the PYENV line 5
FROM debian:bookworm AS pyenv-python-3.12-source
# hadolint ignore=DL3002,DL3066
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

ARG PYENV_PYTHON_MIRROR=https://mirror.example/python
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

# buildkit-pyenv: CPython 3.12 built from source on debian:bookworm, for the PYENV line 5
FROM debian:bookworm AS pyenv-python-3.12
# hadolint ignore=DL3002,DL3066
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
ARG PYENV_PYTHON_CONFIGURE_OPTS="--enable-optimizations --with-lto"
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
# The test suites, and IDLE (no Tk here), are weight nobody runs in an image; so is
# bytecode at three optimisation levels (it is compiled again below, at one).
rm -rf "$src" "$prefix"/lib/python*/idlelib "$prefix"/bin/idle*
find "$prefix/lib" -depth \( -type d \( -name test -o -name tests -o -name idle_test \) \
    -o -type d -name __pycache__ \) -exec rm -rf {} +
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
# Task users cannot write __pycache__ here; unchecked hashes, since the files never change.
"$prefix/bin/python3" -m compileall -q -j 0 --invalidation-mode unchecked-hash \
    -x '/(test|tests|idle_test)/|lib2to3/tests|bad_coding|badsyntax' \
    "$prefix"/lib/python3.* >/dev/null || die "compiling the standard library failed"
# The C headers serve venv builds (packages that compile) but not the image: they wait
# in the state directory, which venv stages link back and no image copies.
mv "$prefix/include" "$PYENV_STATE/include"
printf '%s\n' "$prefix/bin/python3" >"$PYENV_STATE/python"
printf 'source Python-%s.tar.xz\n' "$version" >"$PYENV_STATE/origin"
say "CPython $version is ready in $prefix"
BUILDKIT_PYENV_EOF

# buildkit-pyenv: the CPython 3.13 source, for the PYENV line 6
FROM debian:bookworm AS pyenv-python-3.13-source
# hadolint ignore=DL3002,DL3066
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

ARG PYENV_PYTHON_MIRROR=https://mirror.example/python
RUN --mount=type=cache,id=buildkit-pyenv-downloads,target=/var/cache/buildkit-pyenv/downloads \
    PYENV_REQUEST=3.13 PYENV_SHA256='' \
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

# buildkit-pyenv: CPython 3.13 built from source on debian:bookworm, for the PYENV line 6
FROM debian:bookworm AS pyenv-python-3.13
# hadolint ignore=DL3002,DL3066
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
COPY --from=pyenv-python-3.13-source /var/lib/buildkit-pyenv/ /var/lib/buildkit-pyenv/
ARG PYENV_PYTHON_CONFIGURE_OPTS="--enable-optimizations --with-lto"
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
# The test suites, and IDLE (no Tk here), are weight nobody runs in an image; so is
# bytecode at three optimisation levels (it is compiled again below, at one).
rm -rf "$src" "$prefix"/lib/python*/idlelib "$prefix"/bin/idle*
find "$prefix/lib" -depth \( -type d \( -name test -o -name tests -o -name idle_test \) \
    -o -type d -name __pycache__ \) -exec rm -rf {} +
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
# Task users cannot write __pycache__ here; unchecked hashes, since the files never change.
"$prefix/bin/python3" -m compileall -q -j 0 --invalidation-mode unchecked-hash \
    -x '/(test|tests|idle_test)/|lib2to3/tests|bad_coding|badsyntax' \
    "$prefix"/lib/python3.* >/dev/null || die "compiling the standard library failed"
# The C headers serve venv builds (packages that compile) but not the image: they wait
# in the state directory, which venv stages link back and no image copies.
mv "$prefix/include" "$PYENV_STATE/include"
printf '%s\n' "$prefix/bin/python3" >"$PYENV_STATE/python"
printf 'source Python-%s.tar.xz\n' "$version" >"$PYENV_STATE/origin"
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
BUILDKIT_PYENV_EOF

# buildkit-pyenv: venv data on CPython 3.12 (uv), for the PYENV line 5
FROM pyenv-python-3.12 AS pyenv-venv-data
# Index settings without secrets may come as build arguments (credentials: secrets below).
ARG PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST PIP_FIND_LINKS UV_INDEX_URL UV_EXTRA_INDEX_URL UV_DEFAULT_INDEX UV_INDEX UV_INSECURE_HOST UV_FIND_LINKS UV_INDEX_STRATEGY
COPY ["data-requirements.txt", "/tmp/buildkit-pyenv/context/data-requirements.txt"]
RUN --mount=type=cache,id=buildkit-pyenv-uv,target=/root/.cache/uv \
    --mount=from=pyenv-uv,source=/uv,target=/tmp/buildkit-pyenv/uv \
    PYENV_NAME=data PYENV_VARIABLE=ASTRO_PYENV_data PYENV_REQUEST=3.12 \
    PYENV_VENV=/home/astro/.venv/data PYENV_REQUIREMENTS=/tmp/buildkit-pyenv/context/data-requirements.txt \
    PYENV_REQUIREMENTS_NAME=data-requirements.txt PYENV_CONTEXT=/tmp/buildkit-pyenv/context PYENV_RECORD=buildkit-pyenv.json \
    PYENV_INSTALLER=uv PYENV_SEED=0 PYENV_UV=/tmp/buildkit-pyenv/uv \
    PYENV_STATE=/var/lib/buildkit-pyenv /bin/sh <<'BUILDKIT_PYENV_EOF'
# Creates the virtual environment PYENV_VENV on the interpreter this helper stage has,
# installs PYENV_REQUIREMENTS into it when set (with uv or pip: PYENV_INSTALLER; from
# PYENV_CONTEXT, where the context files it names are copied), writes its record
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
    apt_packages="${PYENV_APT:-} $([ -z "${PYENV_APT_FILE:-}" ] || sed 's/#.*//' "$PYENV_APT_FILE")"
    apt_packages=$(echo $apt_packages)
    ldconfig -p | awk 'NR > 1 { print $1 }' | sort -u >/tmp/buildkit-pyenv/base-libs
    say "installing $apt_packages (and a C compiler) to build $PYENV_NAME"
    apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        gcc libc6-dev make pkg-config patchelf $apt_packages >/dev/null
fi
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
    elif [ -n "$PYENV_REQUIREMENTS" ]; then
        # A requirements file or a pylock.toml (PEP 751), which uv installs as locked.
        say "installing $PYENV_REQUIREMENTS_NAME into $PYENV_VENV with uv"
        "$PYENV_UV" pip install --python "$PYENV_VENV/bin/python" -r "$PYENV_REQUIREMENTS" \
            || failed
    fi
else
    say "creating $PYENV_VENV on $version"
    "$python" -m venv "$PYENV_VENV"
    if [ -n "$PYENV_REQUIREMENTS" ]; then
        say "installing $PYENV_REQUIREMENTS_NAME into $PYENV_VENV with pip"
        "$PYENV_VENV/bin/python" -m pip install --no-input --disable-pip-version-check \
            --progress-bar=off --no-compile -r "$PYENV_REQUIREMENTS" || failed
    fi
fi
# Bytecode at build time, since task users cannot write __pycache__ into the venv; for
# every module but the test suites packages ship (in test/ or tests/ directories: 1,345
# of pandas' 1,869 files, 29 of its 43 MB of bytecode), which tasks do not import. Both
# installers leave it to this step, so uv and pip venvs hold the same files. A module
# that does not compile is reported, as the installers would, without failing the build.
"$PYENV_VENV/bin/python" -m compileall -q -j 0 -x '/site-packages/(.*/)?tests?/' \
    "$PYENV_VENV/lib" || true

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

PYENV_APT_PACKAGES=$apt_packages "$PYENV_VENV/bin/python" - <<'PYENV_RECORD_EOF'
import hashlib, importlib.metadata, json, os, platform, sys

env = os.environ
requirements = env["PYENV_REQUIREMENTS"]
digest = None
if requirements:
    with open(requirements, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
packages = {d.metadata["Name"]: d.version for d in importlib.metadata.distributions()}
libs = os.path.join(env["PYENV_VENV"], "lib", "buildkit-pyenv-libs")
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
}
with open(os.path.join(env["PYENV_VENV"], env["PYENV_RECORD"]), "w") as out:
    json.dump(record, out, indent=2, sort_keys=True)
    out.write("\n")
PYENV_RECORD_EOF
mv "$PYENV_VENV" "$export_root$PYENV_VENV"
BUILDKIT_PYENV_EOF

# buildkit-pyenv: venv other on CPython 3.13 (uv), for the PYENV line 6
FROM pyenv-python-3.13 AS pyenv-venv-other
# Index settings without secrets may come as build arguments (credentials: secrets below).
ARG PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST PIP_FIND_LINKS UV_INDEX_URL UV_EXTRA_INDEX_URL UV_DEFAULT_INDEX UV_INDEX UV_INSECURE_HOST UV_FIND_LINKS UV_INDEX_STRATEGY
RUN --mount=type=cache,id=buildkit-pyenv-uv,target=/root/.cache/uv \
    --mount=from=pyenv-uv,source=/uv,target=/tmp/buildkit-pyenv/uv \
    PYENV_NAME=other PYENV_VARIABLE=ASTRO_PYENV_other PYENV_REQUEST=3.13 \
    PYENV_VENV=/home/astro/.venv/other PYENV_REQUIREMENTS='' \
    PYENV_REQUIREMENTS_NAME='' PYENV_CONTEXT=/tmp/buildkit-pyenv/context PYENV_RECORD=buildkit-pyenv.json \
    PYENV_INSTALLER=uv PYENV_SEED=0 PYENV_UV=/tmp/buildkit-pyenv/uv \
    PYENV_STATE=/var/lib/buildkit-pyenv /bin/sh <<'BUILDKIT_PYENV_EOF'
# Creates the virtual environment PYENV_VENV on the interpreter this helper stage has,
# installs PYENV_REQUIREMENTS into it when set (with uv or pip: PYENV_INSTALLER; from
# PYENV_CONTEXT, where the context files it names are copied), writes its record
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
    apt_packages="${PYENV_APT:-} $([ -z "${PYENV_APT_FILE:-}" ] || sed 's/#.*//' "$PYENV_APT_FILE")"
    apt_packages=$(echo $apt_packages)
    ldconfig -p | awk 'NR > 1 { print $1 }' | sort -u >/tmp/buildkit-pyenv/base-libs
    say "installing $apt_packages (and a C compiler) to build $PYENV_NAME"
    apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        gcc libc6-dev make pkg-config patchelf $apt_packages >/dev/null
fi
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
    elif [ -n "$PYENV_REQUIREMENTS" ]; then
        # A requirements file or a pylock.toml (PEP 751), which uv installs as locked.
        say "installing $PYENV_REQUIREMENTS_NAME into $PYENV_VENV with uv"
        "$PYENV_UV" pip install --python "$PYENV_VENV/bin/python" -r "$PYENV_REQUIREMENTS" \
            || failed
    fi
else
    say "creating $PYENV_VENV on $version"
    "$python" -m venv "$PYENV_VENV"
    if [ -n "$PYENV_REQUIREMENTS" ]; then
        say "installing $PYENV_REQUIREMENTS_NAME into $PYENV_VENV with pip"
        "$PYENV_VENV/bin/python" -m pip install --no-input --disable-pip-version-check \
            --progress-bar=off --no-compile -r "$PYENV_REQUIREMENTS" || failed
    fi
fi
# Bytecode at build time, since task users cannot write __pycache__ into the venv; for
# every module but the test suites packages ship (in test/ or tests/ directories: 1,345
# of pandas' 1,869 files, 29 of its 43 MB of bytecode), which tasks do not import. Both
# installers leave it to this step, so uv and pip venvs hold the same files. A module
# that does not compile is reported, as the installers would, without failing the build.
"$PYENV_VENV/bin/python" -m compileall -q -j 0 -x '/site-packages/(.*/)?tests?/' \
    "$PYENV_VENV/lib" || true

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

PYENV_APT_PACKAGES=$apt_packages "$PYENV_VENV/bin/python" - <<'PYENV_RECORD_EOF'
import hashlib, importlib.metadata, json, os, platform, sys

env = os.environ
requirements = env["PYENV_REQUIREMENTS"]
digest = None
if requirements:
    with open(requirements, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
packages = {d.metadata["Name"]: d.version for d in importlib.metadata.distributions()}
libs = os.path.join(env["PYENV_VENV"], "lib", "buildkit-pyenv-libs")
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
}
with open(os.path.join(env["PYENV_VENV"], env["PYENV_RECORD"]), "w") as out:
    json.dump(record, out, indent=2, sort_keys=True)
    out.write("\n")
PYENV_RECORD_EOF
mv "$PYENV_VENV" "$export_root$PYENV_VENV"
BUILDKIT_PYENV_EOF

# buildkit-pyenv: the manifest of the environments, for the PYENV line 6
FROM pyenv-python-3.13 AS pyenv-manifest
RUN --mount=type=bind,from=pyenv-venv-data,source=/var/lib/buildkit-pyenv/export/home/astro/.venv/data/buildkit-pyenv.json,target=/var/lib/buildkit-pyenv/records/001.json \
    --mount=type=bind,from=pyenv-venv-other,source=/var/lib/buildkit-pyenv/export/home/astro/.venv/other/buildkit-pyenv.json,target=/var/lib/buildkit-pyenv/records/002.json \
    PYENV_STATE=/var/lib/buildkit-pyenv PYENV_MANIFEST=/etc/buildkit-pyenv/manifest.json /bin/sh <<'BUILDKIT_PYENV_EOF'
# Merges the records of the environments (one JSON file each, in PYENV_STATE/records)
# into the image manifest PYENV_MANIFEST: into that of the stage built on when there is one
# (PYENV_STATE/inherited-manifest.json), else the base image's own. Environments listed
# there stay unless a PYENV line here redefines them.
set -eu
# The interpreter of this stage is not finished yet (that happens beside this build): it
# finds its own libraries through the loader's path, in this build only.
if [ -s "$PYENV_STATE/library-path" ]; then
    LD_LIBRARY_PATH=$(cat "$PYENV_STATE/library-path")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export LD_LIBRARY_PATH
fi
"$(cat "$PYENV_STATE/python")" - <<'PYENV_MANIFEST_EOF'
import glob, json, os

path = os.environ["PYENV_MANIFEST"]
parent = os.path.join(os.environ["PYENV_STATE"], "inherited-manifest.json")
environments = {}
for earlier in (parent, path):
    if not os.path.exists(earlier):
        continue
    with open(earlier) as inherited:
        environments = {e["name"]: e for e in json.load(inherited).get("environments", [])}
    break
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

FROM debian:bookworm AS base
ARG VENV=data
# PYENV ${PY} ${VENV} ${VENV}-requirements.txt
COPY --link --from=pyenv-python-3.12 /opt/pyenv/versions/ /opt/pyenv/versions/
COPY --link --from=pyenv-python-3.13 /opt/pyenv/versions/ /opt/pyenv/versions/
COPY --link --from=pyenv-venv-data /var/lib/buildkit-pyenv/export/ /
ENV ASTRO_PYENV_data=/home/astro/.venv/data/bin/python
LABEL buildkit-pyenv.env.data.requested=3.12 \
      buildkit-pyenv.env.data.venv=/home/astro/.venv/data \
      buildkit-pyenv.env.data.interpreter=/home/astro/.venv/data/bin/python \
      buildkit-pyenv.env.data.requirements=data-requirements.txt \
      buildkit-pyenv.env.data.requirements_sha256=e09f656c130b9c08b2c5ab7187c891295e449ed77febea2a6ceee9cc98ccb0fc
# PYENV ${OTHER_PY:-3.13} other
COPY --link --from=pyenv-venv-other /var/lib/buildkit-pyenv/export/ /
ENV ASTRO_PYENV_other=/home/astro/.venv/other/bin/python
LABEL buildkit-pyenv.env.other.requested=3.13 \
      buildkit-pyenv.env.other.venv=/home/astro/.venv/other \
      buildkit-pyenv.env.other.interpreter=/home/astro/.venv/other/bin/python
COPY --link --from=pyenv-manifest /etc/buildkit-pyenv/manifest.json /etc/buildkit-pyenv/manifest.json
