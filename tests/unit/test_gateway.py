"""The frontend's protocol pieces: options, LLB definitions, results and errors."""

from __future__ import annotations

import base64
import hashlib
import json

import grpc
import pytest

from buildkit_frontend.errors import PyenvError, SourceRange
from buildkit_frontend.gateway import llb
from buildkit_frontend.gateway.client import Bridge, FrontendEnv, without_definitions
from buildkit_frontend.gateway.errors import (
    SOURCE_TYPE_URL,
    map_to_user_lines,
    status_from_rpc_error,
    status_of,
)
from buildkit_frontend.gateway.frontend import forwarded_opts
from buildkit_frontend.gateway.protos import errdefs_pb2, gateway_pb2, ops_pb2
from buildkit_frontend.plan import plan_dockerfile
from buildkit_frontend.render import render
from tests.unit.facts import debian


def ops_of(definition: ops_pb2.Definition) -> list[ops_pb2.Op]:
    return [ops_pb2.Op.FromString(data) for data in getattr(definition, "def")]


def test_options_from_the_environment():
    env = FrontendEnv.from_environ(
        {
            "BUILDKIT_FRONTEND_OPT_0": "filename=custom.Dockerfile",
            "BUILDKIT_FRONTEND_OPT_1": "build-arg:PY=3.12",
            "BUILDKIT_FRONTEND_OPT_2": "build-arg:EMPTY=",
            "BUILDKIT_FRONTEND_OPT_3": "label:a=b=c",
            "BUILDKIT_SESSION_ID": "s1",
            "BUILDKIT_WORKERS": '[{"ID": "w"}]',
            "PATH": "/bin",
        }
    )
    assert env.opts == {
        "filename": "custom.Dockerfile",
        "build-arg:PY": "3.12",
        "build-arg:EMPTY": "",
        "label:a": "b=c",
    }
    assert env.build_args() == {"PY": "3.12", "EMPTY": ""}
    assert env.session_id == "s1"


def test_forwarded_opts_keep_cmdline_and_drop_dockerfilekey():
    env = FrontendEnv({"dockerfilekey": "dockerfile", "source": "img:1", "target": "t"}, "")
    assert forwarded_opts(env) == {"source": "img:1", "target": "t", "cmdline": "img:1"}
    kept = FrontendEnv({"cmdline": "img:1 --flag", "source": "img:1"}, "")
    assert forwarded_opts(kept)["cmdline"] == "img:1 --flag"


def test_definition_points_at_its_op_by_digest():
    definition = llb.local_source("dockerfile", "sess", ["Dockerfile"], "dockerfile")
    source, terminal = getattr(definition, "def")
    digest = "sha256:" + hashlib.sha256(source).hexdigest()
    assert ops_pb2.Op.FromString(terminal).inputs[0].digest == digest
    op = ops_pb2.Op.FromString(source)
    assert op.source.identifier == "local://dockerfile"
    assert dict(op.source.attrs) == {
        "local.session": "sess",
        "local.followpaths": '["Dockerfile"]',
        "local.sharedkeyhint": "dockerfile",
        "local.differ": "none",
    }
    assert definition.metadata[digest].description["llb.customname"].startswith("[buildkit-pyenv]")


def test_local_source_with_exclude_patterns():
    definition = llb.local_source("context", "s", ["a.txt"], "context", ["*.txt", "!a.txt"])
    attrs = ops_of(definition)[0].source.attrs
    assert json.loads(attrs["local.excludepatterns"]) == ["*.txt", "!a.txt"]


def test_files_on_scratch_chains_actions():
    definition = llb.files_on_scratch(
        {"Dockerfile": b"FROM a\n", "sub/x.dockerignore": b"*\n"}, "name"
    )
    actions = ops_of(definition)[0].file.actions
    kinds = [action.WhichOneof("action") for action in actions]
    assert kinds == ["mkfile", "mkdir", "mkfile"]
    assert [(a.input, a.output) for a in actions] == [(-1, -1), (0, -1), (1, 0)]
    assert actions[0].mkfile.path == "/Dockerfile" and actions[0].mkfile.data == b"FROM a\n"
    assert actions[1].mkdir.path == "/sub" and actions[1].mkdir.makeParents


def test_result_is_passed_on_without_definitions_but_with_unknown_fields():
    result = gateway_pb2.Result()
    result.ref.id = "r1"
    getattr(result.ref, "def").metadata["x"].description["k"] = "v"
    result.metadata["image.config"] = b"{}"
    # Field 12 (attestations) is unknown to our schema; it must survive the round trip.
    unknown = b"\x62\x03abc"
    parsed = gateway_pb2.Result.FromString(result.SerializeToString() + unknown)
    trimmed = without_definitions(parsed)
    assert trimmed.ref.id == "r1" and not trimmed.ref.HasField("def")
    assert trimmed.metadata["image.config"] == b"{}"
    assert trimmed.SerializeToString().endswith(unknown)


def test_multi_platform_refs_lose_their_definitions():
    result = gateway_pb2.Result()
    for platform in ("linux/amd64", "linux/arm64"):
        result.refs.refs[platform].id = platform
        getattr(result.refs.refs[platform], "def").metadata["x"].ignore_cache = True
    trimmed = without_definitions(result)
    assert all(not ref.HasField("def") for ref in trimmed.refs.refs.values())


def source_of(status: errdefs_pb2.Status) -> dict:
    (detail,) = [d for d in status.details if d.type_url == SOURCE_TYPE_URL]
    return json.loads(detail.value)


def test_our_errors_carry_the_users_line():
    error = PyenvError("bad version", SourceRange("Dockerfile", 4, 5), "PYENV x\n", hint="use 3.13")
    status = status_of(error, "Dockerfile", b"FROM a\nRUN b\nRUN c\nPYENV \\\n x\n")
    assert status.message == "bad version (use 3.13)"
    source = source_of(status)
    assert source["ranges"] == [{"start": {"line": 4}, "end": {"line": 5}}]
    assert base64.b64decode(source["info"]["data"]).startswith(b"FROM a\n")
    assert source["info"]["filename"] == "Dockerfile"


def test_an_error_about_two_lines_points_at_both():
    text = "FROM a\nPYENV 3.13 x\nPYENV 3.12 X\n"
    with pytest.raises(PyenvError) as raised:
        plan_dockerfile(text, "Dockerfile", images=debian())
    source = source_of(status_of(raised.value, "Dockerfile", text.encode()))
    assert source["ranges"] == [
        {"start": {"line": 3}, "end": {"line": 3}},
        {"start": {"line": 2}, "end": {"line": 2}},
    ]


def test_errors_without_a_line_have_no_source():
    status = status_of(PyenvError("cannot read"), "Dockerfile", b"")
    assert list(status.details) == []


class FakeRpcError(grpc.RpcError):
    def __init__(self, trailer: bytes | None) -> None:
        self.trailer = trailer

    def trailing_metadata(self):
        return [("grpc-status-details-bin", self.trailer)] if self.trailer else []

    def code(self):
        return grpc.StatusCode.UNAVAILABLE

    def details(self):
        return "connection lost"


def test_status_from_trailer_or_code():
    sent = errdefs_pb2.Status(code=2, message="boom")
    assert status_from_rpc_error(FakeRpcError(sent.SerializeToString())) == sent
    fallback = status_from_rpc_error(FakeRpcError(None))
    assert (fallback.code, fallback.message) == (14, "connection lost")


def test_forwarded_errors_are_mapped_back_to_the_users_lines():
    original = "FROM img\nRUN make\nPYENV 3.13 tools\nRUN after\n"
    rendered = render(plan_dockerfile(original, "Dockerfile", images=debian()))
    lines = rendered.text.split("\n")
    after = lines.index("RUN after") + 1
    venv_run = next(i for i, line in enumerate(lines) if "PYENV_VENV=" in line)  # 0-based
    status = errdefs_pb2.Status(
        code=2,
        message="process \"/bin/sh -c PYENV_VENV=... <<'EOF'\nscript\n\" did not complete "
        "successfully: exit code: 1",
    )
    for line in (after, venv_run):
        value = llb_source_json(rendered.text, line)
        status.details.add(type_url=SOURCE_TYPE_URL, value=value)
    status.details.add(type_url="other", value=b"kept")
    mapped = map_to_user_lines(status, rendered, "Dockerfile", original.encode())
    first, second = (json.loads(d.value) for d in mapped.details[:2])
    assert first["ranges"] == [{"start": {"line": 4}, "end": {"line": 4}}]
    assert second["ranges"] == [{"start": {"line": 3}, "end": {"line": 3}}]
    assert base64.b64decode(first["info"]["data"]).decode() == original
    assert "definition" not in first["info"]
    assert mapped.details[2].value == b"kept"
    assert (
        mapped.message == "a step of the PYENV line 3 did not complete successfully: exit code: 1"
    )


def llb_source_json(text: str, line: int) -> bytes:
    return json.dumps(
        {
            "info": {
                "filename": "Dockerfile",
                "data": base64.b64encode(text.encode()).decode(),
                "definition": {"def": []},
            },
            "ranges": [{"start": {"line": line, "character": 1}, "end": {"line": line}}],
        }
    ).encode()


def test_image_references_are_normalised_as_buildkit_resolves_them():
    from buildkit_frontend.gateway.frontend import normalize_reference

    assert normalize_reference("ubuntu") == "docker.io/library/ubuntu:latest"
    assert normalize_reference("team/app:1") == "docker.io/team/app:1"
    assert normalize_reference("quay.io/astronomer/astro-runtime:12.6.0") == (
        "quay.io/astronomer/astro-runtime:12.6.0"
    )
    assert normalize_reference("localhost:5000/app") == "localhost:5000/app:latest"
    digest = "sha256:" + "a" * 64
    assert normalize_reference(f"app@{digest}") == f"docker.io/library/app@{digest}"


def test_platform_option():
    env = FrontendEnv({"platform": "linux/arm64/v8,linux/amd64"}, "")
    platform = env.platform()
    assert (platform.OS, platform.Architecture, platform.Variant) == ("linux", "arm64", "v8")
    assert FrontendEnv({}, "").platform() is None


class _RpcError(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        self._code, self._details = code, details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details


class _FailingStub:
    def __init__(self, error: grpc.RpcError) -> None:
        self.error = error

    def ReadFile(self, request):
        raise self.error


@pytest.mark.parametrize(
    ("code", "details", "missing"),
    [
        (grpc.StatusCode.NOT_FOUND, "not found", True),
        (grpc.StatusCode.UNKNOWN, "open Dockerfile.dockerignore: no such file or directory", True),
        (grpc.StatusCode.UNKNOWN, "failed to mount: permission denied", False),
        (grpc.StatusCode.UNAVAILABLE, "connection reset", False),
    ],
)
def test_only_a_missing_file_reads_as_none(code, details, missing):
    bridge = Bridge.__new__(Bridge)
    bridge.stub = _FailingStub(_RpcError(code, details))
    if missing:
        assert bridge.read_file("ref", "Dockerfile.dockerignore") is None
    else:
        with pytest.raises(grpc.RpcError):
            bridge.read_file("ref", "Dockerfile.dockerignore")


def test_options_are_read_once_with_buildkits_defaults():
    from buildkit_frontend.gateway.client import FrontendOptions

    empty = FrontendOptions.parse({})
    assert (empty.filename, empty.context_key, empty.dockerfile_key) == (
        "Dockerfile",
        "context",
        None,
    )
    assert (empty.subrequest, empty.image_resolve_mode, empty.platform) == (
        False,
        "default",
        None,
    )
    given = FrontendOptions.parse(
        {
            "filename": "build/Dockerfile.prod",
            "source": "registry.example/frontend:1",
            "requestid": "frontend.outline",
            "dockerfilekey": "dockerfile2",
            "contextkey": "ctx",
            "ctx": "https://example.invalid/repo.git",
            "local-sessionid:ctx": "s-1",
            "build-arg:PY": "3.12",
            "platform": "linux/arm64/v8,linux/amd64",
        }
    )
    assert given.filename == "build/Dockerfile.prod"
    assert given.frontend_image == "registry.example/frontend:1"
    assert given.subrequest and given.dockerfile_key == "dockerfile2"
    assert given.locals["ctx"] == "https://example.invalid/repo.git"
    assert given.session("ctx", "default") == "s-1"
    assert given.session("other", "default") == "default"
    assert given.build_args == {"PY": "3.12"}
    assert given.platform == "linux/arm64/v8"


def test_an_unexpected_read_error_is_an_error_naming_the_file_not_a_traceback():
    from buildkit_frontend.errors import PyenvError
    from buildkit_frontend.gateway.frontend import ContextReader

    class Failing:
        def read_file(self, ref, path):
            raise _RpcError(grpc.StatusCode.UNAVAILABLE, "connection reset")

    reader = ContextReader(Failing(), None, "ref", None)  # type: ignore[arg-type]
    with pytest.raises(PyenvError, match=r"BuildKit could not read reqs\.txt of the build"):
        reader.file("reqs.txt")


def test_a_failing_bridge_ends_the_build_with_an_error_status():
    from buildkit_frontend.gateway import frontend

    returned = []

    class Failing:
        def inputs(self):
            return {}

        def solve_ref(self, definition):
            raise _RpcError(grpc.StatusCode.UNAVAILABLE, "connection reset")

        def return_error(self, status):
            returned.append(status)

    frontend.run(Failing(), FrontendEnv({}, ""))  # type: ignore[arg-type]
    (status,) = returned
    assert "BuildKit could not give what Dockerfile needs: connection reset" in status.message
