"""Where interpreters come from and what installs the venvs: flags, build args, and
what the user is told when the choice cannot be made."""

from __future__ import annotations

import pytest

from buildkit_frontend.base_os import BaseOS, parse_os_release
from buildkit_frontend.errors import PyenvError
from buildkit_frontend.plan import InterpreterStage, UvStage, VenvStage, plan_dockerfile
from buildkit_frontend.render import render
from tests.unit.facts import Images, debian


def plan(text: str, base_os: BaseOS | None = None, **build_args: str):
    images = Images(base_os) if base_os else debian()
    return plan_dockerfile(text, "Dockerfile", build_args, images=images)


def helpers(text: str, kind, **kwargs):
    found = plan(text, **kwargs).helpers
    return [h for group in found.values() for h in group if isinstance(h, kind)]


def error_of(text: str, **kwargs) -> str:
    with pytest.raises(PyenvError) as raised:
        plan(text, **kwargs)
    return str(raised.value)


def test_image_provider_and_uv_by_default():
    (interpreter,) = helpers("FROM img\nPYENV 3.13 a\n", InterpreterStage)
    assert interpreter.provider == "image"
    assert interpreter.python_image == "python:3.13-slim-bookworm"
    (venv,) = helpers("FROM img\nPYENV 3.13 a\n", VenvStage)
    assert venv.installer == "uv" and venv.uv is not None and venv.uv.version == "0.13.9"


def test_release_comes_from_the_base_image():
    (interpreter,) = helpers(
        "FROM img\nPYENV 3.12.9 a\n", InterpreterStage, base_os=BaseOS("debian", "trixie")
    )
    assert interpreter.python_image == "python:3.12.9-slim-trixie"


def test_release_override_and_mirror_repository():
    (interpreter,) = helpers(
        "FROM img\nPYENV 3.13 a\n",
        InterpreterStage,
        PYENV_DEBIAN_RELEASE="bullseye",
        PYENV_PYTHON_IMAGE="registry.example:5000/library/python",
    )
    assert interpreter.python_image == "registry.example:5000/library/python:3.13-slim-bullseye"


def test_unknown_release_is_an_error_at_the_line_saying_why():
    unknown = BaseOS(unknown_because="it is not in the local engine")
    text = error_of("FROM img\nRUN true\nPYENV 3.13 a\n", base_os=unknown)
    assert text.startswith("Dockerfile:3: cannot tell which Debian release img is")
    assert "it is not in the local engine" in text
    assert "PYENV_DEBIAN_RELEASE" in text and "--provider=source" in text


def test_a_base_that_is_not_debian_is_named():
    ubuntu = BaseOS("ubuntu", "noble")
    assert "(it is ubuntu noble, not Debian)" in error_of("FROM u\nPYENV 3.13 a\n", base_os=ubuntu)


def test_source_provider_needs_no_release():
    unknown = BaseOS(unknown_because="no engine")
    found = helpers(
        "FROM img\nPYENV 3.13 a\n",
        InterpreterStage,
        base_os=unknown,
        PYENV_PYTHON_PROVIDER="source",
    )
    assert [i.provider for i in found] == ["source"]


def test_flags_choose_per_line():
    text = "FROM img\nPYENV --provider=source --installer=pip --seed 3.12 a\nPYENV 3.13 b\n"
    interpreters = helpers(text, InterpreterStage)
    assert [(i.version, i.provider) for i in interpreters] == [
        ("3.12", "source"),
        ("3.13", "image"),
    ]
    venvs = helpers(text, VenvStage)
    assert [(v.installer, v.spec.seed) for v in venvs] == [("pip", True), ("uv", False)]


def test_sha256_means_source_and_conflicts_are_errors():
    sha = "c" * 64
    (interpreter,) = helpers(
        f"FROM img\nPYENV 3.13.5 a\nPYENV --sha256={sha} 3.13.5 b\n", InterpreterStage
    )
    assert (interpreter.provider, interpreter.sha256) == ("source", sha)
    text = error_of("FROM img\nPYENV --provider=image 3.13 a\nPYENV --provider=source 3.13 b\n")
    assert text.startswith("Dockerfile:3: Python 3.13 comes from --provider=source here")
    assert "--provider=image at Dockerfile:2" in text
    assert "--provider=image copies" in error_of(
        f"FROM i\nPYENV --provider=image --sha256={sha} 3.13.5 a\n"
    )


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("--provider=conda", "--provider=conda is not one of image, source"),
        ("--installer=poetry", "--installer=poetry is not one of uv, pip"),
        ("--seed=maybe", "--seed=maybe is not one of true, false"),
        ("--provider", "--provider needs a value"),
    ],
)
def test_bad_flags(flag, message):
    assert message in error_of(f"FROM img\nPYENV {flag} 3.13 a\n")


@pytest.mark.parametrize(
    ("arg", "value"),
    [
        ("PYENV_PYTHON_PROVIDER", "binary"),
        ("PYENV_INSTALLER", "conda"),
        ("PYENV_PYTHON_IMAGE", "python:3.13"),  # a repository, without a tag
        ("PYENV_PYTHON_IMAGE", "python\nRUN touch /pwned"),
        ("PYENV_UV_IMAGE", "uv image"),
        ("PYENV_UV_VERSION", "latest"),
        ("PYENV_DEBIAN_RELEASE", "bookworm\nRUN x"),
        ("PYENV_BUILDER_IMAGE", "debian:bookworm AS x\nRUN touch /pwned\nFROM debian"),
        ("PYENV_PYTHON_MIRROR", "http://mirror\nRUN touch /pwned"),
        ("PYENV_PYTHON_MIRROR", "mirror.example/python"),
        ("PYENV_PYTHON_CONFIGURE_OPTS", "--with-lto\nRUN touch /pwned"),
    ],
)
def test_build_args_are_checked_for_their_slot(arg, value):
    with pytest.raises(PyenvError) as raised:
        plan("FROM img\nPYENV 3.13 a\n", **{arg: value})
    assert f"build arg {arg}=" in str(raised.value)


def test_one_uv_stage_per_base_and_uv_from_an_image():
    text = "FROM img AS a\nPYENV 3.13 x\nPYENV 3.12 y\nFROM other\nPYENV 3.13 z\n"
    assert len(helpers(text, UvStage)) == 2
    (uv,) = helpers(
        "FROM img\nPYENV 3.13 a\n", UvStage, PYENV_UV_IMAGE="ghcr.io/astral-sh/uv:0.13.9"
    )
    out = render(plan("FROM img\nPYENV 3.13 a\n", PYENV_UV_IMAGE=uv.image)).text
    assert "FROM ghcr.io/astral-sh/uv:0.13.9 AS pyenv-uv\n" in out
    assert "--mount=from=pyenv-uv,source=/uv,target=/tmp/buildkit-pyenv/uv" in out


def test_pip_only_builds_have_no_uv_stage():
    assert helpers("FROM img\nPYENV 3.13 a\n", UvStage, PYENV_INSTALLER="pip") == []


def test_helper_artifacts_enter_with_copy_link():
    out = render(plan("FROM img\nPYENV 3.13 a\n")).text
    user = out[out.rindex("FROM img\n") :]
    copies = [line for line in user.splitlines() if line.startswith("COPY")]
    assert copies and all(line.startswith("COPY --link ") for line in copies)


def test_os_release_parsing():
    text = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_CODENAME=bookworm\n'
    assert parse_os_release(text).debian_release == "bookworm"
    ubuntu = parse_os_release('ID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME="noble"\n')
    assert (ubuntu.os_id, ubuntu.codename, ubuntu.debian_release) == ("ubuntu", "noble", None)
    assert parse_os_release("# nothing\n") == BaseOS()


def test_from_build_args_stay_references_and_share_the_interpreter():
    text = (
        "ARG BASE=debian:bookworm\nFROM ${BASE} AS a\nPYENV 3.13 a\n"
        "FROM debian:bookworm\nPYENV 3.13 b\n"
    )
    (interpreter,) = helpers(text, InterpreterStage)
    assert interpreter.root.base == "${BASE}"  # a later --build-arg BASE=... moves both
    out = render(plan(text)).text
    assert "FROM ${BASE} AS pyenv-python-3.13-copy\n" in out


def test_scratch_through_a_build_arg_is_still_scratch():
    text = error_of("ARG BASE=scratch\nFROM ${BASE}\nPYENV 3.13 a\n")
    assert "starts FROM scratch" in text
