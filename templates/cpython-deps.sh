# Installs what building CPython needs, after noting the libraries the base image
# already has: the interpreter bundles any other library it links, so that it runs in
# the final image, where these -dev packages are not.
set -eu
mkdir -p "$PYENV_STATE"
ldconfig -p | awk 'NR > 1 { print $1 }' | sort -u >"$PYENV_STATE/base-libs"
if ! command -v apt-get >/dev/null 2>&1; then
    echo "buildkit-pyenv: error: the base image has no apt-get;" \
        "PYENV builds CPython on Debian or Ubuntu based images" >&2
    exit 1
fi
echo "buildkit-pyenv: installing the build dependencies of CPython" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    ca-certificates curl xz-utils make gcc libc6-dev dpkg-dev pkg-config \
    libbz2-dev libffi-dev libgdbm-dev libgdbm-compat-dev liblzma-dev libncursesw5-dev \
    libreadline-dev libsqlite3-dev libssl-dev uuid-dev zlib1g-dev >/dev/null
rm -rf /var/lib/apt/lists/*
