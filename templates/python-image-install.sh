# Copies the CPython of an official python image (mounted at PYENV_DIST, its files under
# /usr/local) into PYENV_ROOT/versions/<version>, once this base's C library is known to
# run it; bundles the libraries the base lacks and checks that the standard modules import.
# Venv builds use it at once, finding lib/ through PYENV_STATE/library-path; the image's
# copy is finished beside them (python-image-finish.sh).
set -eu
say() { printf 'buildkit-pyenv: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

dist=$PYENV_DIST
mkdir -p "$PYENV_STATE"
header=$(ls "$dist"/usr/local/include/python3.*/patchlevel.h 2>/dev/null | head -n 1)
[ -n "$header" ] || die "$PYENV_IMAGE has no CPython under /usr/local (is it an official python image?)"
version=$(sed -n 's/^#define PY_VERSION[[:space:]]*"\([^"+]*\).*"/\1/p' "$header")
minor=${version%.*}
case "$version" in 3.*.*) ;; *) die "cannot read the CPython version of $PYENV_IMAGE" ;; esac
case "$version" in "$PYENV_REQUEST" | "$PYENV_REQUEST".*) ;;
    *) die "$PYENV_IMAGE holds CPython $version, not $PYENV_REQUEST" ;;
esac

# A binary runs only on a C library at least as new as the one it was built against.
need=$(dpkg-query --admindir="$dist/var/lib/dpkg" -W -f '${Version}' libc6 2>/dev/null | sed 's/-.*//') || need=
have=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{ print $2 }') || have=
if [ -n "$need" ] && [ -n "$have" ] && command -v dpkg >/dev/null \
    && ! dpkg --compare-versions "$have" ge "$need"; then
    die "this base image has glibc $have, older than the glibc $need that CPython in" \
        "$PYENV_IMAGE needs; set PYENV_DEBIAN_RELEASE to the base's own Debian release," \
        "or build from source with --provider=source"
fi

prefix=$PYENV_ROOT/versions/$version
say "copying CPython $version out of $PYENV_IMAGE into $prefix"
mkdir -p "$prefix/bin" "$prefix/lib" "$prefix/include"
cp -a "$dist/usr/local/bin/python$minor" "$prefix/bin/"
cp -a "$dist/usr/local/lib/python$minor" "$dist"/usr/local/lib/libpython3*.so* "$prefix/lib/"
cp -a "$dist/usr/local/include/python$minor" "$prefix/include/"
ln -s "python$minor" "$prefix/bin/python3"
ln -s python3 "$prefix/bin/python"
# The image's own pip and setuptools stay behind: each venv gets what it asks for. The
# slim images keep no Tk (their _tkinter cannot load), so tkinter and IDLE go too.
find "$prefix/lib/python$minor/site-packages" -mindepth 1 -maxdepth 1 ! -name README.txt \
    -exec rm -rf {} +
rm -rf "$prefix/lib/python$minor/idlelib" "$prefix/lib/python$minor/tkinter" \
    "$prefix/lib/python$minor/turtledemo" "$prefix"/lib/python"$minor"/lib-dynload/_tkinter*
# Extension modules that only CPython's own test suite imports (its tests are gone).
rm -f "$prefix"/lib/python"$minor"/lib-dynload/_test*.so \
    "$prefix"/lib/python"$minor"/lib-dynload/_ctypes_test*.so \
    "$prefix"/lib/python"$minor"/lib-dynload/_xxtestfuzz*.so \
    "$prefix"/lib/python"$minor"/lib-dynload/xx*.so

# Libraries the base lacks come from the same image, next to the interpreter; then the
# libraries just bundled are scanned in turn, so that their own dependencies come too.
missing() {
    LD_LIBRARY_PATH=$prefix/lib ldd "$@" 2>/dev/null \
        | awk '$2 == "=>" && $3 == "not" { print $1 }' | sort -u
}
: >"$PYENV_STATE/bundled-libs"
sonames=$(missing "$prefix/bin/python$minor" "$prefix"/lib/*.so* "$prefix"/lib/python"$minor"/lib-dynload/*.so)
for _ in 1 2 3 4 5 6; do
    [ -n "$sonames" ] || break
    bundled=
    for soname in $sonames; do
        [ -e "$prefix/lib/$soname" ] && continue
        found=
        for dir in "$dist"/usr/local/lib "$dist"/usr/lib/*-linux-gnu* "$dist"/lib/*-linux-gnu*; do
            if [ -e "$dir/$soname" ]; then found=$dir/$soname; break; fi
        done
        [ -n "$found" ] || die "$PYENV_IMAGE lacks $soname, which CPython $version needs"
        cp -L "$found" "$prefix/lib/$soname"
        echo "$soname" >>"$PYENV_STATE/bundled-libs"
        bundled="$bundled $prefix/lib/$soname"
    done
    # shellcheck disable=SC2086 # one path a word: the paths have no spaces
    sonames=$([ -z "$bundled" ] || missing $bundled)
done
[ -z "$sonames" ] || die "cannot bundle what CPython $version needs: $(echo $sonames)"
printf '%s\n' "$prefix/lib" >"$PYENV_STATE/library-path"
[ -s "$PYENV_STATE/bundled-libs" ] && say "bundling $(tr '\n' ' ' <"$PYENV_STATE/bundled-libs")"
# The C headers serve venv builds (packages that compile) but not the image: they wait
# in the state directory, which venv stages link back and no image copies.
mv "$prefix/include" "$PYENV_STATE/include"
printf '%s\n' "$version" >"$PYENV_STATE/version"
printf 'image %s\n' "$PYENV_IMAGE" >"$PYENV_STATE/origin"
printf '%s\n' "$prefix/bin/python3" >"$PYENV_STATE/python"
# Bytecode once, at one optimisation level: task users cannot write __pycache__ here.
# Here rather than in the finishing stage: every Python the venv builds run (uv's
# interpreter query, the records, the venvs' own bytecode step) then starts from it too,
# which saves more CPU than the compile takes (cold build of the benchmark project:
# about 1 s faster on 2 CPUs).
# Unchecked hashes: the files never change in the image, whatever their timestamps.
# Not for pydoc_data, the text of help() (half a megabyte of bytecode no task imports).
LD_LIBRARY_PATH=$prefix/lib "$prefix/bin/python3" -m compileall -q -j 0 --invalidation-mode unchecked-hash \
    -x '/(test|tests|idle_test|pydoc_data)/' "$prefix/lib/python$minor" >/dev/null \
    || die "compiling the standard library of CPython $version failed"
say "CPython $version is ready in $prefix for venv builds"
