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
