"""Dockerfile text → instructions that remember their lines, read as BuildKit reads them.

BuildKit's parser (moby/buildkit, frontend/dockerfile/parser) decides what an
instruction is, so this module follows its rules rather than dockerfile-parse's:

- Parser directives (`# syntax=`, `# escape=`, `# check=`) are the comment lines at the
  very top, leading white space allowed; the first other line ends them.
- A line whose last characters are the escape character and then only spaces and tabs
  continues on the next line (not form feed, vertical tab or NBSP). While an
  instruction continues, comment lines and empty lines are skipped (the latter with a
  warning); a file may end while an instruction still continues.
- The keyword is the first word, split at spaces, tabs, CR, form feed and vertical
  tab only; flags are the `--` words after it, up to the first other word.
- RUN, COPY and ADD, and ONBUILD of them, read heredocs (`<<EOF`, `<<-EOF`,
  `<<"EOF"`, `<<\\EOF`, `<<E"O"F`, `3<<EOF`) from the lines that follow, up to a line
  that is exactly the terminator (after dropping leading tabs for `<<-`).

tests/fixtures/buildkit-parse holds BuildKit's own reading of the tricky cases, and
tests/unit/test_buildkit_parse.py checks this module against it.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import re
from dataclasses import dataclass

from .errors import PyenvError, SourceRange

# Go's unicode.IsSpace, which BuildKit uses to trim lines (Python's str.isspace differs).
_GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
# What splits the keyword from its arguments (BuildKit's reWhitespace).
_KEYWORD_SPLIT = re.compile(r"[\t\v\f\r ]+")
# A directive line after its `#` and white space, up to its value (BuildKit's pattern
# is `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`, whose value `_directive_value` finds
# in one pass); \s is ASCII as in Go's RE2.
_DIRECTIVE = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=")
_RE2_SPACE = "\t\n\f\r "
#: The longest line BuildKit's parser reads, in bytes without its newline (its line
#: scanner's buffer, bufio.MaxScanTokenSize, holds the newline too).
MAX_LINE_BYTES = 65535
_DIRECTIVE_NAMES = frozenset({"syntax", "escape", "check"})
# A heredoc word: optional file descriptor, <<, optional -, and the name.
_HEREDOC_WORD = re.compile(r"(\d*)<<(-?)[\t\n\f\r ]*([^<]*)\Z", re.S)
_HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
_BOM = "\ufeff"

# Every instruction BuildKit knows, for "unknown instruction" messages.
BUILDKIT_INSTRUCTIONS = (
    *("ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK"),
    *("LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME"),
    "WORKDIR",
)


@dataclass(frozen=True)
class Directive:
    """A parser directive such as `# syntax=...`."""

    name: str
    value: str
    line: int  # 0-based

    @property
    def image(self) -> str:
        """For a syntax directive, its image: the value up to the first space (what
        BuildKit runs; the rest are options for it, `# syntax=img key=value`)."""
        return self.value.split(" ", 1)[0]


@dataclass(frozen=True)
class Syntax:
    """The frontend a Dockerfile asks for, found as BuildKit's dockerfile.v0 finds it
    before it forwards the build there (parser.DetectSyntax): `# syntax=` among the
    first lines' directives, also after a `#!` first line and as `// syntax=`. It need
    not be one of Parse's directives (after `#!` it is not), and Parse's may not be it
    (DetectSyntax takes no white space before the `#`)."""

    image: str  # the value up to its first space: the image BuildKit runs
    value: str  # the whole value, options for the frontend included
    line: int  # 0-based


@dataclass(frozen=True)
class Heredoc:
    """A heredoc an instruction opens: its terminator, whether its body is expanded,
    and whether leading tabs are stripped (`<<-`)."""

    name: str
    expand: bool
    chomp: bool


@dataclass(frozen=True)
class Flag:
    """A `--name=value` word after the keyword (`word`, quotes and escapes removed), with
    where each character of `value` came from: (0-based line, column) in the file."""

    word: str
    name: str
    value: str
    positions: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Instruction:
    """One instruction; `start`/`end` are 0-based line indexes, heredoc bodies included,
    and `head_end` is its last line before any heredoc body.

    `keyword` is upper-cased; `value` is everything after it, with continuation lines
    joined as BuildKit joins them; `flags` are the flags BuildKit reads (for ONBUILD,
    those of the instruction it wraps, whose keyword is `trigger`)."""

    keyword: str
    value: str
    start: int
    end: int
    head_end: int
    keyword_as_written: str = ""
    flags: tuple[Flag, ...] = ()
    heredocs: tuple[Heredoc, ...] = ()
    trigger: str | None = None
    #: The Dockerfile's escape character, with which its words are read.
    escape: str = "\\"


@dataclass(frozen=True)
class ParseWarning:
    """A warning BuildKit's parser gives (today only empty continuation lines)."""

    message: str
    line: int  # 0-based: the instruction's last line


@dataclass(frozen=True)
class ParsedDockerfile:
    """A Dockerfile split into lines, directives and instructions (comments dropped)."""

    filename: str
    lines: tuple[str, ...]
    directives: tuple[Directive, ...]
    instructions: tuple[Instruction, ...]
    escape: str = "\\"
    warnings: tuple[ParseWarning, ...] = ()
    #: The `# syntax=` line BuildKit forwards the build by, if any (see Syntax).
    syntax: Syntax | None = None

    def where(self, instruction: Instruction) -> SourceRange:
        """The 1-based line range of `instruction`, for error messages."""
        return SourceRange(self.filename, instruction.start + 1, instruction.end + 1)

    def source(self, instruction: Instruction) -> str:
        """The instruction's original text."""
        return "".join(self.lines[instruction.start : instruction.end + 1])


def split_lines(text: str) -> tuple[str, ...]:
    """Split on newlines only, keeping them, the way BuildKit's scanner counts lines."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return tuple(lines)


def parse(text: str, filename: str = "Dockerfile") -> ParsedDockerfile:
    """Parse Dockerfile `text`; `filename` is only used to name it in messages.

    Raises PyenvError where BuildKit's parser fails (an unterminated heredoc, a bad or
    repeated directive, a line longer than it reads)."""
    lines = split_lines(text)
    long_line = _too_long(lines)
    if long_line is not None:
        # BuildKit stops reading there; its message names the line before this one.
        size = len(lines[long_line].rstrip("\n").encode("utf-8", "surrogateescape"))
        raise PyenvError(
            f"dockerfile line greater than max allowed size of {MAX_LINE_BYTES}",
            SourceRange(filename, long_line + 1, long_line + 1),
            lines[long_line][:200] + "...",
            f"this line is {size} bytes long; BuildKit reads lines of at most "
            f"{MAX_LINE_BYTES} bytes (split a long one with the escape character)",
        )
    parsed = _Reader(filename, lines).read()
    return dataclasses.replace(parsed, syntax=detect_syntax(lines))


def decode_dockerfile(data: bytes, filename: str) -> str | None:
    """The text of Dockerfile `data` (UTF-8, a BOM dropped); None when it is not UTF-8
    and has no PYENV instruction as BuildKit's parser finds instructions, so the caller
    passes the file through unchanged (BuildKit reads bytes, and builds it).

    A file that is not UTF-8 and has a PYENV instruction (ONBUILD PYENV too) is a
    PyenvError naming the first byte that is not UTF-8 and its line."""
    try:
        return data.decode("utf-8").removeprefix(_BOM)
    except UnicodeDecodeError as error:
        at = error.start
    # The bytes that are not UTF-8 kept as lone surrogates: not white space, no quote,
    # no escape, as BuildKit's parser takes them (Go's U+FFFD for each).
    text = data.decode("utf-8", "surrogateescape").removeprefix(_BOM)
    try:
        parsed = parse(text, filename)
    except PyenvError:
        return None  # BuildKit's parser fails on it as well, with its own message
    if not any("PYENV" in (i.keyword, i.trigger) for i in parsed.instructions):
        return None
    line = data.count(b"\n", 0, at) + 1
    start = data.rfind(b"\n", 0, at) + 1
    end = data.find(b"\n", at)
    shown = data[start : len(data) if end < 0 else end].decode("utf-8", "replace")
    raise PyenvError(
        f"{filename} is not UTF-8 text: byte 0x{data[at]:02x} on line {line}, column "
        f"{at - start + 1} (file offset {at}), and it has a PYENV line to expand",
        SourceRange(filename, line, line),
        shown,
        "save it as UTF-8 (a Dockerfile without PYENV lines is passed to BuildKit as it is)",
    )


def detect_syntax(lines: tuple[str, ...]) -> Syntax | None:
    """The frontend the Dockerfile of `lines` asks for, as BuildKit's DetectSyntax finds
    it: a first line starting `#!` (after a BOM) is skipped, then the directives are
    read from the top (each line as it is, one CR dropped; no white space before the
    `#`) up to the first line that is not one, with `#` and, when that finds no syntax,
    with `//`. (DetectSyntax's last resort, a JSON document's "syntax" key, is no
    Dockerfile this module reads.)"""
    start = 1 if lines and lines[0].removeprefix(_BOM).startswith("#!") else 0
    for comment in ("#", "//"):
        seen: set[str] = set()
        for index in range(start, len(lines)):
            line = lines[index].removesuffix("\n").removesuffix("\r")
            if index == 0:
                line = line.removeprefix(_BOM)
            if not line.startswith(comment):
                break
            found = _directive(line[len(comment) :].lstrip(_GO_SPACE))
            name = found[0].lower() if found else None
            if found is None or name not in _DIRECTIVE_NAMES or name in seen:
                break  # not a directive, or a repeated one: BuildKit stops there
            if name == "syntax":
                return Syntax(found[1].split(" ", 1)[0], found[1], index)
            seen.add(name)
    return None


def _trim_newline(line: str) -> str:
    return line.rstrip("\r\n")


def _is_comment(line: str) -> bool:
    return line.lstrip(_GO_SPACE).startswith("#")


class _Reader:
    """One pass over the lines, in the order BuildKit's Parse takes them."""

    def __init__(self, filename: str, lines: tuple[str, ...]) -> None:
        self.filename = filename
        self.lines = lines
        self.escape = "\\"
        self.continuation = _continuation_pattern("\\")
        self.directives: list[Directive] = []
        self.directives_done = False
        self.warnings: list[ParseWarning] = []

    def fail(self, message: str, start: int, end: int, hint: str | None = None) -> PyenvError:
        end = max(start, min(end, len(self.lines) - 1))
        where = SourceRange(self.filename, start + 1, end + 1)
        return PyenvError(message, where, "".join(self.lines[start : end + 1]), hint)

    def read(self) -> ParsedDockerfile:
        instructions: list[Instruction] = []
        index, count = 0, len(self.lines)
        while index < count:
            line = _trim_newline(self.lines[index])
            if index == 0:
                line = line.removeprefix(_BOM)
            line = line.lstrip(_GO_SPACE)
            self._maybe_directive(line, index)
            start = index
            index += 1
            if line.startswith("#"):
                continue
            # the instruction's lines, joined as BuildKit joins them, and where each came from
            column = len(_trim_newline(self.lines[start])) - len(line)
            pieces = [self._piece(line, start, column)]
            if pieces[0].text == "" and not self._continues(line):
                continue
            continued = self._continues(line)
            empty_continuation = False
            while continued and index < count:
                raw = _trim_newline(self.lines[index])
                index += 1
                if _is_comment(raw):
                    continue
                if not raw.lstrip(_GO_SPACE):
                    empty_continuation = True
                    continue
                continued = self._continues(raw)
                pieces.append(self._piece(raw, index - 1, 0))
            joined = "".join(piece.text for piece in pieces)
            positions = _Positions(pieces)
            head_end = index - 1
            if empty_continuation:
                self.warnings.append(
                    ParseWarning(f"Empty continuation line found in: {joined}", head_end)
                )
            instruction, index = self._instruction(joined, positions, start, head_end, index)
            instructions.append(instruction)
        return ParsedDockerfile(
            self.filename,
            self.lines,
            tuple(self.directives),
            tuple(instructions),
            self.escape,
            tuple(self.warnings),
        )

    def _maybe_directive(self, line: str, index: int) -> None:
        if self.directives_done:
            return
        found = _directive(line[1:].lstrip(_GO_SPACE)) if line.startswith("#") else None
        if not found or found[0].lower() not in _DIRECTIVE_NAMES:
            self.directives_done = True
            return
        name, value = found[0].lower(), found[1]
        if any(d.name == name for d in self.directives):
            raise self.fail(f"only one {name} parser directive can be used", index, index)
        if name == "escape":
            if value not in ("`", "\\"):
                raise self.fail(
                    f"invalid escape token '{value}' does not match ` or \\", index, index
                )
            self.escape = value
            self.continuation = _continuation_pattern(value)
        self.directives.append(Directive(name, value, index))

    def _continues(self, line: str) -> bool:
        return self.continuation.search(line) is not None

    def _piece(self, line: str, index: int, column: int) -> _Piece:
        """`line` without its continuation escape, and where it starts."""
        match = self.continuation.search(line)
        if match:
            line = line[: match.start()] + (match.group(1) or "")
        return _Piece(line, index, column)

    def _instruction(
        self,
        joined: str,
        positions: _Positions,
        start: int,
        head_end: int,
        index: int,
    ) -> tuple[Instruction, int]:
        written, rest, rest_at = _split_keyword(joined)
        keyword = written.upper()
        flags = _builder_flags(rest, positions.shifted(rest_at), self.escape)
        trigger = None
        heredoc_keyword = keyword
        if keyword == "ONBUILD":
            trigger_written, trigger_rest, trigger_at = _split_keyword(rest)
            trigger = trigger_written.upper() if trigger_written else None
            trigger_positions = positions.shifted(rest_at + trigger_at)
            flags = _builder_flags(trigger_rest, trigger_positions, self.escape)
            heredoc_keyword = trigger or ""
        heredocs: tuple[Heredoc, ...] = ()
        if (
            heredoc_keyword in _HEREDOC_INSTRUCTIONS
            and "<<" in joined
            and not _is_json_form(rest if trigger is None else _split_keyword(rest)[1], self.escape)
        ):
            found = (self._heredoc(word, start) for word in _heredoc_words(joined))
            heredocs = tuple(heredoc for heredoc in found if heredoc is not None)
            for heredoc in heredocs:
                index = self._skip_body(heredoc, start, index)
        value = rest.strip(_GO_SPACE)
        instruction = Instruction(
            keyword,
            value,
            start,
            index - 1,
            head_end,
            written,
            flags,
            heredocs,
            trigger,
            self.escape,
        )
        return instruction, index

    def _heredoc(self, word: str, start: int) -> Heredoc | None:
        match = _HEREDOC_WORD.match(word)
        if not match or not match.group(3):
            return None
        rest = match.group(3)
        try:
            plain = _shell_words(rest, raw_quotes=False)
            raw = _shell_words(rest, raw_quotes=True)
        except ValueError as error:
            raise self.fail(str(error), start, start) from None
        if len(plain) != 1:
            return None
        name = plain[0]
        quotes = name.count("'") + name.count('"')
        raw_quotes = raw[0].count("'") + raw[0].count('"')
        return Heredoc(name, quotes == raw_quotes, match.group(2) == "-")

    def _skip_body(self, heredoc: Heredoc, start: int, index: int) -> int:
        while index < len(self.lines):
            candidate = _trim_newline(self.lines[index])
            index += 1
            if heredoc.chomp:
                candidate = candidate.lstrip("\t")
            if candidate == heredoc.name:
                return index
        raise self.fail("unterminated heredoc", start, index - 1)


@dataclass(frozen=True)
class _Piece:
    """A line's part of a joined instruction: its text, line index and first column."""

    text: str
    line: int
    column: int


class _Positions:
    """Where each character of a joined instruction (from `offset` on) came from."""

    def __init__(self, pieces: list[_Piece], offset: int = 0) -> None:
        self.pieces = pieces
        self.offset = offset
        self.starts = []
        total = 0
        for piece in pieces:
            self.starts.append(total)
            total += len(piece.text)

    def shifted(self, offset: int) -> _Positions:
        moved = _Positions.__new__(_Positions)
        moved.pieces, moved.starts = self.pieces, self.starts
        moved.offset = self.offset + offset
        return moved

    def at(self, index: int) -> tuple[int, int] | None:
        """(line, column) of character `index`, or None past the end."""
        index += self.offset
        number = bisect.bisect_right(self.starts, index) - 1
        piece = self.pieces[number]
        if index - self.starts[number] >= len(piece.text):
            return None
        return piece.line, piece.column + index - self.starts[number]


def _directive(text: str) -> tuple[str, str] | None:
    """(name, value) of a directive's text after its `#`, as BuildKit's pattern reads
    it, or None. The value is the text after `=`, white space trimmed, or when that
    leaves nothing its last white space character (what the lazy `(.+?)` takes)."""
    match = _DIRECTIVE.match(text)
    if not match:
        return None
    rest = text[match.end() :]
    value = rest.strip(_RE2_SPACE) or rest[-1:]
    return (match.group(1), value) if value else None


def _too_long(lines: tuple[str, ...]) -> int | None:
    """The index of the first line longer than BuildKit's parser reads, or None."""
    for index, line in enumerate(lines):
        if len(line) > MAX_LINE_BYTES // 4:  # shorter lines cannot be too long
            size = len(line.rstrip("\n").encode("utf-8", "surrogateescape"))
            if size > MAX_LINE_BYTES:
                return index
    return None


def _continuation_pattern(escape: str) -> re.Pattern[str]:
    e = re.escape(escape)
    return re.compile(rf"([^{e}]){e}[ \t]*\Z|\A{e}[ \t]*\Z", re.S)


def _split_keyword(line: str) -> tuple[str, str, int]:
    """(keyword as written, the rest, where the rest starts in `line`)."""
    stripped = line.lstrip(_GO_SPACE)
    offset = len(line) - len(stripped)
    stripped = stripped.rstrip(_GO_SPACE)
    match = _KEYWORD_SPLIT.search(stripped)
    if not match:
        return stripped, "", len(line)
    return stripped[: match.start()], stripped[match.end() :], offset + match.end()


def _is_json_form(rest: str, escape: str) -> bool:
    """Whether BuildKit reads the arguments as a JSON array (then nothing is a heredoc)."""
    text = _scan_flags(rest, None, escape)[1].strip(_GO_SPACE)
    if not text.startswith("["):
        return False
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _builder_flags(rest: str, positions: _Positions, escape: str) -> tuple[Flag, ...]:
    return _scan_flags(rest, positions, escape)[0]


def _scan_flags(
    line: str, positions: _Positions | None, escape: str
) -> tuple[tuple[Flag, ...], str]:
    """BuildKit's extractBuilderFlags: the leading `--` words of `line` (quotes and the
    escape character removed), and what follows them."""
    words: list[tuple[str, list]] = []
    length = len(line)
    pos = 0

    def at(i: int):
        return positions.at(i) if positions is not None else None

    while True:
        while pos < length and line[pos] in _GO_SPACE:
            pos += 1
        if pos == length:
            return _flags(words), ""
        if not line.startswith("--", pos):
            return _flags(words), line[pos:]
        word: list[tuple[str, object]] = []
        quote = ""
        blank_ok = False
        while pos < length:
            char = line[pos]
            if not quote:
                if char in _GO_SPACE:
                    break
                if char in "'\"":
                    quote, blank_ok = char, True
                    pos += 1
                    continue
            elif char == quote:
                quote = ""
                pos += 1
                continue
            if char == escape:
                if pos + 1 == length:
                    pos += 1
                    quote = ""
                    continue
                pos += 1
                char = line[pos]
            word.append((char, at(pos)))
            pos += 1
        text = "".join(c for c, _ in word)
        if text == "--" and pos < length:
            return _flags(words), line[pos:]
        if text != "--" and (blank_ok or text):
            words.append((text, word))
        if pos >= length:
            return _flags(words), ""


def _flags(words: list[tuple[str, list]]) -> tuple[Flag, ...]:
    found = []
    for text, chars in words:
        name, _, value = text[2:].partition("=")
        value_chars = chars[len(text) - len(value) :] if "=" in text else []
        found.append(Flag(text, name, value, tuple(p for _, p in value_chars)))
    return tuple(found)


def _heredoc_words(line: str) -> list[str]:
    """The words of the instruction line as BuildKit looks for heredocs in them: split
    the shell way, with quotes and backslashes kept."""
    try:
        return _shell_words(line, raw_quotes=True, raw_escapes=True)
    except ValueError:
        return []


def _shell_words(text: str, raw_quotes: bool, raw_escapes: bool = False) -> list[str]:
    """Words as BuildKit's shell lexer splits them (escape `\\`, variables left as they
    are): white space ends a word outside quotes, quotes join, `<<` takes the blanks after
    it into the word. `raw_quotes`/`raw_escapes` keep quotes/backslashes in the words."""
    words: list[str] = []
    word: list[str] = []
    pos, length = 0, len(text)

    def end_word() -> None:
        if word:
            words.append("".join(word))
            word.clear()

    while pos < length:
        char = text[pos]
        if char == "'":
            end = text.find("'", pos + 1)
            if end < 0:
                raise ValueError(
                    "unexpected end of statement while looking for matching single-quote"
                )
            word.append(text[pos : end + 1] if raw_quotes else text[pos + 1 : end])
            pos = end + 1
        elif char == '"':
            pos = _double_quoted(text, pos, word, raw_quotes, raw_escapes)
        elif text.startswith("<<", pos):
            start, pos = pos, pos + 2
            while pos < length and text[pos] in " \t\r":
                pos += 1
            word.append(text[start:pos])
        elif char == "\\":
            if raw_escapes:
                word.append(char)
            if pos + 1 < length:
                word.append(text[pos + 1])
            pos += 2
        elif char in _GO_SPACE:
            end_word()
            pos += 1
        else:
            word.append(char)
            pos += 1
    end_word()
    return words


def _double_quoted(
    text: str, pos: int, word: list[str], raw_quotes: bool, raw_escapes: bool
) -> int:
    """Add the double-quoted string at `pos` to `word`; return where it ends."""
    if raw_quotes:
        word.append('"')
    pos += 1
    while True:
        if pos >= len(text):
            raise ValueError("unexpected end of statement while looking for matching double-quote")
        char = text[pos]
        pos += 1
        if char == '"':
            if raw_quotes:
                word.append(char)
            return pos
        if char == "\\":
            if raw_escapes:
                word.append(char)
            if pos >= len(text):
                continue
            if text[pos] in '"$\\':
                char = text[pos]
                pos += 1
        word.append(char)
