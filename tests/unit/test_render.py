"""Render behaviour beyond the goldens: the syntax line, the source map, determinism."""

from __future__ import annotations

import re

import pytest

from buildkit_frontend.dockerfile import parse
from buildkit_frontend.plan import plan_dockerfile
from buildkit_frontend.render import is_own_frontend, render
from buildkit_frontend.templates import script, templates_dir
from tests.unit.facts import debian


def rendered(text: str, **build_args: str):
    return render(plan_dockerfile(text, "Dockerfile", build_args, images=debian()))


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


@pytest.mark.parametrize(
    "text",
    [
        "#!/usr/bin/env buildkit-pyenv\n# syntax=ghcr.io/x/buildkit-pyenv:1\n"
        "FROM base\nRUN x\nFROM img\nPYENV 3.13 x\n",
        "# syntax=buildkit-pyenv/frontend key=value\nFROM img\nPYENV 3.13 x\n",
        "# syntax=buildkit-pyenv/frontend key=value\nFROM img\n",
    ],
)
def test_this_frontends_syntax_line_is_dropped_wherever_buildkit_finds_it(text):
    # Left where BuildKit finds it, `docker build` of the output would send the build
    # to this frontend again.
    syntax = parse(rendered(text).text).syntax
    assert syntax is None or not is_own_frontend(syntax.image)


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


def _scripts_stage(out: str) -> tuple[str, list[str]]:
    """The scripts stage's text and the names of its files, in order."""
    start = out.index("FROM scratch AS pyenv-scripts\n")
    stage = out[start : out.index("\nFROM ", start + 1)]
    return stage, re.findall(r"^COPY <<'BUILDKIT_PYENV_EOF' /(\S+)$", stage, re.M)


def test_each_script_is_in_the_dockerfile_once_and_mounted_where_it_runs():
    """Helper steps run their scripts from the scripts stage, the first helper stage:
    three venvs on two interpreters carry one copy of each script, not one per step."""
    out = rendered(
        "FROM img\nPYENV 3.13 a\nPYENV 3.13 b\nPYENV 3.11 c\n"
        "FROM img AS second\nPYENV --provider=source 3.12 d\n"
    ).text
    assert out.index("FROM scratch AS pyenv-scripts") < out.index("AS pyenv-python-")
    stage, names = _scripts_stage(out)
    assert sorted(names) == sorted(set(names))
    assert set(names) == {
        "python-image-install.sh", "python-image-finish.sh", "uv-install.sh",
        "venv-build.sh", "venv-bytecode.py", "manifest-build.sh",
        "cpython-deps.sh", "cpython-fetch.sh", "cpython-build.sh",
    }  # fmt: skip
    for name in names:
        assert f"\n{script(name)}BUILDKIT_PYENV_EOF\n" in stage
        target = f"/tmp/buildkit-pyenv/scripts/{name}"
        mounts = out.count(f"--mount=from=pyenv-scripts,source=/{name},target={target} ")
        runs = len(re.findall(rf" {re.escape(target)}$", out, re.M))
        assert mounts >= 1 and (runs == mounts or name == "venv-bytecode.py")
    assert out.count("/bin/sh /tmp/buildkit-pyenv/scripts/venv-build.sh\n") == 4
    assert "<<'BUILDKIT_PYENV_EOF'" not in out[out.index("AS pyenv-python-") :]


def test_only_the_scripts_a_build_runs_are_in_its_scripts_stage():
    _, names = _scripts_stage(rendered("FROM img\nPYENV 3.13 a\n", PYENV_UV_IMAGE="uv:1").text)
    assert "uv-install.sh" not in names and "cpython-build.sh" not in names
    assert names[0] == "python-image-install.sh"


def test_no_script_ends_a_heredoc_early():
    for path in templates_dir().iterdir():
        if path.suffix in (".sh", ".py"):
            assert "BUILDKIT_PYENV_EOF" not in path.read_text().splitlines(), path.name
            assert path.read_text().endswith("\n"), path.name


def test_the_scripts_stage_is_counted_when_stages_are_renumbered():
    out = rendered("FROM img\nRUN one\nFROM img\nPYENV 3.13 a\nCOPY --from=0 /x /x\n").text
    stages = re.findall(r"^FROM .*$", out, re.M)
    assert stages.index("FROM img") == int(re.search(r"COPY --from=(\d+) /x", out).group(1))


def test_airflow_flag_reaches_only_its_venv_step():
    out = rendered("FROM img\nPYENV --airflow 3.13 with\nPYENV 3.13 without\n").text
    steps = dict(re.findall(r"# buildkit-pyenv: venv (\w+) on .*?\n(.*?)\n\n", out, re.DOTALL))
    assert "PYENV_AIRFLOW=1" in steps["with"]
    assert "PYENV_AIRFLOW" not in steps["without"]
