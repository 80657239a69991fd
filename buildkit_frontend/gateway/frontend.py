"""The BuildKit frontend: read the Dockerfile, expand PYENV, hand the result to BuildKit's
own Dockerfile frontend (dockerfile.v0), and return what it builds.

The same plan and render as the CLI do the work; this module only moves bytes between
them and BuildKit.
"""

from __future__ import annotations

import contextlib
import posixpath
import re
from dataclasses import dataclass

import grpc

from ..base_os import OS_RELEASE_PATHS, BaseOS, parse_os_release
from ..context import DOCKERIGNORE, Ignore, read_ignore
from ..dockerfile import decode_dockerfile
from ..errors import PyenvError
from ..facts import ImageFacts, gather
from ..plan import Plan, make_plan
from ..render import render
from ..survey import IMAGE_CONFIG, OS_RELEASE, survey_text
from . import llb
from .client import Bridge, FrontendEnv, without_definitions
from .errors import map_to_user_lines, status_from_rpc_error, status_of
from .protos import ops_pb2

FORWARD_TO = "dockerfile.v0"
_REMOTE_CONTEXT = re.compile(r"^(https?://|git@|git://|ssh://)|\.git(#|$)")


@dataclass(frozen=True)
class DockerfileSource:
    """The user's Dockerfile as BuildKit handed it over, and the vertex that loaded it
    (where warnings about it are shown)."""

    filename: str
    data: bytes
    dockerignore: bytes | None
    vertex: str


def run(bridge: Bridge, env: FrontendEnv) -> None:
    """Do one build: always ends with a Return, with a result or an error."""
    inputs = dict(bridge.inputs())
    options = env.options
    filename = options.filename
    data = b""
    try:
        try:
            source = read_dockerfile(bridge, env, inputs)
            filename, data = source.filename, source.data
            text = _decode(data, filename)
            plan = _plan(bridge, env, inputs, source, text)
        except grpc.RpcError as error:  # a read BuildKit failed in a way not foreseen
            details = _details(error)
            raise PyenvError(f"BuildKit could not give what {filename} needs: {details}") from None
        rendered = render(plan, frontend_image=options.frontend_image)
    except PyenvError as error:
        bridge.return_error(status_of(error, filename, data))
        return
    for note in plan.notes:
        # An older BuildKit without warnings: the rendered stage comments still say it.
        with contextlib.suppress(grpc.RpcError):
            bridge.warn(source.vertex, note)

    files = {filename: rendered.text.encode("utf-8", "surrogateescape")}
    if source.dockerignore is not None:
        files[filename + ".dockerignore"] = source.dockerignore
    inputs["dockerfile"] = llb.files_on_scratch(files, f"[buildkit-pyenv] expanded {filename}")
    try:
        # Evaluate, so that a failing PYENV step is reported here and mapped to its
        # line; subrequests (outline, targets, lint) only ask for metadata.
        response = bridge.forward(
            FORWARD_TO, forwarded_opts(env), inputs, evaluate=not options.subrequest
        )
    except grpc.RpcError as error:
        status = status_from_rpc_error(error)
        bridge.return_error(map_to_user_lines(status, rendered, filename, data))
        return
    bridge.return_result(without_definitions(response.result))


def forwarded_opts(env: FrontendEnv) -> dict[str, str]:
    """The options for dockerfile.v0: the user's, reading the Dockerfile from our input."""
    opts = dict(env.opts)
    # With dockerfilekey set, dockerfile.v0 would read the original from the client.
    opts.pop("dockerfilekey", None)
    # With cmdline set, dockerfile.v0 does not look for a syntax line or BUILDKIT_SYNTAX
    # and call this frontend again.
    opts.setdefault("cmdline", opts.get("source", "buildkit-pyenv"))
    return opts


def read_dockerfile(
    bridge: Bridge, env: FrontendEnv, inputs: dict[str, ops_pb2.Definition]
) -> DockerfileSource:
    """The Dockerfile from the `dockerfile` input or the client's local directory."""
    options = env.options
    filename = options.filename
    if options.dockerfile_key is None and "dockerfile" in inputs:
        definition = inputs["dockerfile"]
    elif _REMOTE_CONTEXT.search(options.locals.get("context", "")):
        raise PyenvError(
            "buildkit-pyenv reads the Dockerfile from a local directory; this build's "
            "context is remote",
            hint="clone the repository and build from a local directory, or render with "
            "`buildkit-pyenv render` first",
        )
    else:
        local = options.dockerfile_key or "dockerfile"
        names = [filename, filename + ".dockerignore"]
        if posixpath.basename(filename) == "Dockerfile":
            names.append(posixpath.join(posixpath.dirname(filename), "dockerfile"))
        session = options.session(local, env.session_id)
        definition = llb.local_source(local, session, names, local)
    ref = bridge.solve_ref(definition)
    data = bridge.read_file(ref, filename)
    if data is None and posixpath.basename(filename) == "Dockerfile":
        data = bridge.read_file(ref, posixpath.join(posixpath.dirname(filename), "dockerfile"))
    if data is None:
        raise PyenvError(f"cannot read {filename} from the build's Dockerfile directory")
    dockerignore = bridge.read_file(ref, filename + ".dockerignore")
    return DockerfileSource(filename, data, dockerignore, llb.output_digest(definition))


def _plan(
    bridge: Bridge,
    env: FrontendEnv,
    inputs: dict[str, ops_pb2.Definition],
    source: DockerfileSource,
    text: str,
) -> Plan:
    """Survey, gather through BuildKit (the context files the PYENV lines name in one
    transfer, then what those name; each base image's facts once), and plan."""
    surveyed = survey_text(text, source.filename, env.build_args())
    reader = None
    if surveyed.needs.context_paths:
        reader = ContextReader.open(bridge, env, inputs, source)
    facts = gather(surveyed, reader, GatewayImages(bridge, env))
    return make_plan(surveyed, facts)


class GatewayImages:
    """Facts about base images as BuildKit resolves them (a facts.ImageSource)."""

    endpoint = "BuildKit"

    def __init__(self, bridge: Bridge, env: FrontendEnv) -> None:
        self.bridge = bridge
        self.env = env

    def image(self, reference: str, wanted: frozenset[str]) -> ImageFacts:
        """The ONBUILD triggers (from the image config) and os-release of `reference`."""
        normalized = normalize_reference(reference)
        onbuild = None
        unknown = None
        if IMAGE_CONFIG in wanted:
            try:
                config = self.bridge.image_config(
                    normalized,
                    self.env.platform(),
                    self.env.options.image_resolve_mode,
                    self.env.session_id,
                )
                onbuild = tuple((config.get("config") or {}).get("OnBuild") or ())
            except (grpc.RpcError, ValueError) as error:
                unknown = f"BuildKit could not resolve it: {_details(error)}"
        found_os = None
        if OS_RELEASE in wanted:
            found_os = self._os(normalized)
        return ImageFacts(onbuild=onbuild, os=found_os, unknown_because=unknown)

    def _os(self, normalized: str) -> BaseOS:
        try:
            ref = self.bridge.solve_ref(llb.image_source(normalized, self.env.platform()))
            texts = (self.bridge.read_file(ref, path) for path in OS_RELEASE_PATHS)
            text = next((t for t in texts if t is not None), None)
        except (grpc.RpcError, ValueError) as error:
            return BaseOS(unknown_because=f"BuildKit could not read it: {_details(error)}")
        if text is None:
            return BaseOS(unknown_because="it has no /etc/os-release")
        return parse_os_release(text.decode("utf-8", "replace"))


def _details(error: Exception) -> str:
    return error.details() if isinstance(error, grpc.RpcError) else str(error)


def normalize_reference(image: str) -> str:
    """`name[:tag]` as BuildKit resolves it: with a registry and a tag."""
    first, _, rest = image.partition("/")
    if not rest:
        image = f"docker.io/library/{image}"
    elif "." not in first and ":" not in first and first != "localhost":
        image = f"docker.io/{image}"
    last = image.rsplit("/", 1)[-1]
    if ":" not in last and "@" not in last:
        image += ":latest"
    return image


class ContextReader:
    """Files of the build context as COPY will see them, read through BuildKit on demand
    (requirements files name others, so not all are known at first).

    The ignore file is the one dockerfile.v0 applies (`<Dockerfile>.dockerignore`, else
    the context's `.dockerignore`), read and matched by `context`, as the CLI does; BuildKit
    gets the same patterns, so a symlink whose target is excluded is missing here too.
    """

    def __init__(
        self,
        bridge: Bridge,
        local: tuple[str, str] | None,
        ref: str | None,
        ignore: Ignore | None,
    ) -> None:
        self.bridge = bridge
        self.local = local  # (local name, session) of the client's directory
        self.ref = ref  # the whole context, when it came as a frontend input
        self.ignore = ignore
        self.refs: dict[str, str] = {}  # path → the solved source that holds it
        self.read: dict[str, bytes | None] = {}
        self.label = "the build context" + (f" (after {ignore.name})" if ignore else "")

    @classmethod
    def open(
        cls,
        bridge: Bridge,
        env: FrontendEnv,
        inputs: dict[str, ops_pb2.Definition],
        source: DockerfileSource,
    ) -> ContextReader | None:
        """A reader of this build's context; None when it cannot be read here."""
        options = env.options
        local = options.context_key
        if "context" in inputs:  # dockerfile.v0 applies no ignore file to it
            return cls(bridge, None, bridge.solve_ref(inputs["context"]), None)
        if _REMOTE_CONTEXT.search(options.locals.get(local, "")):
            return None  # BuildKit fetches it later; COPY reports what is missing
        session = options.session(local, env.session_id)
        data, name = source.dockerignore, source.filename + DOCKERIGNORE
        if data is None:
            found = bridge.solve_ref(llb.local_source(local, session, [DOCKERIGNORE], local))
            data, name = bridge.read_file(found, DOCKERIGNORE), DOCKERIGNORE
        ignore = read_ignore(data, name) if data is not None else None
        return cls(bridge, (local, session), None, ignore)

    def prefetch(self, paths: tuple[str, ...] | list[str]) -> None:
        """Load `paths` from the client in one transfer."""
        wanted = [p for p in paths if p not in self.refs and not self._excluded(p)]
        if not wanted or self.local is None:
            return
        name, session = self.local
        patterns = list(self.ignore.patterns) if self.ignore is not None else None
        ref = self.bridge.solve_ref(llb.local_source(name, session, wanted, name, patterns))
        self.refs.update(dict.fromkeys(wanted, ref))

    def _excluded(self, path: str) -> bool:
        return self.ignore is not None and self.ignore.excludes(path)

    def _ref(self, path: str) -> str | None:
        if self.ref is not None:
            return self.ref
        if self._excluded(path):
            return None
        self.prefetch([path])
        return self.refs.get(path)

    def file(self, path: str) -> bytes | None:
        """The bytes of a context file, or None when the build cannot see it."""
        if path not in self.read:
            ref = self._ref(path)
            try:
                self.read[path] = None if ref is None else self.bridge.read_file(ref, path)
            except grpc.RpcError as error:
                if "is a directory" not in (error.details() or ""):
                    raise PyenvError(
                        f"BuildKit could not read {path} of the build context: {_details(error)}"
                    ) from None
                self.read[path] = None  # a directory is no file (is_directory tells)
        return self.read[path]

    def is_directory(self, path: str) -> bool:
        """Whether a context path is a directory the build sees."""
        ref = self._ref(path)
        return ref is not None and self.bridge.is_directory(ref, path)


def _decode(data: bytes, filename: str) -> str:
    """The Dockerfile's text; one that is not UTF-8 and has no PYENV line goes through
    byte for byte (its bytes kept as surrogates), as BuildKit would build it."""
    decoded = decode_dockerfile(data, filename)
    return data.decode("utf-8", "surrogateescape") if decoded is None else decoded
