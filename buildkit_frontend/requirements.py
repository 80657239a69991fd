"""Requirements files as teams write them: which context files one needs.

A requirements file may name others (`-r`/`--requirement`, `-c`/`--constraint`, nested),
local projects and archives (`./libs/mypkg`, `-e ./libs/mypkg`, `dist/x-1.0-py3-none-any.whl`,
`file:./libs/mypkg`, `name @ file:./libs/mypkg`) and find-links directories (`-f ./wheels`).
`collect` follows them through the build context and returns every context path the install
reads, so the venv stage can copy each one to the same relative layout and a change to any
of them rebuilds that environment only.

Paths follow pip's rules: `-r` and `-c` are relative to the file that names them; local
projects, archives and find-links relative to the working directory, which the install
sets to the build context's root (as when pip runs in a project's top directory).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

#: Options whose value is another requirements file (relative to the file naming it).
_INCLUDES = {"-r": "-r", "--requirement": "-r", "-c": "-c", "--constraint": "-c"}
#: Options whose value may be a local path (relative to the working directory).
_PATH_OPTIONS = {"-e": "-e", "--editable": "-e", "-f": "-f", "--find-links": "-f"}
_ARCHIVE = re.compile(r".*\.(whl|zip|tar\.gz|tgz|tar\.bz2|tbz|tar\.xz|txz|tar)$", re.IGNORECASE)
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# The patterns below read a line in one pass: none fails and starts again at each
# position of a long run (pip's own comment pattern, `(^|\s+)#.*$`, takes minutes on a
# line of 100 KB of spaces), so a requirements file of megabytes is read in seconds.
#: A run of the characters of a URL scheme (matched backwards from a `://`).
_SCHEME_RUN = re.compile(r"[A-Za-z0-9+.-]+")
#: The user part after `://`, up to a `/`, white space or `@`.
_USER = re.compile(r"[^/\s@]*")
#: What shlex splits words at, and the runs of characters it takes as they are.
_SHLEX_SPACE = " \t\r\n"
_SHLEX_PLAIN = re.compile(r"[^ \t\r\n'\"\\]+")
_SHLEX_SPLIT = re.compile(r"[ \t\r\n]+")
_SHLEX_SPECIAL = re.compile(r"['\"\\]")
_DOUBLE_QUOTED_PLAIN = re.compile(r'[^"\\]+')
# COPY would take these as patterns or variables (as for the PYENV line's own file).
_PATH_SPECIALS = re.compile(r"[*?\[\]$\\]")
SECRETS_HINT = (
    "pass credentials as a BuildKit secret instead (--secret id=netrc, pip.conf, uv.toml "
    "or index-url; README: Private package indexes)"
)


@dataclass(frozen=True)
class ContextPath:
    """A context path the install reads: a file, or a directory (a local project)."""

    path: str
    directory: bool = False


@dataclass(frozen=True)
class RequirementsFiles:
    """What a requirements file needs from the build context, the file itself first,
    and what is worth a warning (never the secret itself)."""

    paths: tuple[ContextPath, ...]
    warnings: tuple[str, ...] = ()


class RequirementsProblem(Exception):
    """A reference the build cannot satisfy; the message names the file and its line."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class _Reference:
    kind: str  # "-r", "-c" (files), "path" (a file or directory), "-e", "-f"
    value: str
    line: int


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each line pip reads: continuations joined,
    comments dropped, blank lines skipped."""
    found: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending.append(raw[:-1])
            continue
        pending.append(raw)
        line = _without_comment("".join(pending)).strip()
        pending = []
        if line:
            found.append((start, line))
    if pending:
        line = _without_comment("".join(pending)).strip()
        if line:
            found.append((start, line))
    return found


def _without_comment(line: str) -> str:
    """`line` up to its comment, a `#` at its start or after white space (what pip's
    `(^|\\s+)#.*$` removes, less the white space, which the caller strips)."""
    at = line.find("#")
    while at > 0 and not line[at - 1].isspace():
        at = line.find("#", at + 1)
    return line if at < 0 else line[:at]


def references(text: str) -> list[_Reference]:
    """The files and local paths one requirements file names, in order."""
    found: list[_Reference] = []
    for number, line in logical_lines(text):
        if line.startswith("-"):
            found.extend(_option_references(line, number))
            continue
        spec = line.split(" --", 1)[0].split(";", 1)[0].strip()
        path = _local_path(spec)
        if path is not None:
            found.append(_Reference("path", path, number))
    return found


def _option_references(line: str, number: int) -> list[_Reference]:
    try:
        words = option_words(line)
    except ValueError:
        words = line.split()
    found = []
    index = 0
    while index < len(words):
        word = words[index]
        name, equals, value = word.partition("=")
        kind = _INCLUDES.get(name) or _PATH_OPTIONS.get(name)
        if kind is None and len(word) > 2 and word[:2] in ("-r", "-c", "-e", "-f"):
            kind, value, equals = word[:2], word[2:], "="  # -rfile, as pip takes it
        if kind is not None:
            if not equals and index + 1 < len(words):
                index += 1
                value = words[index]
            if kind in ("-r", "-c"):
                found.append(_Reference(kind, value, number))
            else:
                path = _local_path(value)
                if path is not None:
                    found.append(_Reference(kind, path, number))
        index += 1
    return found


def option_words(line: str) -> list[str]:
    """The words of an options line as pip splits them (`shlex.split`: POSIX quotes and
    backslashes), in one pass: shlex itself grows each word a character at a time, in
    time quadratic in its length. ValueError for an unclosed quote or a last backslash,
    as shlex raises."""
    if not _SHLEX_SPECIAL.search(line):
        return [word for word in _SHLEX_SPLIT.split(line) if word]
    words: list[str] = []
    word: list[str] = []
    quoted = False  # the word has quotes, so it counts even when empty
    pos, length = 0, len(line)
    while pos < length:
        char = line[pos]
        if char in _SHLEX_SPACE:
            if word or quoted:
                words.append("".join(word))
            word, quoted = [], False
            pos += 1
        elif char == "'":
            end = line.find("'", pos + 1)
            if end < 0:
                raise ValueError("No closing quotation")
            word.append(line[pos + 1 : end])
            quoted, pos = True, end + 1
        elif char == '"':
            quoted, pos = True, _double_quoted(line, pos + 1, word)
        elif char == "\\":
            if pos + 1 == length:
                raise ValueError("No escaped character")
            word.append(line[pos + 1])
            pos += 2
        else:
            end = _SHLEX_PLAIN.match(line, pos).end()  # type: ignore[union-attr]
            word.append(line[pos:end])
            pos = end
    if word or quoted:
        words.append("".join(word))
    return words


def _double_quoted(line: str, pos: int, word: list[str]) -> int:
    """Add the double-quoted text from `pos` on to `word` (a backslash escapes only `"`
    and itself there); return where the closing quote ends."""
    length = len(line)
    while pos < length:
        char = line[pos]
        if char == '"':
            return pos + 1
        if char == "\\":
            if pos + 1 == length:
                raise ValueError("No escaped character")
            following = line[pos + 1]
            word.append(following if following in '"\\' else char + following)
            pos += 2
            continue
        end = _DOUBLE_QUOTED_PLAIN.match(line, pos).end()  # type: ignore[union-attr]
        word.append(line[pos:end])
        pos = end
    raise ValueError("No closing quotation")


def _local_path(spec: str) -> str | None:
    """The path a requirement or option value names, or None for a name or remote URL."""
    if "@" in spec and not _URL.match(spec):
        spec = spec.partition("@")[2].strip()  # name @ url
    if spec.startswith("file:"):
        rest = spec[len("file:") :]
        if rest.startswith("//"):
            rest = rest[2:]
            rest = rest[rest.find("/") :] if not rest.startswith("/") else rest
        return _without_extras(rest.split("#", 1)[0]) or None
    if _URL.match(spec) or not spec:
        return None
    spec = _without_extras(spec)
    if spec.startswith((".", "/")) or "/" in spec or _ARCHIVE.fullmatch(spec):
        return spec
    return None


def _without_extras(spec: str) -> str:
    """`spec` less the `[extra,...]` it ends in, if any (from the first `[` after the
    last `]` before the final one)."""
    if not spec.endswith("]"):
        return spec
    last = len(spec) - 1
    opening = spec.find("[", spec.rfind("]", 0, last) + 1, last)
    return spec if opening < 0 else spec[:opening]


def credential_lines(text: str) -> list[int]:
    """Lines holding a URL with literal credentials (user:password@, or a token@ for http)."""
    return [number for number, line in logical_lines(text) if _has_credentials(line)]


def _has_credentials(line: str) -> bool:
    """Whether `line` has a scheme://user@ whose user holds a password (user:password),
    or any user for http(s); a ${VARIABLE} pip expands is no literal secret."""
    pieces = line.split("://")
    for before, after in zip(pieces, pieces[1:]):
        # the scheme: the run of scheme characters `://` ends, from a letter on
        scheme = _SCHEME_RUN.match(before[::-1])
        if scheme is None or not any(c.isalpha() for c in scheme.group()):
            continue
        user = _USER.match(after).group()  # type: ignore[union-attr]
        if not user or not after.startswith("@", len(user)) or "${" in user:
            continue
        if ":" in user or scheme.group()[::-1].lower().endswith(("http", "https")):
            return True
    return False


def collect(
    root: str,
    read: Callable[[str], bytes | None],
    is_directory: Callable[[str], bool] | None,
) -> RequirementsFiles:
    """Follow `root` (a context path the caller found) and everything it names.

    `read` gives a context file's bytes (None when the build cannot see it),
    `is_directory` whether a context path is a directory; raises RequirementsProblem."""
    paths: dict[str, ContextPath] = {root: ContextPath(root)}
    warnings: list[str] = []
    pending = [root]
    seen = {root}
    while pending:
        current = pending.pop(0)
        data = read(current)
        if data is None:  # only a nested one: the caller checked the root
            raise RequirementsProblem(
                f"{current} is not in the build context", "paths are relative to the context"
            )
        text = data.decode("utf-8", "replace")
        for number in credential_lines(text):
            warnings.append(f"{current}:{number} has credentials in a URL; {SECRETS_HINT}")
        followed: set[tuple[str, str]] = set()
        for ref in references(text):
            if (ref.kind, ref.value) in followed:
                continue  # the same answer as the first time
            followed.add((ref.kind, ref.value))
            where = f"{current}:{ref.line}"
            if ref.kind in ("-r", "-c"):
                base = posixpath.dirname(current)
                path = _inside(posixpath.join(base, ref.value), ref.value, where, ref.kind)
                if read(path) is None:
                    what = "requirements" if ref.kind == "-r" else "constraints"
                    raise RequirementsProblem(
                        f"{where}: {what} file {ref.value!r} ({path}) is not in the build context",
                        f"{ref.kind} paths are relative to the file that names them, "
                        "as pip reads them; check the name and .dockerignore",
                    )
                paths.setdefault(path, ContextPath(path))
                if path not in seen:
                    seen.add(path)
                    pending.append(path)
                continue
            path = _inside(ref.value, ref.value, where, ref.kind)
            if path == "." or (is_directory is not None and is_directory(path)):
                paths.setdefault(path, ContextPath(path, directory=True))
            elif read(path) is not None:
                paths.setdefault(path, ContextPath(path))
            else:
                raise RequirementsProblem(
                    f"{where}: local path {ref.value!r} is not in the build context",
                    "local paths are relative to the build context's root (the install "
                    "runs there); check the name and .dockerignore",
                )
    return RequirementsFiles(tuple(paths.values()), tuple(warnings))


def _inside(path: str, shown: str, where: str, kind: str) -> str:
    """`path` normalised, or the error for one that leaves the build context."""
    if path.startswith("/"):
        raise RequirementsProblem(
            f"{where}: {shown!r} is an absolute path; the build reads files only from the "
            "build context",
            "give it relative to the build context (copy the file into it)",
        )
    if _PATH_SPECIALS.search(path):
        raise RequirementsProblem(
            f"{where}: {shown!r} holds a wildcard, $ or backslash, which COPY would expand",
            "rename the file, or name it without those characters",
        )
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../"):
        raise RequirementsProblem(
            f"{where}: {shown!r} leaves the build context",
            "move the file into the build context, or build from a directory that holds it",
        )
    return normal


#: A package as apt-get install takes one, `name[:arch][=version]`: a name per Debian
#: policy 5.6.7 (lower case, digits, + - ., two or more, first alphanumeric), an
#: architecture (amd64, arm64, i386), a version of policy 5.6.12's characters
#: ([epoch:]upstream[-revision]: digits for the epoch, then alphanumerics and . + ~ -).
#: None of them is special to the shell, which splits the list into words at build time.
APT_PACKAGE = re.compile(
    r"[a-z0-9][a-z0-9+.-]+(?::[a-z0-9-]+)?(?:=(?:[0-9]+:)?[A-Za-z0-9](?:[A-Za-z0-9.+~-]*[A-Za-z0-9.+~])?)?"
)
#: What the shell splits words at (its IFS): nothing else separates two names.
_IFS = re.compile(r"[ \t\n]+")
APT_PACKAGE_HINT = (
    "list packages as apt-get takes them, name[:arch][=version] (libpq-dev, "
    "libc6:amd64, libpq-dev=15.8-0+deb12u1), separated by spaces, tabs or lines"
)


def package_list(text: str, name: str) -> list[str]:
    """The Debian packages of an Astro-style packages.txt, read as venv-build.sh reads
    it at build time: CRs dropped, from `#` to the end of a line a comment, words split
    at spaces, tabs and newlines; RequirementsProblem names the file and line of a word
    that is no package (anything else, a no-break space or a `$`, is part of a word)."""
    names = []
    for number, line in enumerate(text.replace("\r", "").split("\n"), 1):
        for word in _IFS.split(line.split("#", 1)[0]):
            if not word:
                continue
            if not APT_PACKAGE.fullmatch(word):
                raise RequirementsProblem(
                    f"{name}:{number}: {word!r} is not a Debian package name", APT_PACKAGE_HINT
                )
            names.append(word)
    return names
