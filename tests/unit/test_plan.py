"""Whole-Dockerfile rules: stages, duplicates, the build context, shared interpreters."""

from __future__ import annotations

import hashlib

import pytest

from buildkit_frontend.base_os import BaseOS
from buildkit_frontend.dockerfile import parse
from buildkit_frontend.errors import PyenvError
from buildkit_frontend.plan import InterpreterStage, VenvStage, plan_dockerfile
from buildkit_frontend.render import render
from tests.unit.facts import Context, Images, debian

DEBIAN = BaseOS("debian", "bookworm")


def plan(text: str, **kwargs):
    return plan_dockerfile(text, "Dockerfile", **{"images": debian(), **kwargs})


def render_text(text: str, **kwargs) -> str:
    return render(plan(text, **kwargs)).text


def error_of(text: str, **kwargs) -> str:
    with pytest.raises(PyenvError) as raised:
        plan(text, **kwargs)
    return str(raised.value)


def test_pyenv_before_from():
    text = error_of("ARG X=1\nPYENV 3.13 a\nFROM img\n")
    assert text.startswith("Dockerfile:2: PYENV must come after a FROM")
    assert "2 | PYENV 3.13 a" in text


def test_onbuild_pyenv():
    assert "ONBUILD PYENV is not supported" in error_of("FROM img\nONBUILD PYENV 3.13 a\n")


def test_duplicate_names_in_a_stage():
    text = error_of("FROM img\nPYENV 3.13 tools\nRUN true\nPYENV 3.12 tools\n")
    assert text.startswith("Dockerfile:4: venv name 'tools' is already used by Dockerfile:2")


def test_duplicate_names_ignore_case():
    assert "is already used by Dockerfile:2" in error_of(
        "FROM img\nPYENV 3.13 Tools\nPYENV 3.13 tools\n"
    )


def test_duplicate_name_in_a_parent_stage():
    text = "FROM img AS a\nPYENV 3.13 tools\nFROM a AS b\nPYENV 3.12 tools\n"
    assert error_of(text).startswith(
        "Dockerfile:4: venv name 'tools' is already used by Dockerfile:2"
    )


def test_same_name_in_unrelated_stages_is_fine():
    result = plan("FROM img AS dev\nPYENV 3.13 tools\nFROM img AS prod\nPYENV 3.13 tools\n")
    venvs = [h.name for group in result.helpers.values() for h in group if isinstance(h, VenvStage)]
    assert venvs == ["pyenv-venv-tools", "pyenv-venv-tools-2"]


def test_duplicate_paths():
    text = "FROM img\nPYENV --path=/envs/x 3.13 a\nPYENV --path=/envs/x 3.13 b\n"
    assert "venv path '/envs/x' is already used by Dockerfile:2" in error_of(text)


def test_requirements_must_exist_when_the_context_is_known():
    text = error_of(
        "FROM img\nPYENV 3.13 a missing.txt\n",
        context=Context(lambda path: None, "the build context ./ctx/"),
    )
    assert "requirements file 'missing.txt' is not in the build context ./ctx/" in text
    found = plan("FROM img\nPYENV 3.13 a present.txt\n", context=Context(lambda path: b"six\n"))
    (expansion,) = found.expansions.values()
    assert expansion.requirements_sha256 == hashlib.sha256(b"six\n").hexdigest()


def test_scratch_base():
    assert "starts FROM scratch" in error_of("FROM scratch\nPYENV 3.13 a\n")


def test_conflicting_checksums():
    text = f"FROM img\nPYENV --sha256={'a' * 64} 3.13.5 a\nPYENV --sha256={'b' * 64} 3.13.5 b\n"
    assert "differs from the one at Dockerfile:2" in error_of(text)


def test_checksum_from_any_line_applies_to_the_shared_interpreter():
    result = plan(f"FROM img\nPYENV 3.13.5 a\nPYENV --sha256={'c' * 64} 3.13.5 b\n")
    (interpreter,) = [h for h in result.helpers[0] if isinstance(h, InterpreterStage)]
    assert interpreter.sha256 == "c" * 64


def test_one_interpreter_per_base_and_version():
    result = plan(
        "FROM img AS a\nPYENV 3.13 x\nPYENV 3.13 y\nPYENV 3.12 z\n"
        "FROM other AS b\nPYENV 3.13 w\n"
        "FROM a AS c\nPYENV 3.13 v\n"
    )
    interpreters = [
        (h.name, h.root.base, h.version)
        for group in result.helpers.values()
        for h in group
        if isinstance(h, InterpreterStage)
    ]
    assert interpreters == [
        ("pyenv-python-3.13", "img", "3.13"),
        ("pyenv-python-3.12", "img", "3.12"),
        ("pyenv-python-3.13-2", "other", "3.13"),
    ]
    copies = {
        e.venv.spec.name: [i.name for i in e.interpreters] for e in result.expansions.values()
    }
    # A stage's first line brings every interpreter it lacks (y shares x's, z's comes
    # with x's); v's stage inherits a's.
    assert copies == {
        "x": ["pyenv-python-3.13", "pyenv-python-3.12"],
        "y": [],
        "z": [],
        "w": ["pyenv-python-3.13-2"],
        "v": [],
    }


def test_stage_names_never_clash_with_the_users():
    result = plan("FROM img AS pyenv-python-3.13\nFROM img AS pyenv-scripts\nPYENV 3.13 x\n")
    names = [h.name for h in result.helpers[1]]
    assert names == [
        "pyenv-scripts-2",
        "pyenv-python-3.13-2-image",
        "pyenv-python-3.13-2-copy",
        "pyenv-python-3.13-2",
        "pyenv-uv",
        "pyenv-venv-x",
        "pyenv-manifest",
    ]


@pytest.mark.parametrize("provider", ["image", "source"])
def test_every_stage_of_the_output_is_one_plan_object_at_its_index(provider):
    text = (
        "FROM img AS base\nPYENV 3.13 a\nPYENV 3.12 b\n"
        "FROM base\nPYENV 3.11 c\nFROM scratch\nCOPY --from=1 / /\n"
    )
    result = plan(text, build_args={"PYENV_PYTHON_PROVIDER": provider})
    rendered = parse(render(result).text)
    froms = [i.value.split()[-1] for i in rendered.instructions if i.keyword == "FROM"]
    names = [getattr(stage, "name", None) or f"#{stage.index}" for stage in result.dispatch]
    user = {f"#{stage.index}": stage for stage in result.stages}
    assert len(froms) == len(result.dispatch)
    for index, (written, planned) in enumerate(zip(froms, names)):
        # A user stage has its own name, or none: its FROM ends with its image then.
        assert written == planned or (planned in user and not written.startswith("pyenv-"))
        if planned in user:
            assert result.index_of(user[planned]) == index
    # The numeric reference follows the stage it named, to its index in the output.
    assert f"COPY --from={result.index_of(result.stages[1])} / /" in render(result).text


def test_build_args_reach_pyenv_and_generated_args():
    text = "ARG PY=3.11\nARG PYENV_PYTHON_MIRROR=http://m/\nFROM img\nARG NAME=n\nPYENV $PY $NAME\n"
    result = plan(text, build_args={"PY": "3.12"})
    (spec,) = result.environments
    assert (spec.version, spec.name) == ("3.12", "n")
    assert result.build_args["PYENV_PYTHON_MIRROR"] == "http://m/"
    overridden = plan(text, build_args={"PYENV_PYTHON_MIRROR": "http://other/"})
    assert overridden.build_args["PYENV_PYTHON_MIRROR"] == "http://other/"


def test_stage_arg_declared_after_the_line_does_not_count():
    assert "$V is not set" in error_of("FROM img\nPYENV 3.13 $V\nARG V=x\n")


def test_no_pyenv_lines_is_a_plain_dockerfile():
    result = plan("FROM img\nRUN true\n")
    assert result.environments == [] and dict(result.helpers) == {}


def builders_of(result) -> list[str]:
    return [
        h.root.base for g in result.helpers.values() for h in g if isinstance(h, InterpreterStage)
    ]


def test_astro_runtime_without_base_tag_builds_on_the_base_variant():
    result = plan("FROM quay.io/astronomer/astro-runtime:12.6.0\nPYENV 3.13 x\n")
    assert builders_of(result) == ["quay.io/astronomer/astro-runtime:12.6.0-base"]
    assert "has ONBUILD triggers" in result.notes[0]
    assert "12.6.0-base" in result.notes[0]
    kept = plan("FROM quay.io/astronomer/astro-runtime:12.6.0-base\nPYENV 3.13 x\n")
    assert builders_of(kept) == ["quay.io/astronomer/astro-runtime:12.6.0-base"]
    assert kept.notes == ()


def test_image_with_onbuild_triggers_needs_a_builder():
    triggers = {"corp/airflow:1": ["COPY . /app", "RUN make"], "plain:1": []}
    text = "ARG BASE=corp/airflow:1\nFROM ${BASE}\nPYENV 3.13 x\n"
    message = error_of(text, images=Images(DEBIAN, triggers))
    assert message.startswith(
        "Dockerfile:3: corp/airflow:1 has ONBUILD triggers (COPY . /app, ...), which would run"
    )
    assert "hint: pass --build-arg PYENV_BUILDER_IMAGE=<the same image" in message
    chosen = plan(
        text, images=Images(DEBIAN, triggers), build_args={"PYENV_BUILDER_IMAGE": "plain:1"}
    )
    assert builders_of(chosen) == ["plain:1"]
    assert chosen.notes == (
        "the stages that build Python start FROM plain:1 (PYENV_BUILDER_IMAGE)",
    )
    unknown = plan("FROM other:1\nPYENV 3.13 x\n", images=Images(DEBIAN, triggers))
    assert builders_of(unknown) == ["other:1"]


@pytest.mark.parametrize(
    ("image", "base"),
    [
        ("astrocrpublic.azurecr.io/runtime:3.1-1", "astrocrpublic.azurecr.io/runtime:3.1-1-base"),
        ("quay.io/astronomer/astro-runtime:12.6.0", "quay.io/astronomer/astro-runtime:12.6.0-base"),
        ("astronomer/astro-runtime:11.3.0", "astronomer/astro-runtime:11.3.0-base"),
    ],
)
def test_runtime_images_of_both_registries_build_from_their_base_tag(image, base):
    result = plan(f"FROM {image}\nPYENV 3.13 x\n")
    assert builders_of(result) == [base]
    assert f"those stages start FROM {base}" in result.notes[0]
    assert builders_of(plan(f"FROM {base}\nPYENV 3.13 x\n")) == [base]
    # The engine's answer wins over the name: a Runtime image it knows has no triggers.
    clean = plan(f"FROM {image}\nPYENV 3.13 x\n", images=Images(DEBIAN, {image: []}))
    assert builders_of(clean) == [image]


def test_a_runtime_mirror_is_known_through_a_build_arg():
    text = "FROM registry.example:5000/astro/runtime:3.1-1\nPYENV 3.13 x\n"
    assert builders_of(plan(text)) == ["registry.example:5000/astro/runtime:3.1-1"]
    mirrored = plan(
        text, build_args={"PYENV_RUNTIME_REPOSITORIES": "registry.example:5000/astro/runtime"}
    )
    assert builders_of(mirrored) == ["registry.example:5000/astro/runtime:3.1-1-base"]
    message = error_of(text, build_args={"PYENV_RUNTIME_REPOSITORIES": "bad repo:tag"})
    assert "PYENV_RUNTIME_REPOSITORIES names 'repo:tag', not an image repository" in message
    # A digest-pinned image names no -base twin: its triggers decide.
    pinned = "astrocrpublic.azurecr.io/runtime@sha256:" + "a" * 64
    assert builders_of(plan(f"FROM {pinned}\nPYENV 3.13 x\n")) == [pinned]


def test_user_stage_keeps_its_onbuild_base():
    out = render_text("FROM quay.io/astronomer/astro-runtime:12.6.0\nPYENV 3.13 x\n")
    assert "FROM quay.io/astronomer/astro-runtime:12.6.0-base AS pyenv-python-3.13-copy\n" in out
    assert out.count("FROM quay.io/astronomer/astro-runtime:12.6.0\n") == 1
