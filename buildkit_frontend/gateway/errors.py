"""Errors as BuildKit carries them: google.rpc.Status with typed details.

BuildKit encodes each detail as the JSON of a Go struct under a type URL ending in
`+json` (util/grpcerrors). A `errdefs.Source` detail makes `docker build` print the
Dockerfile excerpt: the frontend attaches one to its own errors, and rewrites those the
forwarded build reports against the rendered Dockerfile to show the user's own lines.
"""

from __future__ import annotations

import base64
import json
import re

import grpc

from ..errors import PyenvError
from ..render import Rendered
from .protos import errdefs_pb2

SOURCE_TYPE_URL = "github.com/moby/buildkit/errdefs.Source+json"
STATUS_TRAILER = "grpc-status-details-bin"
UNKNOWN = grpc.StatusCode.UNKNOWN.value[0]
# How BuildKit reports a failed RUN; for our own steps the command is a whole script.
_FAILED_PROCESS = re.compile(r'^process ".*" did not complete successfully: ', re.DOTALL)


def source_detail(filename: str, text: bytes, *ranges: tuple[int, int]) -> bytes:
    """An errdefs.Source detail pointing at each of `ranges`, (start, end) lines
    (1-based): BuildKit shows every range of one source, as it does for its own errors
    about two instructions."""
    source = {
        "info": {
            "filename": filename,
            "data": base64.b64encode(text).decode("ascii"),
            "language": "Dockerfile",
        },
        "ranges": [{"start": {"line": start}, "end": {"line": end}} for start, end in ranges],
    }
    return json.dumps(source).encode("utf-8")


def status_of(error: PyenvError, filename: str, text: bytes) -> errdefs_pb2.Status:
    """The Status for one of our own errors, pointing at the user's line when known."""
    message = error.message + (f" ({error.hint})" if error.hint else "")
    # UNKNOWN: BuildKit prefixes the message with any other code's name, at every hop.
    status = errdefs_pb2.Status(code=UNKNOWN, message=message)
    ranges = [(at.start, at.end) for at in error.ranges if at.file == error.ranges[0].file]
    if ranges:
        value = source_detail(filename, text, *ranges)
        status.details.add(type_url=SOURCE_TYPE_URL, value=value)
    return status


def status_from_rpc_error(error: grpc.RpcError) -> errdefs_pb2.Status:
    """The full Status of a failed call: from its trailer when BuildKit sent one."""
    for key, value in error.trailing_metadata() or ():
        if key == STATUS_TRAILER:
            status = errdefs_pb2.Status()
            status.ParseFromString(value)
            return status
    code = error.code().value[0] if error.code() else UNKNOWN
    return errdefs_pb2.Status(code=code, message=error.details() or str(error))


def map_to_user_lines(
    status: errdefs_pb2.Status, rendered: Rendered, filename: str, text: bytes
) -> errdefs_pb2.Status:
    """Rewrite Source details about the rendered Dockerfile to the user's Dockerfile."""
    mapped = errdefs_pb2.Status()
    mapped.CopyFrom(status)
    rendered_data = base64.b64encode(rendered.text.encode("utf-8")).decode("ascii")
    for detail in mapped.details:
        if detail.type_url != SOURCE_TYPE_URL:
            continue
        try:
            source = json.loads(detail.value)
        except ValueError:
            continue
        info = source.get("info") or {}
        if info.get("data") != rendered_data:
            continue  # about another file (a named context's, say): leave it
        for span in source.get("ranges") or []:
            start = (span.get("start") or {}).get("line", 0)
            end = (span.get("end") or {}).get("line", 0) or start
            first, last = rendered.origin_of(start), rendered.origin_of(end)
            if first is None or last is None:
                continue
            if rendered.is_generated(start):
                mapped.message = _FAILED_PROCESS.sub(
                    f"a step of the PYENV line {first.start} did not complete successfully: ",
                    mapped.message,
                )
            span["start"] = {"line": first.start}
            span["end"] = {"line": max(last.end, first.end)}
        info["filename"] = filename
        info["data"] = base64.b64encode(text).decode("ascii")
        info.pop("definition", None)
        source["info"] = info
        detail.value = json.dumps(source).encode("utf-8")
    return mapped
