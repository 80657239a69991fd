"""The LLBBridge calls the frontend makes, and the options BuildKit starts it with."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import grpc

from .protos import errdefs_pb2, gateway_pb2, gateway_pb2_grpc, ops_pb2

OPT_PREFIX = "BUILDKIT_FRONTEND_OPT_"


@dataclass(frozen=True)
class FrontendOptions:
    """The frontend options this frontend reads, each key named here once (BuildKit's
    dockerui names them so); the rest are only forwarded to dockerfile.v0."""

    filename: str  # "filename": the Dockerfile's path in its directory
    frontend_image: str | None  # "source": the image BuildKit runs as this frontend
    subrequest: bool  # "requestid": outline, targets, lint... ask for metadata only
    dockerfile_key: str | None  # "dockerfilekey": the client's Dockerfile directory
    context_key: str  # "contextkey": the name of the build context
    image_resolve_mode: str  # "image-resolve-mode"
    locals: Mapping[str, str]  # "<name>": what a local or remote context/directory is
    sessions: Mapping[str, str]  # "local-sessionid:<name>": the session it comes from
    build_args: Mapping[str, str]  # "build-arg:<NAME>"
    platform: str | None  # "platform": the first target platform, if named

    @classmethod
    def parse(cls, opts: Mapping[str, str]) -> FrontendOptions:
        """Read the options once, with BuildKit's defaults."""
        prefix, arg = "local-sessionid:", "build-arg:"
        return cls(
            filename=opts.get("filename", "Dockerfile"),
            frontend_image=opts.get("source"),
            subrequest="requestid" in opts,
            dockerfile_key=opts.get("dockerfilekey"),
            context_key=opts.get("contextkey", "context"),
            image_resolve_mode=opts.get("image-resolve-mode", "default"),
            locals={k: v for k, v in opts.items() if ":" not in k},
            sessions={k[len(prefix) :]: v for k, v in opts.items() if k.startswith(prefix)},
            build_args={k[len(arg) :]: v for k, v in opts.items() if k.startswith(arg)},
            platform=opts.get("platform", "").split(",")[0].strip() or None,
        )

    def session(self, local: str, default: str) -> str:
        """The session a local source `local` is read from."""
        return self.sessions.get(local, default)


@dataclass(frozen=True)
class FrontendEnv:
    """What BuildKit tells a frontend through its environment (BUILDKIT_WORKERS and
    BUILDKIT_EXPORTEDPRODUCT too, which this frontend has no use for)."""

    opts: Mapping[str, str]
    session_id: str

    @property
    def options(self) -> FrontendOptions:
        """The options this frontend reads, parsed."""
        return FrontendOptions.parse(self.opts)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> FrontendEnv:
        """Read BUILDKIT_FRONTEND_OPT_<i>=<key>=<value> and the session."""
        opts = {}
        for name, value in environ.items():
            if name.startswith(OPT_PREFIX):
                key, _, opt_value = value.partition("=")
                opts[key] = opt_value
        return cls(opts, environ.get("BUILDKIT_SESSION_ID", ""))

    def platform(self) -> ops_pb2.Platform | None:
        """The first target platform the build asks for, if it names one."""
        first = self.options.platform
        if not first:
            return None
        parts = first.split("/")
        platform = ops_pb2.Platform(OS=parts[0], Architecture=parts[1] if len(parts) > 1 else "")
        if len(parts) > 2:
            platform.Variant = parts[2]
        return platform

    def build_args(self) -> dict[str, str]:
        """The `build-arg:NAME` options, by NAME."""
        return dict(self.options.build_args)


class Bridge:
    """Thin typed calls on the LLBBridge service."""

    def __init__(self, channel: grpc.Channel) -> None:
        self.stub = gateway_pb2_grpc.LLBBridgeStub(channel)

    def inputs(self) -> Mapping[str, ops_pb2.Definition]:
        """Definitions the client passed as frontend inputs (e.g. `dockerfile`)."""
        return self.stub.Inputs(gateway_pb2.InputsRequest()).Definitions

    def solve_ref(self, definition: ops_pb2.Definition) -> str:
        """Solve a definition and return its reference id, for ReadFile."""
        response = self.stub.Solve(
            gateway_pb2.SolveRequest(Definition=definition, allowResultReturn=True)
        )
        result = response.result
        return result.ref.id if result.HasField("ref") else (result.refDeprecated or response.ref)

    def read_file(self, ref: str, path: str) -> bytes | None:
        """A file of a solved reference, or None when it is not there."""
        try:
            return self.stub.ReadFile(gateway_pb2.ReadFileRequest(Ref=ref, FilePath=path)).Data
        except grpc.RpcError as error:
            # Only "not found" means missing (BuildKit 0.13 sends it as UNKNOWN with the
            # OS error's text); anything else BuildKit says stays an error.
            if error.code() == grpc.StatusCode.NOT_FOUND or (
                error.code() == grpc.StatusCode.UNKNOWN
                and (error.details() or "").endswith("no such file or directory")
            ):
                return None
            raise

    def is_directory(self, ref: str, path: str) -> bool:
        """Whether `path` of a solved reference is a directory (ReadFile refuses one)."""
        try:
            self.stub.ReadFile(
                gateway_pb2.ReadFileRequest(
                    Ref=ref, FilePath=path, Range=gateway_pb2.FileRange(Offset=0, Length=1)
                )
            )
        except grpc.RpcError as error:
            return "is a directory" in (error.details() or "")
        return False

    def forward(
        self,
        frontend: str,
        opts: Mapping[str, str],
        inputs: Mapping[str, ops_pb2.Definition],
        evaluate: bool,
    ) -> gateway_pb2.SolveResponse:
        """Hand the build to another frontend (dockerfile.v0) and return its result."""
        request = gateway_pb2.SolveRequest(
            Frontend=frontend,
            allowResultReturn=True,
            allowResultArrayRef=True,
            Evaluate=evaluate,
        )
        request.FrontendOpt.update(opts)
        for name, definition in inputs.items():
            request.FrontendInputs[name].CopyFrom(definition)
        return self.stub.Solve(request)

    def image_config(
        self, ref: str, platform: ops_pb2.Platform | None, resolve_mode: str, session_id: str
    ) -> dict:
        """The config (as in an image's config blob) of image `ref`."""
        request = gateway_pb2.ResolveImageConfigRequest(
            Ref=ref,
            ResolveMode=resolve_mode,
            LogName=f"[buildkit-pyenv] look for ONBUILD triggers in {ref}",
            SessionID=session_id,
        )
        if platform is not None:
            request.Platform.CopyFrom(platform)
        return json.loads(self.stub.ResolveImageConfig(request).Config or b"{}")

    def warn(self, vertex: str, message: str) -> None:
        """Show a warning with the build's progress, on vertex `vertex` (a digest)."""
        self.stub.Warn(gateway_pb2.WarnRequest(digest=vertex, level=1, short=message.encode()))

    def return_result(self, result: gateway_pb2.Result) -> None:
        """Finish the build with `result`."""
        self.stub.Return(gateway_pb2.ReturnRequest(result=result))

    def return_error(self, status: errdefs_pb2.Status) -> None:
        """Finish the build with an error."""
        self.stub.Return(gateway_pb2.ReturnRequest(error=status))


def without_definitions(result: gateway_pb2.Result) -> gateway_pb2.Result:
    """`result` with each Ref's definition cleared: BuildKit only needs the ids back, and
    a large definition would exceed the message limit."""
    trimmed = gateway_pb2.Result()
    trimmed.CopyFrom(result)
    if trimmed.HasField("ref"):
        trimmed.ref.ClearField("def")
    if trimmed.HasField("refs"):
        for ref in trimmed.refs.refs.values():
            ref.ClearField("def")
    return trimmed
