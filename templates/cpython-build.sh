# Builds the fetched CPython the pyenv way into PYENV_ROOT/versions/<version>, bundles
# the libraries the base image lacks, and checks that the standard modules import.
set -eu
say() { printf 'buildkit-pyenv: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

version=$(cat "$PYENV_STATE/version")
prefix=$PYENV_ROOT/versions/$version
src=$(mktemp -d)
log=$PYENV_STATE/build.log
tar -xJf "$PYENV_STATE/Python.tar.xz" -C "$src" --strip-components=1
rm "$PYENV_STATE/Python.tar.xz"
cd "$src"
say "building CPython $version into $prefix (log: $log)"
# RPATH rather than RUNPATH, so that bundled libraries also find their own dependencies.
# No pip in the interpreter itself: every venv gets its own from ensurepip's wheel.
# shellcheck disable=SC2086
if ! { ./configure --prefix="$prefix" --enable-shared --with-ensurepip=no \
        --enable-loadable-sqlite-extensions --without-static-libpython \
        --build="$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)" \
        LDFLAGS="-Wl,-rpath,$prefix/lib -Wl,--disable-new-dtags" \
        $PYENV_PYTHON_CONFIGURE_OPTS \
    && make -j"$(nproc)" && make install; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "building CPython $version failed (the end of its log is above)"
fi
cd /
# The test suites, and IDLE (no Tk here), are weight nobody runs in an image; so is
# bytecode at three optimisation levels (it is compiled again below, at one).
rm -rf "$src" "$prefix"/lib/python*/idlelib "$prefix"/bin/idle*
find "$prefix/lib" -depth \( -type d \( -name test -o -name tests -o -name idle_test \) \
    -o -type d -name __pycache__ \) -exec rm -rf {} +
# Debug symbols are most of the size of the binaries; non-ELF files are left alone.
for file in "$prefix"/bin/* "$prefix"/lib/*.so* "$prefix"/lib/python*/lib-dynload/*.so; do
    [ -L "$file" ] || strip --strip-unneeded "$file" 2>/dev/null || true
done
ln -sf python3 "$prefix/bin/python"

: >"$PYENV_STATE/bundled-libs"
for lib in $( { ldd "$prefix"/bin/python3 "$prefix"/lib/libpython*.so.* \
        "$prefix"/lib/python*/lib-dynload/*.so 2>/dev/null || true; } \
        | awk '$2 == "=>" && $3 ~ /^\// { print $1 "=" $3 }' | sort -u); do
    soname=${lib%%=*} path=${lib#*=}
    case "$path" in "$prefix"/*) continue ;; esac
    if ! grep -qxF "$soname" "$PYENV_STATE/base-libs"; then
        cp -L "$path" "$prefix/lib/$soname"
        echo "$soname" >>"$PYENV_STATE/bundled-libs"
    fi
done
[ -s "$PYENV_STATE/bundled-libs" ] && say "bundled: $(tr '\n' ' ' <"$PYENV_STATE/bundled-libs")"

"$prefix/bin/python3" -c 'import ssl, sqlite3, ctypes, lzma, bz2, zlib, readline, uuid, decimal, venv, curses, dbm.gnu' \
    || die "CPython $version lacks a standard module (see above)"
# Task users cannot write __pycache__ here; unchecked hashes, since the files never change.
"$prefix/bin/python3" -m compileall -q -j 0 --invalidation-mode unchecked-hash \
    -x '/(test|tests|idle_test)/|lib2to3/tests|bad_coding|badsyntax' \
    "$prefix"/lib/python3.* >/dev/null || die "compiling the standard library failed"
# The C headers serve venv builds (packages that compile) but not the image: they wait
# in the state directory, which venv stages link back and no image copies.
mv "$prefix/include" "$PYENV_STATE/include"
printf '%s\n' "$prefix/bin/python3" >"$PYENV_STATE/python"
printf 'source Python-%s.tar.xz\n' "$version" >"$PYENV_STATE/origin"
say "CPython $version is ready in $prefix"
