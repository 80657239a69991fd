"""End to end: a cache mount is shared by every build on a builder, and any of them can
write into it. A hostile build on the same engine plants bytecode in the cache mount
`buildkit-pyenv-bytecode` (which venv steps once read compiled modules from), at every
key and path a venv step might look under for six's module, including the very entry
the old content-addressed cache (templates/venv-bytecode.py before it was removed)
would have taken. Then a project builds six from a hash-checked requirements file: the
plant never runs at import, and six's pyc is what py_compile makes from its source."""

from __future__ import annotations

import json
import re
import uuid

from tests.bed.fixtures import ASTRO_IMAGE, PYTHON_SLIM_IMAGES, run_in_image, write_context

SIX = "six==1.16.0 --hash=sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"
VENV = "/home/astro/.venv/env"
SIX_PATH = f"{VENV}/lib/python3.13/site-packages/six.py"
# Where the planted code would leave its mark, as the task user (/tmp is anyone's).
MARKER = "/tmp/buildkit-pyenv-planted"

# Runs in the hostile build, on the official image's CPython 3.13 (the one the image
# provider copies into the project's helper stages): fetches six's wheel, makes code
# that runs six and then the plant, and writes it everywhere a venv step could read it
# (or, with `remove`, removes all it wrote: the builder is shared by other tests).
PLANT = r"""
import glob, hashlib, importlib.util, marshal, os, subprocess, sys, zipfile

action, cache, six_path, marker, token = sys.argv[1:6]
wheels = "/tmp/wheels"
subprocess.run(
    [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
     "--dest", wheels, "six==1.16.0"],
    check=True,
)
with zipfile.ZipFile(glob.glob(wheels + "/six-*.whl")[0]) as wheel:
    source = wheel.read("six.py")
planted = source + f"\nopen({marker!r}, 'w').write({token!r})\nprint({token!r})\n".encode()


def body(optimize):
    return marshal.dumps(compile(planted, six_path, "exec", dont_inherit=True, optimize=optimize))


def framed(*parts):
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "little") + part)
    return digest


def write(path, data):
    if action == "remove":
        if os.path.isfile(path):
            os.unlink(path)
        try:
            os.removedirs(os.path.dirname(path))  # the directories left empty
        except OSError:
            pass
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as out:
        out.write(data)


keys = {}  # key -> the optimization level its code was compiled at
for level in (0, 1, 2):
    # The old cache's key: the interpreter, its -O level, the path, the source.
    prefix = framed(
        importlib.util.MAGIC_NUMBER,
        str(sys.implementation.cache_tag).encode(),
        sys.version.encode(),
        str(level).encode(),
    )
    key = prefix.copy()
    for part in (os.fsencode(six_path), source):
        key.update(len(part).to_bytes(8, "little") + part)
    keys[key.hexdigest()] = level
    print("PLANTED-KEY", key.hexdigest())
# Keys another scheme might use: the source alone, the path and the source.
keys.setdefault(hashlib.sha256(source).hexdigest(), 0)
keys.setdefault(framed(os.fsencode(six_path), source).hexdigest(), 0)
keys.setdefault(importlib.util.source_hash(source).hex(), 0)
for key, level in keys.items():
    code = body(level)
    entry = hashlib.sha256(code).digest() + code  # the old layout: digest, then code
    for layout in ("v1", "v0", "v2", "v3", ""):
        write(os.path.join(cache, layout, key[:2], key[2:]), entry)
        write(os.path.join(cache, layout, key), entry)
# pycs no source would ever invalidate (unchecked hash), wherever a copy might come from.
pyc = importlib.util.MAGIC_NUMBER + (1).to_bytes(4, "little")
pyc += importlib.util.source_hash(source) + body(0)
name = os.path.basename(importlib.util.cache_from_source(six_path))
for directory in (cache, cache + os.path.dirname(six_path), cache + "/site-packages"):
    write(os.path.join(directory, "__pycache__", name), pyc)
    write(os.path.join(directory, name), pyc)
print(action, len(keys), "keys")
"""

# Runs on the project's environment as the task user: imports six (capturing what it
# prints), compiles six's source with py_compile in a fresh process, and computes the
# old cache's key for six with this interpreter, to show the plant was aimed right.
CHECK = r"""
import contextlib, hashlib, importlib.util, io, json, os, subprocess, sys, tempfile

marker, token = sys.argv[1:3]
printed = io.StringIO()
with contextlib.redirect_stdout(printed):
    import six
with open(six.__file__, "rb") as handle:
    source = handle.read()
with open(six.__cached__, "rb") as handle:
    pyc = handle.read()
with tempfile.TemporaryDirectory() as scratch:
    fresh = os.path.join(scratch, "six.pyc")
    subprocess.run(
        [sys.executable, "-c", "import py_compile, sys; "
         "py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)",
         six.__file__, fresh],
        check=True,
    )
    with open(fresh, "rb") as handle:
        expected = handle.read()
key = hashlib.sha256()
for part in (
    importlib.util.MAGIC_NUMBER,
    str(sys.implementation.cache_tag).encode(),
    sys.version.encode(),
    str(sys.flags.optimize).encode(),
):
    key.update(len(part).to_bytes(8, "little") + part)
for part in (os.fsencode(six.__file__), source):
    key.update(len(part).to_bytes(8, "little") + part)
print(json.dumps({
    "file": six.__file__,
    "version": six.__version__,
    "marker": os.path.exists(marker),
    "printed": printed.getvalue(),
    "token_in_pyc": token.encode() in pyc,
    "pyc_is_py_compiles": pyc == expected,
    "old_key": key.hexdigest(),
}))
"""


def hostile_build(buildx, directory, action: str, token: str):
    """Build on the same engine as the project, with the cache mount venv steps once
    read bytecode from: `plant` into it, or `remove` what was planted."""
    context = write_context(
        directory,
        {
            "Dockerfile": f"FROM {PYTHON_SLIM_IMAGES['3.13']}\n"
            "COPY plant.py /plant.py\n"
            "RUN --mount=type=cache,id=buildkit-pyenv-bytecode,target=/c \\\n"
            f"    python /plant.py {action} /c {SIX_PATH} {MARKER} {token}\n",
            "plant.py": PLANT,
        },
    )
    _, result = buildx.build(context)
    return result.ok()


def test_bytecode_planted_in_a_shared_cache_mount_never_reaches_a_venv(buildx, cli_build):
    token = f"PLANTED-{uuid.uuid4().hex}"  # also makes both builds run, not come from cache
    planting = hostile_build(buildx, cli_build.tmp / "hostile", "plant", token)
    try:
        planted_keys = set(re.findall(r"PLANTED-KEY ([0-9a-f]{64})", planting.output))
        assert len(planted_keys) == 3, planting.output[-3000:]
        found = build_and_import_six(cli_build, token)
    finally:
        hostile_build(buildx, cli_build.tmp / "cleanup", "remove", f"{token}-removed")
    assert (found["file"], found["version"]) == (SIX_PATH, "1.16.0")
    # The plant was aimed where the old cache would have looked for six's code ...
    assert found["old_key"] in planted_keys
    # ... and none of it ran or reached the venv: six's pyc is its own source's.
    assert not found["marker"]
    assert token not in found["printed"]
    assert not found["token_in_pyc"]
    assert found["pyc_is_py_compiles"]


def build_and_import_six(cli_build, token: str) -> dict:
    """Build six into a venv from a hash-checked requirements file (the token makes the
    venv step run), then import it as the task user: what CHECK finds."""
    project = write_context(
        cli_build.tmp / "victim",
        {
            "Dockerfile": f"FROM {ASTRO_IMAGE}\nPYENV 3.13 env requirements.txt\n",
            "requirements.txt": f"# {token}\n{SIX}\n",
        },
    )
    tag, result = cli_build.build(project)
    result.ok()
    script = ['exec "$ASTRO_PYENV_env" -c "$0" "$@"', CHECK, MARKER, token]
    output = run_in_image(tag, script, user="astro")  # the task user
    return json.loads(output.strip().splitlines()[-1])
