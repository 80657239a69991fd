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

# vendor_parser DIR: BuildKit's Dockerfile parser, shell lexer and the modules they import
# (from BuildKit's vendor/) copied into DIR/third_party, which is never committed; sets
# `commit` to the revision they came from.
vendor_parser() {
    # The parser imports util/stack, which brings these modules.
    modules="github.com/pkg/errors github.com/containerd/typeurl/v2 google.golang.org/protobuf
    github.com/planetscale/vtprotobuf"
    third_party="$1/third_party"
    rm -rf "$third_party"
    mkdir -p "$third_party/github.com/moby/buildkit"
    git --git-dir="$git_dir" archive "$rev" frontend/dockerfile/parser \
        frontend/dockerfile/command frontend/dockerfile/shell util/stack \
        | tar -x -C "$third_party/github.com/moby/buildkit" --exclude='*_test.go' \
            --exclude='testfile*'
    printf 'module github.com/moby/buildkit\n\ngo 1.22\n' \
        > "$third_party/github.com/moby/buildkit/go.mod"
    for module in $modules; do
        git --git-dir="$git_dir" archive "$rev" "vendor/$module" \
            | tar -x -C "$third_party" --strip-components=1
        printf 'module %s\n\ngo 1.22\n' "$module" > "$third_party/$module/go.mod"
    done
    commit=$(git --git-dir="$git_dir" rev-parse "$rev")
}
