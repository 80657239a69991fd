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
# Where fixtures live between runs; tests read the same variable (tests/bed/paths.py).
BED_DIR=${BUILDKIT_PYENV_BED_DIR:-/var/cache/buildkit-pyenv-bed}
BARE_IMAGE=buildkit-pyenv-test/bare:bookworm
ASTRO_IMAGE=buildkit-pyenv-test/astro:bookworm
AIRFLOW_IMAGE=buildkit-pyenv-test/airflow:bookworm
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
    [ ${#missing[@]} -eq 0 ] && return
    log "installing ${missing[*]}"
    apt-get update -qq
    # docker.io 26 (BuildKit 0.13) comes from trixie; bookworm's 20.10 lacks COPY --link.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t trixie \
        docker.io docker-cli docker-buildx >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap xz-utils >/dev/null
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

mkdir -p "$BED_DIR"
add_apt_sources
install_packages
start_engine
make_bare_image
make_astro_image
make_airflow_image
fetch_cpython_sources
log "ready: engine up, images $BARE_IMAGE, $ASTRO_IMAGE, $AIRFLOW_IMAGE; sources in $BED_DIR/mirror"
