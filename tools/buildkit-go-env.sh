# Sourced by the fixture generators (tools/*/regenerate.sh): the moby/buildkit git
# directory and revision they read (BUILDKIT_GIT_DIR, BUILDKIT_REV), and a Go toolchain
# (GO, else the newest of Debian's golang-1.24-go or later, else go on PATH).
git_dir=${BUILDKIT_GIT_DIR:-/work/.mirror/moby+buildkit/repo}
rev=${BUILDKIT_REV:-HEAD}
if [ -z "${GO:-}" ]; then
    GO=go
    for candidate in /usr/lib/go-1.2[4-9]/bin/go; do
        [ -x "$candidate" ] && GO=$candidate
    done
fi
