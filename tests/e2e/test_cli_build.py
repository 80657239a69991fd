"""End to end through the CLI: render, build with the real engine, run the image."""

from __future__ import annotations

import json
import re
import subprocess
import uuid

import pytest

from tests.bed.fixtures import ASTRO_IMAGE, BARE_IMAGE, image_config, run_in_image, write_context
from tests.e2e.checks import assert_working_interpreter, env_facts, image_inspect, shell
from tests.e2e.wheels import make_wheel

PROBE_WHEEL = "probe-1.0-py3-none-any.whl"
PROBE_TESTS = {"probe_pkg/tests/__init__.py": "", "probe_pkg/tests/test_probe.py": "X = 1\n"}


@pytest.fixture(scope="module")
def astro_image(cli_build):
    """Two venvs sharing one 3.13 copied out of the official image, on the astro base (its
    own Python is 3.11, USER astro): one installed with uv (the default), one with pip."""
    context = write_context(
        cli_build.tmp / "astro",
        {
            "Dockerfile": f"FROM {ASTRO_IMAGE}\n"
            "PYENV 3.13 tools requirements.txt\n"
            "PYENV --installer=pip 3.13 reports reports.txt\n",
            "requirements.txt": f"six==1.16.0\n{PROBE_WHEEL}\n",
            "reports.txt": f"tabulate==0.9.0\n{PROBE_WHEEL}\n",
        },
    )
    # A package with a test suite inside it, as pandas and numpy have.
    make_wheel(context, "probe", "1.0", "", {"probe_pkg/__init__.py": "", **PROBE_TESTS})
    tag, result = cli_build.build(context)
    result.ok()
    return tag, result


@pytest.mark.parametrize(("venv", "module"), [("tools", "six"), ("reports", "tabulate")])
def test_venv_bytecode_is_built_except_for_test_suites(astro_image, venv, module):
    """Task users cannot write __pycache__ into a venv: its modules come compiled (uv and
    pip alike), but not the test suites packages ship, which tasks do not import."""
    tag, _ = astro_image
    site = f"/home/astro/.venv/{venv}/lib/python3.13/site-packages"
    compiled = shell(tag, f"cd {site} && find . -name '*.pyc' | sort").split()
    assert any(path.startswith(f"./__pycache__/{module}.") for path in compiled) or any(
        path.startswith(f"./{module}/__pycache__/") for path in compiled
    )
    assert any(path.startswith("./probe_pkg/__pycache__/__init__.") for path in compiled)
    assert not [path for path in compiled if "/tests/" in path or "/test/" in path]
    assert shell(tag, f"ls {site}/probe_pkg/tests").split() == ["__init__.py", "test_probe.py"]


# Runs on a venv's interpreter: every pyc of the venv is the one its source calls for
# (py_compile's timestamp header, the code of the source at its path), as JSON.
PYCS = r"""
import importlib.util, json, marshal, os, sys

checked, wrong = 0, []
for root, _, files in os.walk(sys.prefix + "/lib"):
    for name in files:
        if not name.endswith(".pyc"):
            continue
        pyc = os.path.join(root, name)
        source = importlib.util.source_from_cache(pyc)
        with open(pyc, "rb") as handle:
            data = handle.read()
        with open(source, "rb") as handle:
            code = compile(handle.read(), source, "exec", dont_inherit=True)
        stat = os.stat(source)
        header = importlib.util.MAGIC_NUMBER + bytes(4) + b"".join(
            (int(n) & 0xFFFFFFFF).to_bytes(4, "little") for n in (stat.st_mtime, stat.st_size)
        )
        cached = marshal.loads(data[16:])
        if data[:16] != header or cached != code or cached.co_filename != source:
            wrong.append(pyc)
        checked += 1
print(json.dumps({"checked": checked, "wrong": wrong}))
"""


def test_the_venv_bytecode_is_compiled_from_the_venvs_own_sources(cli_build):
    """No bytecode outlives a build (a cache mount is anyone's on the builder: README,
    Cache mounts and trust): each venv step, uv and pip, compiles its modules itself,
    and every pyc in the image is the one its source calls for."""
    files = {
        "Dockerfile": f"FROM {ASTRO_IMAGE}\n"
        "PYENV 3.13 compiled uv.txt\n"
        "PYENV --installer=pip 3.13 compiledpip pip.txt\n",
        "uv.txt": f"six==1.16.0\ntabulate==0.9.0\n# {uuid.uuid4()}\n",
        "pip.txt": f"six==1.16.0\ntabulate==0.9.0\n# {uuid.uuid4()}\n",
    }
    context = write_context(cli_build.tmp / "bytecode", files)
    tag, result = cli_build.build(context)
    result.ok()
    summaries = re.findall(
        r"buildkit-pyenv: bytecode of (\d+) modules: (\d+) compiled(,|\n)", result.output
    )
    assert len(summaries) == 2, result.output
    assert all(int(compiled) >= 3 for _, compiled, _ in summaries)
    assert "from the cache" not in result.output
    for variable in ("ASTRO_PYENV_compiled", "ASTRO_PYENV_compiledpip"):
        output = run_in_image(tag, ['exec "$' + variable + '" -c "$0"', PYCS])
        pycs = json.loads(output.strip().splitlines()[-1])
        assert pycs["checked"] >= 3
        assert pycs["wrong"] == []


def test_astro_base_gets_313_and_keeps_its_own_python(astro_image):
    tag, _ = astro_image
    facts = env_facts(tag, "ASTRO_PYENV_tools", "six", "tabulate")
    assert_working_interpreter(facts, "3.13.5", "/home/astro/.venv/tools")
    assert facts["user"] == "astro"
    assert facts["packages"] == {"six": "1.16.0", "tabulate": None}
    assert shell(tag, "python3 -c 'import platform; print(platform.python_version())'") == "3.11.2"


def test_two_venvs_share_one_interpreter(astro_image):
    tag, result = astro_image
    facts = env_facts(tag, "ASTRO_PYENV_reports", "six", "tabulate")
    assert_working_interpreter(facts, "3.13.5", "/home/astro/.venv/reports")
    assert facts["packages"] == {"six": None, "tabulate": "0.9.0"}
    assert "pyenv-python-3.13 " in result.output  # one interpreter stage, not a second one
    assert "pyenv-python-3.13-2" not in result.output
    assert shell(tag, "ls /opt/pyenv/versions") == "3.13.5"
    manifest = json.loads(shell(tag, "cat /etc/buildkit-pyenv/manifest.json"))
    how = {e["name"]: (e["interpreter_origin"], e["installer"]) for e in manifest["environments"]}
    assert how == {
        "tools": ("image python:3.13-slim-bookworm", "uv"),
        "reports": ("image python:3.13-slim-bookworm", "pip"),
    }


def test_venvs_enter_without_taking_the_home_directory(astro_image):
    """COPY --link would make missing parents root's: the task user keeps its home."""
    tag, _ = astro_image
    assert shell(tag, "stat -c '%U %a' /home/astro") == "astro 755"
    assert shell(tag, "touch /home/astro/x && echo writable") == "writable"
    # uv venvs have no pip unless asked (--seed); pip venvs have their own.
    assert shell(tag, "ls /home/astro/.venv/tools/bin/pip 2>&1 || true").endswith(
        "No such file or directory"
    )
    assert shell(tag, "ls /home/astro/.venv/reports/bin/pip") == "/home/astro/.venv/reports/bin/pip"


def test_image_metadata_and_no_build_dependencies(astro_image):
    tag, _ = astro_image
    config = image_config(tag)
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["ASTRO_PYENV_tools"] == "/home/astro/.venv/tools/bin/python"
    assert env["ASTRO_PYENV_reports"] == "/home/astro/.venv/reports/bin/python"
    assert config["User"] == "astro"
    leftovers = "command -v gcc make curl; ls /usr/include/openssl /var/lib/buildkit-pyenv 2>&1"
    assert "No such file" in shell(tag, leftovers + "; true")
    assert "gcc" not in shell(tag, "command -v gcc make curl; true")


def test_bare_base_without_python(cli_build):
    """No Python and few libraries in the base: the interpreter brings what it needs, copied
    out of the official image (3.13, uv) or built from source (3.11, pip)."""
    context = write_context(
        cli_build.tmp / "bare",
        {
            "Dockerfile": f"FROM {BARE_IMAGE}\n"
            "RUN useradd --uid 50000 --create-home astro\n"
            "USER astro\n"
            "PYENV 3.13 tools requirements.txt\n"
            "PYENV --provider=source --installer=pip 3.11 legacy\n",
            "requirements.txt": "six==1.16.0\n",
        },
    )
    tag, result = cli_build.build(context)
    result.ok()
    assert shell(tag, "command -v python3 python || echo none") == "none"
    facts = env_facts(tag, "ASTRO_PYENV_tools", "six")
    assert_working_interpreter(facts, "3.13.5", "/home/astro/.venv/tools")
    assert facts["user"] == "astro"
    assert facts["packages"] == {"six": "1.16.0"}
    assert facts["gdbm"], "dbm.gnu does not load: libgdbm was not bundled with its RPATH"
    # Extension modules only CPython's test suite uses stay out of the image.
    assert (
        shell(tag, "ls /opt/pyenv/versions/3.13.5/lib/python3.13/lib-dynload/").count("_testcapi")
        == 0
    )
    legacy = env_facts(tag, "ASTRO_PYENV_legacy", "six")
    assert_working_interpreter(legacy, "3.11.2", "/home/astro/.venv/legacy")
    assert legacy["packages"] == {"six": None}
    assert sorted(shell(tag, "ls /opt/pyenv/versions").split()) == ["3.11.2", "3.13.5"]
    manifest = json.loads(shell(tag, "cat /etc/buildkit-pyenv/manifest.json"))
    how = {e["name"]: (e["interpreter_origin"], e["installer"]) for e in manifest["environments"]}
    assert how == {
        "tools": ("image python:3.13-slim-bookworm", "uv"),
        "legacy": ("source Python-3.11.2.tar.xz", "pip"),
    }


def test_editing_one_environment_changes_its_layer_only(cli_build):
    """With COPY --link, a changed requirements file reinstalls one venv, and every layer
    but that venv's and the manifest's keeps its digest (a push sends just those)."""
    files = {
        "Dockerfile": f"FROM {ASTRO_IMAGE}\n"
        "PYENV 3.13 first first.txt\n"
        "PYENV 3.13 second second.txt\n",
        "first.txt": "six==1.16.0\n",
        "second.txt": f"tabulate==0.9.0\n# {uuid.uuid4()}: built afresh in every test run\n",
    }
    context = write_context(cli_build.tmp / "layers", files)
    before_tag, _ = cli_build.build(context)
    write_context(context, {"first.txt": f"six==1.17.0\n# {uuid.uuid4()}\n"})
    after_tag, result = cli_build.build(context)
    result.ok()
    assert "installing first.txt" in result.output
    assert "installing second.txt" not in result.output
    assert "buildkit-pyenv: copying CPython" not in result.output
    before, after = layers(before_tag), layers(after_tag)
    assert len(before) == len(after)
    changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    base = len(layers(ASTRO_IMAGE))
    # interpreter, first, second, manifest: the first venv and the manifest change; the
    # second venv's layer, after the first's, is the same.
    assert changed == [base + 1, base + 3]


def layers(tag: str) -> list[str]:
    return image_inspect(tag)["RootFS"]["Layers"]


def test_a_base_with_an_older_c_library_fails_at_the_first_step(cli_build):
    """An official image of a newer Debian than the base: said at once, both versions named."""
    future = "buildkit-pyenv-test/python:3.13-slim-future"
    cli_build.tags.append(future)
    stand_in = write_context(
        cli_build.tmp / "future-image",
        {
            "Dockerfile": "FROM python:3.13-slim-bookworm\n"
            # What a newer release's image says about its C library.
            "RUN sed -i '/^Package: libc6$/,/^$/ s/^Version: .*/Version: 2.99-1/' "
            "/var/lib/dpkg/status\n"
        },
    )
    subprocess.run(["docker", "build", "-q", "-t", future, str(stand_in)], check=True)
    context = write_context(
        cli_build.tmp / "future", {"Dockerfile": f"FROM {ASTRO_IMAGE}\nPYENV 3.13 tools\n"}
    )
    _, result = cli_build.build(
        context,
        "--build-arg",
        "PYENV_PYTHON_IMAGE=buildkit-pyenv-test/python",
        "--build-arg",
        "PYENV_DEBIAN_RELEASE=future",
    )
    assert result.returncode != 0
    assert "this base image has glibc 2.36, older than the glibc 2.99" in result.output
    assert "buildkit-pyenv: copying CPython" not in result.output
