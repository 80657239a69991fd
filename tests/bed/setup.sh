#!/usr/bin/env bash
# Sets up the test bed on a Debian machine: a Docker engine with BuildKit, the base
# images the tests build on, and pristine CPython sources in python.org's layout.
# Idempotent and quick when everything is already there. Needs root.
#
# Every registry address comes from this machine's own apt configuration; none is
# written here.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# BED_DIR, the image names, mirror_versions and python_slim_tags.
. "$here/names.sh"
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

log() { printf '[bed] %s\n' "$*" >&2; }

debian_uri() {
    # The first archive (not security) URI of the machine's deb822 sources.
    awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources
}

add_apt_sources() {
    local src=/etc/apt/sources.list.d/buildkit-pyenv-bed.sources uri
    uri=$(debian_uri)
    [ -n "$uri" ] || { log "no Debian URI found in /etc/apt/sources.list.d/debian.sources"; exit 1; }
    local want
    want=$(cat <<SRC
Types: deb deb-src
URIs: $uri
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: $uri
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
)
    if [ "$(cat "$src" 2>/dev/null)" != "$want" ]; then
        log "adding trixie (low pin) and source entries from $uri"
        printf '%s\n' "$want" > "$src"
        printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' \
            > /etc/apt/preferences.d/buildkit-pyenv-bed
        apt-get update -qq
    fi
}

install_packages() {
    local missing=()
    command -v dockerd >/dev/null || missing+=(docker.io)
    [ -x /usr/libexec/docker/cli-plugins/docker-buildx ] || missing+=(docker-buildx)
    command -v debootstrap >/dev/null || missing+=(debootstrap)
    command -v ip >/dev/null || missing+=(iproute2)  # the cache engine's bridge
    command -v docker-registry >/dev/null || missing+=(docker-registry)  # tests/bed/registry.py
    [ ${#missing[@]} -eq 0 ] && return
    log "installing ${missing[*]}"
    apt-get update -qq
    # docker.io 26 (BuildKit 0.13) comes from trixie; bookworm's 20.10 lacks COPY --link.
    # Only the named packages and what they depend on: trixie's Recommends would move the
    # host's python3 and other tools to trixie's.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t trixie \
        docker.io docker-cli docker-buildx >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap xz-utils iproute2 \
        docker-registry >/dev/null
}

start_engine() {
    if docker info >/dev/null 2>&1; then return; fi
    log "starting dockerd (log: $BED_DIR/dockerd.log)"
    mkdir -p "$BED_DIR"
    nohup dockerd >"$BED_DIR/dockerd.log" 2>&1 &
    echo $! >"$BED_DIR/dockerd.pid"
    for _ in $(seq 1 60); do
        docker info >/dev/null 2>&1 && return
        sleep 1
    done
    log "dockerd did not come up; see $BED_DIR/dockerd.log"; exit 1
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

make_bare_image() {
    have_image "$BARE_IMAGE" && return
    local root="$BED_DIR/rootfs-bookworm"
    if [ ! -x "$root/bin/sh" ]; then
        log "debootstrap bookworm into $root (about a minute)"
        rm -rf "$root"
        debootstrap --variant=minbase bookworm "$root" "$(debian_uri)" >"$BED_DIR/debootstrap.log" 2>&1 \
            || { log "debootstrap failed; see $BED_DIR/debootstrap.log"; exit 1; }
        rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    fi
    # Containers reach PyPI through a proxy only this machine's CA bundle trusts; the
    # copy under /usr/local/share survives apt's ca-certificates rewriting the system one.
    install -D -m 0644 "$CA_BUNDLE" "$root/etc/ssl/certs/ca-certificates.crt"
    install -D -m 0644 "$CA_BUNDLE" "$root/usr/local/share/bed-ca/ca-bundle.crt"
    log "importing $BARE_IMAGE"
    tar -C "$root" -c . | docker import \
        --change 'ENV PIP_CERT=/usr/local/share/bed-ca/ca-bundle.crt' \
        --change 'ENV SSL_CERT_FILE=/usr/local/share/bed-ca/ca-bundle.crt' \
        --change 'ENV UV_NATIVE_TLS=1' \
        --change 'CMD ["/bin/bash"]' \
        - "$BARE_IMAGE" >/dev/null
}

make_astro_image() {
    have_image "$ASTRO_IMAGE" && return
    log "building $ASTRO_IMAGE"
    docker buildx build -q --build-arg "BASE=$BARE_IMAGE" -t "$ASTRO_IMAGE" \
        -f "$repo/images/testbed/astro.Dockerfile" "$repo/images/testbed" >/dev/null
}

make_airflow_image() {
    have_image "$AIRFLOW_IMAGE" && return
    log "building $AIRFLOW_IMAGE (Apache Airflow 3 and 2 from PyPI, about two minutes)"
    docker buildx build -q --build-arg "BASE=$ASTRO_IMAGE" -t "$AIRFLOW_IMAGE" \
        -f "$repo/images/testbed/airflow.Dockerfile" "$repo/images/testbed" >/dev/null
}

fetch_cpython_sources() {
    # Debian's source packages carry the pristine python.org tarballs (*.orig.tar.*);
    # bookworm's 3.11 comes gzipped and is recompressed to the .tar.xz python.org serves.
    local mirror="$BED_DIR/mirror" pkg orig version
    mkdir -p "$mirror" "$BED_DIR/debsrc"
    for pkg in python3.13 python3.11; do
        if ls "$mirror"/*/"Python-${pkg#python}."*.tar.xz >/dev/null 2>&1; then continue; fi
        log "downloading the $pkg source package"
        (cd "$BED_DIR/debsrc" && apt-get source -qq --download-only "$pkg" >/dev/null 2>&1)
        orig=$(ls "$BED_DIR/debsrc/${pkg}_"*.orig.tar.* | grep -v '\.asc$' | sort -V | tail -n 1)
        version=$(basename "$orig"); version=${version#*_}; version=${version%.orig.tar.*}
        mkdir -p "$mirror/$version"
        case "$orig" in
            *.xz) cp "$orig" "$mirror/$version/Python-$version.tar.xz.part" ;;
            *.gz) gzip -dc "$orig" | xz -T0 -3 >"$mirror/$version/Python-$version.tar.xz.part" ;;
        esac
        mv "$mirror/$version/Python-$version.tar.xz.part" "$mirror/$version/Python-$version.tar.xz"
    done
}

serve_mirror() {
    # Serves the mirror on a free port of 127.0.0.1 until this script exits; sets mirror_url.
    local log="$BED_DIR/mirror-server.log" port=
    python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$BED_DIR/mirror" >"$log" 2>&1 &
    mirror_pid=$!
    trap 'kill "$mirror_pid" 2>/dev/null || true' EXIT
    for _ in $(seq 1 50); do
        port=$(sed -n 's/^Serving HTTP on .* port \([0-9]*\) .*/\1/p' "$log")
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { log "the mirror server did not start; see $log"; exit 1; }
    mirror_url="http://127.0.0.1:$port"
}

build_python_image() {
    # Builds the stand-in of python:<version>-slim-bookworm; its log goes to $BED_DIR.
    local version=$1 tarball sha256 tag args=()
    tarball="$BED_DIR/mirror/$version/Python-$version.tar.xz"
    sha256=$(sha256sum "$tarball" | cut -d' ' -f1)
    for tag in $(python_slim_tags "$version"); do args+=(-t "$tag"); done
    docker buildx build --progress plain --network host \
        --build-arg "BASE=$BARE_IMAGE" --build-arg "PYTHON_MINOR=${version%.*}" \
        --build-arg "PYTHON_VERSION=$version" --build-arg "PYTHON_SHA256=$sha256" \
        --build-arg "PYTHON_MIRROR=$mirror_url" "${args[@]}" \
        -f "$repo/images/testbed/python-slim.Dockerfile" "$repo/images/testbed" \
        >"$BED_DIR/python-$version-slim.log" 2>&1
}

make_standin_images() {
    # Stand-ins of the official python:<version>-slim-bookworm images (CPython compiled
    # from the mirror's tarballs, a few minutes each) and of the uv image; the builds run
    # side by side, as configure, apt and the links leave cores idle.
    local version tags exact tag pids=() names=() built=() i
    for version in $(mirror_versions); do
        tags=$(python_slim_tags "$version"); exact=${tags%% *}
        if have_image "$exact"; then
            for tag in $tags; do have_image "$tag" || docker tag "$exact" "$tag"; done
            continue
        fi
        [ -n "${mirror_url:-}" ] || serve_mirror
        log "building $exact from the mirror's tarball (log: $BED_DIR/python-$version-slim.log)"
        build_python_image "$version" &
        pids+=($!); names+=("python-$version-slim"); built+=("$version")
    done
    if ! have_image "$UV_IMAGE"; then
        log "building $UV_IMAGE from uv's wheel on PyPI"
        docker buildx build --progress plain --build-arg "BASE=$ASTRO_IMAGE" \
            --build-arg "UV_VERSION=$UV_VERSION" -t "$UV_IMAGE" \
            -f "$repo/images/testbed/uv.Dockerfile" "$repo/images/testbed" \
            >"$BED_DIR/uv.log" 2>&1 &
        pids+=($!); names+=(uv)
    fi
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" && continue
        tail -n 30 "$BED_DIR/${names[$i]}.log" >&2
        log "building ${names[$i]} failed; see $BED_DIR/${names[$i]}.log"; exit 1
    done
    if [ -n "${mirror_url:-}" ]; then
        kill "$mirror_pid"; wait "$mirror_pid" 2>/dev/null || true
        trap - EXIT; mirror_url=
    fi
    for version in "${built[@]}"; do
        tags=$(python_slim_tags "$version"); tag=$(echo "$tags" | cut -d' ' -f2)
        docker run --rm "$tag" python3 -c 'import ssl, sqlite3, ctypes, venv, ensurepip' \
            || { log "$tag does not work"; exit 1; }
    done
}

mkdir -p "$BED_DIR"
add_apt_sources
install_packages
start_engine
make_bare_image
make_astro_image
make_airflow_image
fetch_cpython_sources
make_standin_images
standins=$(for version in $(mirror_versions); do python_slim_tags "$version"; done | tr '\n' ' ')
log "ready: engine up, images $BARE_IMAGE, $ASTRO_IMAGE, $AIRFLOW_IMAGE," \
    "stand-ins ${standins}and $UV_IMAGE; sources in $BED_DIR/mirror"
