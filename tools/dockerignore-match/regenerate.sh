#!/bin/sh
# Rebuild tests/fixtures/dockerignore/{cases,expected}.json: the cases (make_cases.py),
# and how moby/patternmatcher, as vendored by moby/buildkit, reads and applies each.
# Needs a Go toolchain (Debian: golang-1.24-go or newer) and a git copy of moby/buildkit
# (BUILDKIT_GIT_DIR, a bare or normal git directory). Nothing is downloaded: the
# matcher is copied from BuildKit's vendor/ into third_party/, which is never committed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
fixtures="$here/../../tests/fixtures/dockerignore"
# shellcheck source=../buildkit-go-env.sh
. "$here/../buildkit-go-env.sh"
module=github.com/moby/patternmatcher
third_party="$here/third_party"
rm -rf "$third_party"
mkdir -p "$third_party"
git --git-dir="$git_dir" archive "$rev" "vendor/$module" | tar -x -C "$third_party" --strip-components=1
printf 'module %s\n\ngo 1.22\n' "$module" > "$third_party/$module/go.mod"
commit=$(git --git-dir="$git_dir" rev-parse "$rev")

cd "$here"
GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod "$GO" build -o dockerignore-match .
mkdir -p "$fixtures"
python3 make_cases.py > "$fixtures/cases.json"
./dockerignore-match < "$fixtures/cases.json" > "$fixtures/expected.json"
echo "$commit" > "$fixtures/BUILDKIT_COMMIT"
echo "regenerated $(grep -c '"ignore"' "$fixtures/cases.json") cases with moby/buildkit $commit"
