"""Rules over all PYENV lines of a Dockerfile together: one name and one venv path per
environment in a stage chain, no venv inside another, one provider and one checksum
per Python version. Each line's own grammar is pyenv_grammar's business."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence

from .dockerfile import Instruction
from .errors import PyenvError
from .pyenv_grammar import PyenvSpec
from .settings import BuildSettings
from .stages import Stage

StageSpecs = Mapping[int, Sequence[tuple[Instruction, PyenvSpec]]]


def check_names(stages: tuple[Stage, ...], specs: StageSpecs) -> None:
    """A name or venv path may appear once in a stage and the stages it is built on, and
    no venv may lie inside another's there.

    Walks the tree of stages depth first with one scope of what the stages above have,
    undoing each stage's entries on the way back, so a chain of n stages costs n steps,
    not n squared. Of several faults, the one at the earliest line is reported."""
    children: dict[int | None, list[Stage]] = {}
    for stage in stages:
        children.setdefault(stage.parent, []).append(stage)
    scope: dict[tuple[str, str], PyenvSpec] = {}  # ("name"|"path"|"below", key) -> spec
    faults: list[PyenvError] = []
    # Items: a stage to enter, or the entries of a stage to undo when leaving it.
    walk: list[Stage | list[tuple[tuple[str, str], PyenvSpec | None]]] = list(
        reversed(children.get(None, []))
    )
    while walk:
        item = walk.pop()
        if isinstance(item, list):
            for key, previous in reversed(item):
                if previous is None:
                    del scope[key]
                else:
                    scope[key] = previous
            continue
        undo: list[tuple[tuple[str, str], PyenvSpec | None]] = []
        for _, spec in specs.get(item.index, ()):
            fault = _scope_fault(scope, spec)
            if fault is not None:
                faults.append(fault)
                continue
            for key in _scope_keys(spec):
                if key not in scope:
                    undo.append((key, None))
                    scope[key] = spec
        walk.append(undo)
        walk.extend(reversed(children.get(item.index, [])))
    if faults:
        raise min(faults, key=lambda fault: fault.where.start if fault.where else 0)


def _scope_keys(spec: PyenvSpec) -> list[tuple[str, str]]:
    """What `spec` claims in its stage chain: its name, its path, the directories above."""
    keys = [("name", spec.name.lower()), ("path", spec.venv_path)]
    parent = posixpath.dirname(spec.venv_path)
    while parent != "/":
        keys.append(("below", parent))
        parent = posixpath.dirname(parent)
    return keys


def _scope_fault(scope: Mapping[tuple[str, str], PyenvSpec], spec: PyenvSpec) -> PyenvError | None:
    """The error for `spec` against what the stage chain above it already has."""
    for kind, key, what in (
        ("name", spec.name.lower(), "venv name"),
        ("path", spec.venv_path, "venv path"),
    ):
        earlier = scope.get((kind, key))
        if earlier is not None and earlier is not spec:
            value = spec.name if kind == "name" else spec.venv_path
            return PyenvError(
                f"{what} {value!r} is already used by {earlier.where}",
                spec.where,
                spec.source,
                "each environment in a stage needs its own name and path"
                + (" (names are compared ignoring case)" if kind == "name" else ""),
                also=(earlier.where,),
            )
    around = scope.get(("below", spec.venv_path))  # an earlier venv inside this one
    if around is not None:
        return _nested(spec, around, "around")
    parent = posixpath.dirname(spec.venv_path)
    while parent != "/":  # an earlier venv this one is inside
        outer = scope.get(("path", parent))
        if outer is not None:
            return _nested(spec, outer, "inside")
        parent = posixpath.dirname(parent)
    return None


def _nested(later: PyenvSpec, earlier: PyenvSpec, relation: str) -> PyenvError:
    """The error for the venv of `later` lying `relation` ("inside", "around") the venv
    of the `earlier` line."""
    return PyenvError(
        f"venv path {later.venv_path!r} is {relation} the venv {earlier.venv_path!r} "
        f"of {earlier.where}",
        later.where,
        later.source,
        "give each environment a directory of its own, neither inside the other",
        also=(earlier.where,),
    )


def providers(specs: StageSpecs, settings: BuildSettings) -> dict[str, str]:
    """The provider of each version: one for all lines that name it, since both would
    install into PYENV_ROOT/versions/<version>."""
    chosen: dict[str, PyenvSpec] = {}
    every = [spec for group in specs.values() for _, spec in group]
    for spec in every:
        if spec.provider is None:
            continue
        earlier = chosen.setdefault(spec.version, spec)
        if earlier.provider != spec.provider:
            raise PyenvError(
                f"Python {spec.version} comes from --provider={spec.provider} here but from "
                f"--provider={earlier.provider} at {earlier.where} (--sha256 means source)",
                spec.where,
                spec.source,
                "one version has one provider in a build: give both lines the same",
                also=(earlier.where,),
            )
    return {
        spec.version: chosen[spec.version].provider if spec.version in chosen else settings.provider
        for spec in every
    }


def checksums(specs: StageSpecs) -> dict[str, str]:
    """The --sha256 of each exact version; two lines must not disagree on one."""
    by_version: dict[str, PyenvSpec] = {}
    for _, spec in (item for group in specs.values() for item in group):
        if spec.sha256 is None:
            continue
        earlier = by_version.setdefault(spec.version, spec)
        if earlier.sha256 != spec.sha256:
            raise PyenvError(
                f"--sha256 for Python {spec.version} differs from the one at {earlier.where}",
                spec.where,
                spec.source,
                also=(earlier.where,),
            )
    return {version: spec.sha256 for version, spec in by_version.items() if spec.sha256}
