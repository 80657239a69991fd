"""The build context as a build sees it: .dockerignore and symlinks, the same for the CLI
and the frontend."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from buildkit_frontend.context import directory_reader, local_ignore, read_ignore, resolve
from buildkit_frontend.errors import PyenvError
from buildkit_frontend.gateway import frontend
from buildkit_frontend.gateway.client import FrontendEnv
from buildkit_frontend.gateway.protos import ops_pb2


def test_ignore_files_are_read_as_buildkit_reads_them():
    data = (
        b"\xef\xbb\xbf# a comment\r\n"
        b"  /build/  \r\n"
        b"  #not-a-comment\n"
        b"./docs/../secrets\n"
        b"\n"
        b"! keep.txt\n"
        b"**/*.log"
    )
    ignore = read_ignore(data, ".dockerignore")
    assert ignore.patterns == ("build", "#not-a-comment", "secrets", "!keep.txt", "**/*.log")


def test_an_invalid_pattern_is_an_error_naming_the_file():
    with pytest.raises(PyenvError) as raised:
        read_ignore(b"ok\n[\n", "app.Dockerfile.dockerignore")
    assert str(raised.value).startswith("app.Dockerfile.dockerignore: Invalid ignore pattern '['")


@pytest.mark.parametrize(
    ("patterns", "path", "excluded"),
    [
        ("*.txt", "req.txt", True),
        ("*.txt", "sub/req.txt", False),  # * does not cross /
        ("**/*.txt", "sub/deep/req.txt", True),
        ("sub", "sub/req.txt", True),  # a directory excludes what is under it
        ("sub/", "sub/req.txt", True),
        ("/sub", "sub/req.txt", True),
        ("*\n!req.txt", "req.txt", False),
        ("*\n!req.txt", "other.txt", True),
        ("!req.txt\n*", "req.txt", True),  # the last match wins
        ("sub\n!sub/req.txt", "sub/req.txt", False),
        ("REQ.txt", "req.txt", False),  # case matters, as on Linux
        ("[a-c].txt", "b.txt", True),
        ("[^a-c].txt", "b.txt", False),
        ("\\*.txt", "*.txt", True),
        ("\\*.txt", "a.txt", False),
        ("re?.txt", "req.txt", True),
        ("req.txt/", "req.txt", True),
        ("# req.txt", "req.txt", False),
    ],
)
def test_ignore_semantics_are_moby_patternmatchers(patterns, path, excluded):
    assert read_ignore(patterns.encode(), ".dockerignore").excludes(path) is excluded


def test_no_patterns_exclude_nothing():
    assert not read_ignore(b"# only a comment\n", ".dockerignore").excludes("a")


@pytest.fixture
def context(tmp_path: Path) -> Path:
    root = tmp_path / "ctx"
    (root / "real").mkdir(parents=True)
    (root / "real" / "req.txt").write_text("six\n")
    (root / "req.txt").write_text("plain\n")
    (root / "to-real").symlink_to("real/req.txt")
    (root / "absolute").symlink_to("/real/req.txt")  # counts from the context's root
    (root / "passwd").symlink_to("/etc/passwd")
    (root / "up").symlink_to("../../../../../../etc/passwd")
    (root / "dir").symlink_to("real")
    (root / "loop").symlink_to("loop")
    (root / "dangling").symlink_to("nowhere.txt")
    return root


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("req.txt", ("req.txt", ())),
        ("to-real", ("real/req.txt", ("to-real",))),
        ("absolute", ("real/req.txt", ("absolute",))),
        ("passwd", None),  # <context>/etc/passwd: there is none
        ("up", None),  # .. stops at the context's root: the same
        ("dir/req.txt", ("real/req.txt", ("dir",))),
        ("missing.txt", None),
        ("req.txt/x", None),
        ("loop", None),
    ],
)
def test_symlinks_resolve_inside_the_context(context, path, expected):
    found = resolve(context, path)
    if expected is None:
        assert found is None
    else:
        assert found[0] == expected[0]
        assert found[1][: len(expected[1])] == expected[1]


def test_a_link_out_of_the_context_is_not_in_it(context):
    read = directory_reader(context, None)
    assert read("passwd") is None and read("up") is None
    assert read("dangling") is None and read("loop") is None and read("dir") is None
    assert read("to-real") == b"six\n" and read("dir/req.txt") == b"six\n"
    # A file the context has at that path is what BuildKit copies, and so is read here.
    (context / "etc").mkdir()
    (context / "etc" / "passwd").write_text("in the context\n")
    assert read("passwd") == b"in the context\n"


def test_special_files_are_not_read(context):
    os.mkfifo(context / "fifo")
    assert directory_reader(context, None)("fifo") is None


@pytest.mark.parametrize(
    ("patterns", "path"),
    [
        ("real", "to-real"),  # the target is excluded
        ("to-real", "to-real"),  # the link itself is
        ("dir", "dir/req.txt"),  # a directory link on the way is
        ("*.txt", "req.txt"),
    ],
)
def test_ignore_applies_to_links_and_their_targets(context, patterns, path):
    assert directory_reader(context, None)(path) is not None
    ignore = read_ignore(patterns.encode(), ".dockerignore")
    assert directory_reader(context, ignore)(path) is None


def test_the_dockerfiles_own_ignore_file_wins(tmp_path):
    (tmp_path / ".dockerignore").write_text("a.txt\n")
    dockerfile = tmp_path / "build" / "app.Dockerfile"
    dockerfile.parent.mkdir()
    assert local_ignore(tmp_path, dockerfile).patterns == ("a.txt",)
    assert local_ignore(tmp_path, None).name == str(tmp_path / ".dockerignore")
    (tmp_path / "build" / "app.Dockerfile.dockerignore").write_text("b.txt\n")
    own = local_ignore(tmp_path, dockerfile)
    assert (own.name, own.patterns) == (str(dockerfile) + ".dockerignore", ("b.txt",))
    assert local_ignore(tmp_path / "build", None) is None


class FakeBridge:
    """BuildKit as the frontend sees it, serving a local directory: a local source sends
    what its exclude patterns leave (moby/patternmatcher, modelled by the same port), and
    ReadFile resolves symlinks inside what was sent."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sources: list[dict[str, str]] = []

    def solve_ref(self, definition: ops_pb2.Definition) -> str:
        op = ops_pb2.Op.FromString(getattr(definition, "def")[0])
        self.sources.append(dict(op.source.attrs))
        return str(len(self.sources) - 1)

    def read_file(self, ref: str, path: str) -> bytes | None:
        attrs = self.sources[int(ref)]
        patterns = json.loads(attrs.get("local.excludepatterns", "[]"))
        sent = read_ignore("\n".join(patterns).encode(), "excludepatterns") if patterns else None
        return directory_reader(self.root, sent)(path)


CASES = [
    (".dockerignore", "*.txt\n!keep.txt\n"),
    (".dockerignore", "real\n"),
    (".dockerignore", "to-real\n"),
    (".dockerignore", "dir\n"),
    (".dockerignore", "REQ.TXT\n"),
    ("Dockerfile.dockerignore", "req.txt\n"),
    (None, None),
]


@pytest.mark.parametrize(("ignore_name", "patterns"), CASES)
def test_cli_and_frontend_see_the_same_files(context, ignore_name, patterns):
    wanted = ["req.txt", "to-real", "dir/req.txt", "passwd", "keep.txt", "absolute"]
    (context / "keep.txt").write_text("kept\n")
    dockerignore = None
    if ignore_name == ".dockerignore":
        (context / ".dockerignore").write_text(patterns)
    elif ignore_name is not None:
        dockerignore = patterns.encode()
        (context / ignore_name).write_text(patterns)
    cli = directory_reader(context, local_ignore(context, context / "Dockerfile"))
    seen_by_cli = {path: cli(path) for path in wanted}

    bridge = FakeBridge(context)
    source = frontend.DockerfileSource("Dockerfile", b"", dockerignore, "v")
    env = FrontendEnv({}, "session")
    reader = frontend.ContextReader.open(bridge, env, {}, source)
    reader.prefetch(wanted)
    ignore = reader.ignore
    assert {path: reader.file(path) for path in wanted} == seen_by_cli
    assert seen_by_cli["passwd"] is None  # never the machine's /etc/passwd
    # BuildKit gets the same cleaned patterns, so the build copies what was checked.
    if patterns:
        loaded = json.loads(bridge.sources[-1]["local.excludepatterns"])
        assert tuple(loaded) == ignore.patterns


def test_the_frontend_never_hashes_a_file_outside_the_context(context):
    outside = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()
    bridge = FakeBridge(context)
    source = frontend.DockerfileSource("Dockerfile", b"", None, "v")
    reader = frontend.ContextReader.open(bridge, FrontendEnv({}, "s"), {}, source)
    assert reader.file("passwd") is None
    assert outside != hashlib.sha256(reader.file("passwd") or b"").hexdigest()
