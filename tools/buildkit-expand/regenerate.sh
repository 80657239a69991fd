#!/bin/sh
# Rebuild tests/fixtures/buildkit-expand/expected.json from cases.json with BuildKit's
# own shell lexer and parser. Needs a Go toolchain (Debian: golang-1.24-go or newer) and a
# git copy of moby/buildkit (BUILDKIT_GIT_DIR, a bare or normal git directory).
# Nothing is downloaded: BuildKit's parser and the modules it imports (from
# BuildKit's vendor/) are copied into third_party/, which is never committed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
fixtures="$here/../../tests/fixtures/buildkit-expand"
# shellcheck source=../buildkit-go-env.sh
. "$here/../buildkit-go-env.sh"

# BuildKit's parser imports util/stack, which brings these modules (from vendor/).
modules="github.com/pkg/errors github.com/containerd/typeurl/v2 google.golang.org/protobuf
    github.com/planetscale/vtprotobuf"
third_party="$here/third_party"
rm -rf "$third_party"
mkdir -p "$third_party/github.com/moby/buildkit"
git --git-dir="$git_dir" archive "$rev" frontend/dockerfile/parser frontend/dockerfile/command \
    frontend/dockerfile/shell util/stack \
    | tar -x -C "$third_party/github.com/moby/buildkit" --exclude='*_test.go' --exclude='testfile*'
printf 'module github.com/moby/buildkit\n\ngo 1.22\n' > "$third_party/github.com/moby/buildkit/go.mod"
for module in $modules; do
    git --git-dir="$git_dir" archive "$rev" "vendor/$module" \
        | tar -x -C "$third_party" --strip-components=1
    printf 'module %s\n\ngo 1.22\n' "$module" > "$third_party/$module/go.mod"
done
commit=$(git --git-dir="$git_dir" rev-parse "$rev")

cd "$here"
GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod "$GO" build -o buildkit-expand .
./buildkit-expand "$fixtures/cases.json" > "$fixtures/expected.json"
echo "$commit" > "$fixtures/BUILDKIT_COMMIT"
echo "regenerated $fixtures/expected.json with moby/buildkit $commit"
