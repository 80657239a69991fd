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

vendor_parser "$here"

cd "$here"
GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod "$GO" build -o buildkit-expand .
./buildkit-expand "$fixtures/cases.json" > "$fixtures/expected.json"
echo "$commit" > "$fixtures/BUILDKIT_COMMIT"
echo "regenerated $fixtures/expected.json with moby/buildkit $commit"
