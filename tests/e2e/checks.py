"""What the end-to-end tests run inside built images, and how they read the answers."""

from __future__ import annotations

import json

from tests.bed.fixtures import run_in_image

# Runs on an environment's interpreter and reports what a task would rely on.
FACTS = r"""
import getpass, importlib.metadata, json, os, platform, subprocess, sys, tempfile
import ssl, sqlite3, ctypes, lzma, bz2, zlib, readline, uuid, decimal, venv

with tempfile.TemporaryDirectory() as scratch:
    made = subprocess.run([sys.executable, "-m", "venv", "--without-pip", scratch + "/v"])
try:
    import dbm.gnu  # its library is one a bare base lacks: the interpreter brings it
    gdbm = True
except ImportError:
    gdbm = False
packages = {}
for name in sys.argv[1:]:
    try:
        __import__(name)
        packages[name] = importlib.metadata.version(name)
    except ImportError:
        packages[name] = None
print(json.dumps({
    "version": platform.python_version(),
    "executable": sys.executable,
    "prefix": sys.prefix,
    "base_prefix": sys.base_prefix,
    "user": getpass.getuser(),
    "openssl": ssl.OPENSSL_VERSION,
    "https_context": ssl.create_default_context().verify_mode == ssl.CERT_REQUIRED,
    "sqlite": sqlite3.connect(":memory:").execute("select sqlite_version()").fetchone()[0],
    "ctypes": ctypes.c_int(7).value,
    "lzma": lzma.decompress(lzma.compress(b"x")) == b"x",
    "bz2": bz2.decompress(bz2.compress(b"x")) == b"x",
    "zlib": zlib.crc32(b"x"),
    "uuid": len(str(uuid.uuid4())),
    "decimal": str(decimal.Decimal("1.1") + 1),
    "venv_created": made.returncode == 0,
    "gdbm": gdbm,
    "packages": packages,
}))
"""


def env_facts(image: str, variable: str, *packages: str, user: str | None = None) -> dict:
    """Run FACTS on the interpreter in `$variable` inside `image`."""
    output = run_in_image(
        image,
        ['exec "$' + variable + '" -c "$0" "$@"', FACTS, *packages],
        user=user,
    )
    return json.loads(output.strip().splitlines()[-1])


def shell(image: str, script: str) -> str:
    """Run a shell script in `image` as its default user."""
    return run_in_image(image, [script]).strip()


def assert_working_interpreter(facts: dict, version: str, venv: str) -> None:
    """The interpreter is `version`, lives in `venv`, and has every standard module."""
    assert facts["version"] == version
    assert facts["prefix"] == venv
    assert facts["base_prefix"] == f"/opt/pyenv/versions/{version}"
    assert facts["https_context"] is True
    assert facts["openssl"].startswith("OpenSSL 3")
    assert facts["sqlite"].startswith("3.")
    assert facts["ctypes"] == 7
    assert facts["lzma"] and facts["bz2"]
    assert facts["zlib"] == 2363233923
    assert facts["uuid"] == 36
    assert facts["decimal"] == "2.1"
    assert facts["venv_created"] is True


def image_inspect(image: str) -> dict:
    """Everything the engine says about an image (Config, RootFS, Size, ...)."""
    import docker

    client = docker.from_env()
    try:
        return client.images.get(image).attrs
    finally:
        client.close()
