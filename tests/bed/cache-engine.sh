#!/usr/bin/env bash
# The cache engine: a second Docker engine, for tests and benchmarks that export BuildKit's
# cache (`--cache-to type=local,mode=max`). That needs the containerd image store; the
# main engine keeps the classic one, whose `docker` build driver refuses cache export.
#
# It runs beside the main engine, on the main engine's containerd (in a namespace of its
# own), with its own data root, run directory, socket and bridge. It sets up no iptables
# rules: a second engine that did would remove the main engine's chains. Its containers
# therefore have no way out; builds use --network host.
#
#   cache-engine.sh start    start it unless it is up; load the bed's images it lacks
#   cache-engine.sh status   exit status 0 when it is up
#   cache-engine.sh host     print its DOCKER_HOST value
#   cache-engine.sh stop     stop the dockerd started here; remove its bridge
#
# Only `host` prints on standard output; the rest logs on standard error. Needs root and
# the bed (tests/bed/setup.sh). tests/bed/cache_engine.py calls it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# BED_DIR, the image names, mirror_versions and python_slim_tags.
. "$here/names.sh"
RUN_DIR=/run/buildkit-pyenv-cache
SOCKET=$RUN_DIR/docker.sock
PIDFILE=$RUN_DIR/dockerd.pid
DATA_ROOT=$BED_DIR/cache-engine
LOG=$BED_DIR/cache-engine.log
NAMESPACE=buildkit-pyenv-cache
BRIDGE=bkpyenv-cache0
# Private, and outside the address pools Docker picks networks from.
BRIDGE_ADDRESS=10.213.0.1/24

log() { printf '[cache-engine] %s\n' "$*" >&2; }
cache_docker() { docker -H "unix://$SOCKET" "$@"; }
is_up() { cache_docker info >/dev/null 2>&1; }

dockerd_pid() {
    # The pid in the pidfile, if that process is still a dockerd.
    local pid
    pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] && echo "$pid"
}

containerd_socket() {
    # The containerd the main engine uses: the system's if there is one (dockerd prefers
    # it), else the one dockerd started itself.
    local socket
    for socket in /run/containerd/containerd.sock /var/run/docker/containerd/containerd.sock; do
        if [ -S "$socket" ]; then echo "$socket"; return; fi
    done
    return 1
}

make_bridge() {
    ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge
    ip addr replace "$BRIDGE_ADDRESS" dev "$BRIDGE"
    ip link set "$BRIDGE" up
}

start_dockerd() {
    local containerd pid
    docker info >/dev/null 2>&1 \
        || { log "the main engine is not running; run tests/bed/setup.sh"; exit 1; }
    containerd=$(containerd_socket) \
        || { log "found no containerd socket of the main engine"; exit 1; }
    make_bridge
    mkdir -p "$RUN_DIR" "$DATA_ROOT"
    printf '{"features": {"containerd-snapshotter": true}}\n' >"$RUN_DIR/daemon.json"
    if pid=$(dockerd_pid); then
        log "waiting for dockerd $pid (log: $LOG)"
    else
        log "starting dockerd on unix://$SOCKET with containerd $containerd (log: $LOG)"
        setsid dockerd --config-file "$RUN_DIR/daemon.json" \
            --host "unix://$SOCKET" --pidfile "$PIDFILE" \
            --data-root "$DATA_ROOT" --exec-root "$RUN_DIR/exec" \
            --containerd "$containerd" --containerd-namespace "$NAMESPACE" \
            --containerd-plugins-namespace "$NAMESPACE-plugins" \
            --bridge "$BRIDGE" --iptables=false --ip-masq=false \
            </dev/null >>"$LOG" 2>&1 &
    fi
    for _ in $(seq 1 150); do
        is_up && return
        sleep 0.2
    done
    tail -n 20 "$LOG" >&2
    log "dockerd did not come up; see $LOG"; exit 1
}

load_images() {
    # The bed's images, from the main engine, when this one lacks them.
    local image wanted=("$BARE_IMAGE" "$ASTRO_IMAGE" "$AIRFLOW_IMAGE" "$UV_IMAGE") missing=()
    for image in $(for version in $(mirror_versions); do python_slim_tags "$version"; done); do
        wanted+=("$image")
    done
    for image in "${wanted[@]}"; do
        cache_docker image inspect "$image" >/dev/null 2>&1 && continue
        docker image inspect "$image" >/dev/null 2>&1 \
            || { log "the main engine lacks $image; run tests/bed/setup.sh"; exit 1; }
        missing+=("$image")
    done
    [ ${#missing[@]} -eq 0 ] && return
    log "loading ${missing[*]}"
    docker save "${missing[@]}" | cache_docker load -q >/dev/null
}

stop_dockerd() {
    local pid
    if pid=$(dockerd_pid); then
        log "stopping dockerd $pid"
        kill "$pid"
        for _ in $(seq 1 150); do
            [ -d "/proc/$pid" ] || break
            sleep 0.2
        done
        [ ! -d "/proc/$pid" ] || { log "dockerd $pid did not stop; see $LOG"; exit 1; }
    fi
    if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link del "$BRIDGE"; fi
}

case "${1:-}" in
    start) is_up || start_dockerd; load_images ;;
    status) is_up ;;
    host) echo "unix://$SOCKET" ;;
    stop) stop_dockerd ;;
    *) echo "usage: $0 start|status|host|stop" >&2; exit 2 ;;
esac
