"""Render behaviour beyond the goldens: the syntax line, the source map, determinism."""

from __future__ import annotations

import pytest

from buildkit_frontend.options import RenderOptions
from buildkit_frontend.plan import plan_dockerfile
from buildkit_frontend.render import is_own_frontend, render
from tests.unit.facts import debian


def rendered(text: str, **build_args: str):
    return render(plan_dockerfile(text, "Dockerfile", RenderOptions(build_args, base_os=debian())))


@pytest.mark.parametrize(
    ("image", "own"),
    [
        ("buildkit-pyenv/frontend:dev", True),
        ("registry.local:5000/team/buildkit-pyenv:1.2", True),
        ("quay.io/astronomer/airflow-extensions:v1", True),
        ("ghcr.io/x/buildkit-pyenv@sha256:" + "a" * 64, True),
        ("docker/dockerfile:1.7", False),
        ("example/not-buildkit-pyenv-at-all", False),
    ],
)
def test_own_frontend(image, own):
    assert is_own_frontend(image) is own


def test_foreign_syntax_line_is_kept():
    out = rendered("# syntax=docker/dockerfile:1.7\nFROM img\nPYENV 3.13 x\n").text
    assert out.startswith("# syntax=docker/dockerfile:1.7\n")


def test_pyenv_line_becomes_copy_and_env_in_place():
    out = rendered("FROM img\nRUN before\nPYENV 3.13 tools\nRUN after\n").text
    user = out[out.rindex("FROM img\n") :]
    assert user == (
        "FROM img\n"
        "RUN before\n"
        "# PYENV 3.13 tools\n"
        "COPY --link --from=pyenv-python-3.13 /opt/pyenv/versions/ /opt/pyenv/versions/\n"
        "COPY --link --from=pyenv-venv-tools /var/lib/buildkit-pyenv/export/ /\n"
        "ENV ASTRO_PYENV_tools=/home/astro/.venv/tools/bin/python\n"
        "LABEL buildkit-pyenv.env.tools.requested=3.13 \\\n"
        "      buildkit-pyenv.env.tools.venv=/home/astro/.venv/tools \\\n"
        "      buildkit-pyenv.env.tools.interpreter=/home/astro/.venv/tools/bin/python\n"
        "COPY --link --from=pyenv-manifest /etc/buildkit-pyenv/manifest.json "
        "/etc/buildkit-pyenv/manifest.json\n"
        "RUN after\n"
    )


def test_source_map_points_back_to_user_lines():
    result = rendered(
        "FROM img\nRUN before\nPYENV 3.13 tools\nRUN after\n", PYENV_PYTHON_PROVIDER="source"
    )
    lines = result.text.split("\n")
    after = lines.index("RUN after") + 1
    assert result.origin_of(after).start == 4
    env = next(i for i, line in enumerate(lines) if line.startswith("ENV ASTRO_PYENV_tools")) + 1
    assert (result.origin_of(env).start, result.origin_of(env).end) == (3, 3)
    make = next(i for i, line in enumerate(lines) if "make install" in line) + 1
    assert result.origin_of(make).start == 3  # inside the interpreter stage
    assert result.origin_of(lines.index("FROM img") + 1).start == 1
    assert result.origin_of(1).start == 3  # helper stages come first, for the PYENV line


def test_rendering_is_deterministic():
    text = "FROM img AS a\nPYENV 3.13 x\nPYENV 3.12 y\nFROM a\nPYENV 3.13 z\n"
    assert len({rendered(text).text for _ in range(5)}) == 1


def test_values_with_spaces_are_quoted_for_arg():
    out = rendered(
        "FROM img\nPYENV 3.13 x\n",
        PYENV_PYTHON_CONFIGURE_OPTS="--enable-optimizations --with-lto",
        PYENV_PYTHON_PROVIDER="source",
    ).text
    assert 'ARG PYENV_PYTHON_CONFIGURE_OPTS="--enable-optimizations --with-lto"\n' in out
