"""The few LLB definitions the frontend builds: a local source and files on scratch."""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Mapping

from .protos import ops_pb2


def definition(op: ops_pb2.Op, name: str) -> ops_pb2.Definition:
    """A Definition whose output is `op`, shown in the build progress as `name`.

    As BuildKit's own client does, the last op only points at the output vertex; each
    vertex is named by the sha256 of its serialized op.
    """
    data = op.SerializeToString(deterministic=True)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    terminal = ops_pb2.Op(inputs=[ops_pb2.Input(digest=digest, index=0)])
    result = ops_pb2.Definition()
    # `def` is a Python keyword, so the field is only reachable with getattr.
    getattr(result, "def").extend([data, terminal.SerializeToString(deterministic=True)])
    result.metadata[digest].description["llb.customname"] = name
    return result


def output_digest(definition: ops_pb2.Definition) -> str:
    """The digest of the vertex a definition outputs (what its terminal op points at)."""
    terminal = ops_pb2.Op.FromString(getattr(definition, "def")[-1])
    return terminal.inputs[0].digest


def local_source(
    name: str,
    session_id: str,
    follow_paths: list[str],
    shared_key_hint: str,
    exclude_patterns: list[str] | None = None,
) -> ops_pb2.Definition:
    """The files `follow_paths` of the client's local directory `name` (e.g. "dockerfile")."""
    attrs: dict[str, str] = {
        "local.session": session_id,
        "local.followpaths": json.dumps(follow_paths),
        "local.sharedkeyhint": shared_key_hint,
        "local.differ": "none",
    }
    if exclude_patterns:
        attrs["local.excludepatterns"] = json.dumps(exclude_patterns)
    op = ops_pb2.Op(source=ops_pb2.SourceOp(identifier=f"local://{name}", attrs=attrs))
    shown = ", ".join(follow_paths)
    return definition(op, f"[buildkit-pyenv] load {shown} from {name}")


def files_on_scratch(files: Mapping[str, bytes], name: str) -> ops_pb2.Definition:
    """A filesystem holding exactly `files` (path → content), as one FileOp."""
    actions: list[ops_pb2.FileAction] = []
    made: set[str] = set()
    for path in sorted(files):
        parent = posixpath.dirname("/" + path.lstrip("/"))
        if parent != "/" and parent not in made:
            mkdir = ops_pb2.FileActionMkDir(path=parent, mode=0o755, makeParents=True)
            actions.append(ops_pb2.FileAction(mkdir=mkdir))
            made.add(parent)
        mkfile = ops_pb2.FileActionMkFile(path="/" + path.lstrip("/"), mode=0o644, data=files[path])
        actions.append(ops_pb2.FileAction(mkfile=mkfile))
    # Action i works on scratch (-1) or on the result of action i-1, which FileOp
    # numbers after its inputs (there are none); only the last one is the output.
    for index, action in enumerate(actions):
        action.input = -1 if index == 0 else index - 1
        action.secondaryInput = -1
        action.output = 0 if index == len(actions) - 1 else -1
    return definition(ops_pb2.Op(file=ops_pb2.FileOp(actions=actions)), name)


def image_source(ref: str, platform: ops_pb2.Platform | None) -> ops_pb2.Definition:
    """The filesystem of image `ref` (a normalized reference), for reading files of it."""
    op = ops_pb2.Op(source=ops_pb2.SourceOp(identifier=f"docker-image://{ref}"))
    if platform is not None:
        op.platform.CopyFrom(platform)
    return definition(op, f"[buildkit-pyenv] read the OS release of {ref}")
