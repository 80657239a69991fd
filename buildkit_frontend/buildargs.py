"""Build arguments: the values ARG lines and --build-arg give, and their substitution,
as BuildKit does both.

Words are split as BuildKit's parser splits an ARG line (parseWords: quotes and
escapes kept), and each word is expanded by a port of BuildKit's shell lexer
(moby/buildkit frontend/dockerfile/shell, ProcessWord): `$NAME`, `${NAME}`, the
`-`, `+`, `?` forms with or without a colon, `#`, `##`, `%`, `%%` (shell patterns
with `*` and `?`), `/` and `//` (replace), nested ones, quotes and the escape
character, with BuildKit's results and its error messages. tests/fixtures/
buildkit-expand holds BuildKit's own results (tools/buildkit-expand), which
tests/unit/test_buildargs.py compares.

Unlike BuildKit, in a PYENV line (`strict`) an unset variable is an error (a PYENV
line with an empty version or name is never what the author meant), and so is a
value that would not stay one plain word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from .dockerfile import _GO_SPACE, Instruction
from .errors import PyenvError

if TYPE_CHECKING:
    from .dockerfile import ParsedDockerfile

# Substituted text must stay one plain word: the arguments of PYENV never hold these.
_UNSAFE_VALUE = re.compile(r"[\s'\"\\]")


class UnsetVariable(Exception):
    """A `$NAME` had no value; `name` says which."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class UnsafeValue(Exception):
    """A substituted value held whitespace, quotes or backslashes."""

    def __init__(self, name: str, value: str) -> None:
        super().__init__(name)
        self.name = name
        self.value = value


class ShellError(PyenvError):
    """BuildKit's lexer fails on a word (a bad substitution, an unclosed quote, a
    `${NAME?}` of an unset name); the message is BuildKit's, and so is the failure:
    the build would fail there too."""

    def __init__(self, message: str) -> None:
        super().__init__(message, hint=_SHELL_HINT)


_SHELL_HINT = "BuildKit fails the build on this too (see the Dockerfile reference, ARG)"


def process_word(
    word: str,
    variables: Mapping[str, str],
    escape: str = "\\",
    strict: bool = False,
) -> str:
    """`word` with its variables substituted and its quotes and escapes consumed, as
    BuildKit's Lex.ProcessWord gives it; ShellError with BuildKit's message where it
    fails. `strict`: UnsetVariable for an unset name (but in `${NAME-word}`,
    `${NAME+word}`, `${NAME?word}`), UnsafeValue for a substituted value that is not
    one plain word."""
    try:
        return _Lexer(word, variables, escape, strict).process()
    except _Failure as failure:
        raise ShellError(f"failed to process {_go_quote(word)}: {failure.message}") from None
    except RecursionError:
        # BuildKit reads any depth; hundreds of nested ${...} are no Dockerfile's intent
        raise ShellError(
            f"failed to process {_go_quote(word[:60])}...: its ${{...}} are nested more "
            "deeply than buildkit-pyenv reads"
        ) from None


def expand(word: str, variables: Mapping[str, str], strict: bool = True, escape: str = "\\") -> str:
    """One word as BuildKit expands it (process_word). Strict, for PYENV arguments: an
    unset name raises UnsetVariable, a value that is not one plain word UnsafeValue.
    Otherwise, as BuildKit does, unset is empty. Where BuildKit fails on the word,
    ShellError (a PyenvError) with its message."""
    return process_word(word, variables, escape, strict)


def shell_words(text: str, escape: str = "\\") -> list[str]:
    """The words of an instruction's arguments, quotes and escapes kept, as BuildKit's
    parser splits them (parseWords): at white space outside quotes (Go's
    unicode.IsSpace), an escape keeping the next character in its word, a last
    escape dropped."""
    words: list[str] = []
    word: list[str] = []
    blank_ok = False  # a word with quotes counts even when it is empty
    pos, length = 0, len(text)
    plain = _plain_in_word(escape)
    while pos < length:
        char = text[pos]
        if char in _GO_SPACE:
            if word or blank_ok:
                words.append("".join(word))
            word, blank_ok = [], False
            pos += 1
        elif char == escape:
            if pos + 1 < length:
                word.append(text[pos : pos + 2])
            pos += 2
        elif char in "'\"":
            blank_ok = True
            pos = _quoted_raw(text, pos, escape, word)
        else:
            end = plain.match(text, pos).end()  # type: ignore[union-attr]
            word.append(text[pos:end])
            pos = end
    if word or blank_ok:
        words.append("".join(word))
    return words


def _quoted_raw(text: str, pos: int, escape: str, word: list[str]) -> int:
    """parseWords in a quote from `pos`: add it, quotes and escapes kept, to `word` up
    to its closing quote or the end (an unclosed quote runs to the end, and an escape
    last in the text is dropped); return where it ends."""
    quote, length = text[pos], len(text)
    if quote == "'":
        end = text.find(quote, pos + 1)
        end = length if end < 0 else end + 1
        word.append(text[pos:end])
        return end
    word.append(quote)
    pos += 1
    stop = _quote_stop(quote, escape)
    while pos < length:
        found = stop.search(text, pos)
        end = length if found is None else found.start()
        word.append(text[pos:end])
        if found is None:
            return length
        if text[end] == quote:
            word.append(quote)
            return end + 1
        if end + 1 == length:
            return length  # an escape last in the text: dropped
        word.append(text[end : end + 2])
        pos = end + 2
    return pos


def split_words(value: str, variables: Mapping[str, str], escape: str = "\\") -> list[str]:
    """Split a PYENV line's arguments into words and expand each (strict)."""
    return [
        process_word(word, variables, escape, strict=True) for word in shell_words(value, escape)
    ]


def declared(instruction: Instruction) -> list[tuple[str, str | None]]:
    """The (name, default) pairs an ARG instruction declares, defaults still raw."""
    pairs = []
    for word in shell_words(instruction.value, instruction.escape):
        name, sep, default = word.partition("=")
        pairs.append((name, default if sep else None))
    return pairs


def resolve(
    instructions: Iterable[Instruction],
    build_args: Mapping[str, str],
    inherited: Mapping[str, str] | None = None,
    dockerfile: ParsedDockerfile | None = None,
) -> dict[str, str]:
    """The values of the ARGs among `instructions`, in order, as a build would see them.

    `build_args` (from --build-arg) win over defaults, which are expanded as BuildKit
    expands them (quotes and escapes consumed, the rest of a value kept as it is);
    `inherited` holds the global ARGs a stage's `ARG NAME` without a default takes its
    value from. Each instruction is read with its Dockerfile's escape character;
    `dockerfile` (the one `instructions` are of) names the line of an error where
    BuildKit fails on a default.
    """
    values: dict[str, str] = {}
    for instruction in instructions:
        if instruction.keyword != "ARG":
            continue
        escape = instruction.escape
        for name, default in declared(instruction):
            if name in build_args:
                values[name] = build_args[name]
            elif default is not None:
                scope = {**(inherited or {}), **values}
                try:
                    values[name] = process_word(default, scope, escape)
                except ShellError as error:
                    raise _located(error, instruction, dockerfile) from None
            elif inherited and name in inherited:
                values[name] = inherited[name]
    return values


def _located(
    error: ShellError, instruction: Instruction, dockerfile: ParsedDockerfile | None
) -> PyenvError:
    if dockerfile is None:
        message = f"ARG on line {instruction.start + 1}: {error.message}"
        return PyenvError(message, hint=_SHELL_HINT)
    return PyenvError(
        error.message,
        dockerfile.where(instruction),
        dockerfile.source(instruction),
        _SHELL_HINT,
    )


def parse_build_args(items: Iterable[str], environ: Mapping[str, str]) -> dict[str, str]:
    """`KEY=VALUE` items as docker build takes them; a bare KEY reads the environment."""
    values: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not key:
            raise PyenvError(f"--build-arg {item!r} has no name", hint="--build-arg NAME=VALUE")
        if not sep:
            if key not in environ:
                continue  # as docker build does: an unset bare name is ignored
            value = environ[key]
        values[key] = value
    return values


# --- the port of BuildKit's shell lexer (frontend/dockerfile/shell/lex.go) -------------


class _Failure(Exception):
    """Where the lexer fails; ShellError adds BuildKit's `failed to process` prefix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


#: BuildKit's special parameters (isSpecialParam): `$@` and the like name a variable.
_SPECIAL_PARAMS = "@*#?-$!0"
_ASCII_NAME = re.compile(r"[A-Za-z0-9_]+")
_DIGITS = re.compile(r"\d+")  # Unicode decimal digits, as Go's unicode.IsDigit


class _Lexer:
    """One word, read a character (a Go rune) at a time as shellWord reads it; runs of
    ordinary characters are taken at once, so a word is read in linear time."""

    def __init__(self, word: str, variables: Mapping[str, str], escape: str, strict: bool):
        self.text = word
        # text/scanner drops a byte order mark at the start
        self.pos = 1 if word.startswith("\ufeff") else 0
        self.variables = variables
        self.escape = escape
        self.strict = strict
        self.raw_escapes = False

    def peek(self) -> str | None:
        return self.text[self.pos] if self.pos < len(self.text) else None

    def next(self) -> str | None:
        char = self.peek()
        if char is not None:
            self.pos += 1
        return char

    def process(self) -> str:
        return self.stop_on(None, False)

    def stop_on(self, stop: str | None, raw_escapes: bool) -> str:
        """processStopOn: the text up to `stop` (None: the end), substituted."""
        saved, self.raw_escapes = self.raw_escapes, raw_escapes
        try:
            return self._stop_on(stop)
        finally:
            self.raw_escapes = saved

    def _stop_on(self, stop: str | None) -> str:
        result: list[str] = []
        text, length = self.text, len(self.text)
        plain = _plain_in_lexer(self.escape, stop or "")
        while self.pos < length:
            char = text[self.pos]
            if char == stop:
                self.pos += 1
                return "".join(result)
            if char == "$":
                result.append(self.dollar())
            elif char == "'":
                result.append(self.single_quoted())
            elif char == '"':
                result.append(self.double_quoted())
            elif char == self.escape:
                self.pos += 1
                if self.raw_escapes:
                    result.append(char)
                if self.pos >= length:
                    break
                result.append(text[self.pos])
                self.pos += 1
            else:
                end = plain.match(text, self.pos).end()  # type: ignore[union-attr]
                result.append(text[self.pos : end])
                self.pos = end
        if stop is not None:
            raise _Failure(f"unexpected end of statement while looking for matching {stop}")
        return "".join(result)

    def single_quoted(self) -> str:
        end = self.text.find("'", self.pos + 1)
        if end < 0:
            self.pos = len(self.text)
            raise _Failure("unexpected end of statement while looking for matching single-quote")
        found = self.text[self.pos + 1 : end]
        self.pos = end + 1
        return found

    def double_quoted(self) -> str:
        result: list[str] = []
        text, length = self.text, len(self.text)
        plain = _plain_in_double_quotes(self.escape)
        self.pos += 1
        while True:
            if self.pos >= length:
                raise _Failure(
                    "unexpected end of statement while looking for matching double-quote"
                )
            char = text[self.pos]
            if char == '"':
                self.pos += 1
                return "".join(result)
            if char == "$":
                result.append(self.dollar())
                continue
            if char == self.escape:
                self.pos += 1
                if self.raw_escapes:
                    result.append(char)
                following = self.peek()
                if following is None:
                    continue  # then the missing quote fails
                if following in ('"', "$", self.escape):
                    char = following
                    self.pos += 1
                result.append(char)
                continue
            end = plain.match(text, self.pos).end()  # type: ignore[union-attr]
            result.append(text[self.pos : end])
            self.pos = end

    def lookup(self, name: str) -> str | None:
        return self.variables.get(name)

    def checked(self, name: str, value: str) -> str:
        if self.strict and _UNSAFE_VALUE.search(value):
            raise UnsafeValue(name, value)
        return value

    def plain_value(self, name: str) -> str:
        value = self.lookup(name)
        if value is None and self.strict:
            raise UnsetVariable(name)
        return self.checked(name, value or "")

    def dollar(self) -> str:
        """processDollar: what a `$` and what follows it stand for."""
        self.pos += 1
        if self.peek() != "{":
            name = self.name()
            return "$" if not name else self.plain_value(name)
        self.pos += 1
        following = self.peek()
        if following is None:
            raise _Failure("syntax error: missing '}'")
        if following in "{}:":
            raise _Failure("syntax error: bad substitution")
        name = self.name()
        char = self.next()
        modifier = char if char is not None else "\ufffd"
        if char == "}":
            return self.plain_value(name)
        if char == "/":
            return self.replaced(name)
        null_is_unset = False
        if char == ":":
            null_is_unset = True
            char = self.next()
            modifier += char if char is not None else "\ufffd"
        elif char not in ("+", "-", "?", "#", "%"):
            raise _Failure(f"unsupported modifier ({modifier}) in substitution")
        pattern = char in ("#", "%")
        if null_is_unset and pattern:
            raise _Failure(f"unsupported modifier ({modifier}) in substitution")
        word = self.word_to("}", pattern)
        value = self.lookup(name)
        is_set = value is not None
        empty = not is_set or (null_is_unset and value == "")
        if char == "-":
            return word if empty else self.checked(name, value or "")
        if char == "+":
            return "" if empty else word
        if char == "?":
            if not is_set:
                raise _Failure(f"{name}: {word or 'is not allowed to be unset'}")
            if null_is_unset and value == "":
                raise _Failure(f"{name}: {word or 'is not allowed to be empty'}")
            return self.checked(name, value or "")
        if char in ("%", "#"):
            value = self.plain_value(name)
            greedy = word.startswith(char)
            if greedy:
                word = word[1:]
            trimmed = (
                _trim_suffix(word, value, greedy)
                if char == "%"
                else _trim_prefix(word, value, greedy)
            )
            return self.checked(name, trimmed)
        raise _Failure(f"unsupported modifier ({modifier}) in substitution")

    def word_to(self, stop: str, raw_escapes: bool) -> str:
        """The word of a `${NAME<modifier>word}` up to `stop`, substituted."""
        try:
            return self.stop_on(stop, raw_escapes)
        except _Failure:
            if self.peek() is None:
                raise _Failure("syntax error: missing '}'") from None
            raise

    def replaced(self, name: str) -> str:
        """`${NAME/pattern/string}` and `${NAME//pattern/string}`."""
        replace_all = self.peek() == "/"
        if replace_all:
            self.pos += 1
        try:
            pattern = self.stop_on("/", True)
        except _Failure:
            if self.peek() is None:
                raise _Failure("syntax error: missing '/' in ${}") from None
            raise
        replacement = self.word_to("}", True)
        value = self.plain_value(name)
        regex = _shell_pattern(pattern, greedy=True, anchored=False)
        return self.checked(name, _go_replace(regex, value, replacement, replace_all))

    def name(self) -> str:
        """processName: a run of letters, digits and _, or digits, or one special."""
        text, start = self.text, self.pos
        if start >= len(text):
            return ""
        first = text[start]
        if first.isdecimal():
            self.pos = _DIGITS.match(text, start).end()  # type: ignore[union-attr]
            return text[start : self.pos]
        if first in _SPECIAL_PARAMS:
            self.pos += 1
            return first
        pos = start
        while pos < len(text):
            ascii_run = _ASCII_NAME.match(text, pos)
            if ascii_run:
                pos = ascii_run.end()
                continue
            char = text[pos]
            if not (char.isalpha() or char.isdecimal()):
                break
            pos += 1
        self.pos = pos
        return text[start:pos]


_PLAIN_CACHE: dict[tuple[str, str, str], re.Pattern[str]] = {}


def _plain(kind: str, escape: str, stop: str, specials: str) -> re.Pattern[str]:
    key = (kind, escape, stop)
    if key not in _PLAIN_CACHE:
        _PLAIN_CACHE[key] = re.compile(f"[^{re.escape(specials + escape + stop)}]+")
    return _PLAIN_CACHE[key]


def _plain_in_word(escape: str) -> re.Pattern[str]:
    """A run of characters parseWords keeps in a word as they are."""
    return _plain("word", escape, "", _GO_SPACE + "'\"")


def _quote_stop(quote: str, escape: str) -> re.Pattern[str]:
    """Where something happens in parseWords's double quote: the quote or an escape."""
    key = ("quote-stop", escape, quote)
    if key not in _PLAIN_CACHE:
        _PLAIN_CACHE[key] = re.compile(f"[{re.escape(quote + escape)}]")
    return _PLAIN_CACHE[key]


def _plain_in_lexer(escape: str, stop: str) -> re.Pattern[str]:
    """A run of characters the lexer keeps as they are, up to `stop`."""
    return _plain("lexer", escape, stop, "$'\"")


def _plain_in_double_quotes(escape: str) -> re.Pattern[str]:
    return _plain("double", escape, "", '"$')


# --- shell patterns, as BuildKit turns them into Go regular expressions ----------------
# Python's re and Go's regexp agree here: leftmost-first matches, `.` not matching a
# newline, and the only syntax used is literal characters, `.`, `.*` and `.*?`.
# (Python's engine backtracks: a pattern of several `*` against a long value is slow.)

_PATTERN_SPECIALS = "[]{}.+()|^$"


def _shell_pattern(pattern: str, greedy: bool, anchored: bool) -> re.Pattern[str]:
    """convertShellPatternToRegex: `*` any run of characters (shortest unless greedy),
    `?` one, `\\*`, `\\?`, `\\\\` themselves; `\\}` and `\\/` drop their backslash."""
    out = ["^"] if anchored else []
    star = ".*" if greedy else ".*?"
    pos, length = 0, len(pattern)
    while pos < length:
        char = pattern[pos]
        pos += 1
        if char == "*":
            out.append(star)
        elif char == "?":
            out.append(".")
        elif char == "\\":
            following = pattern[pos] if pos < length else None
            if following in ("}", "/"):
                continue  # the next one is taken as it is
            pos += 1
            if following not in ("*", "?", "\\"):
                shown = following if following is not None else "\ufffd"
                raise _Failure(
                    f"invalid pattern ({pattern}) in substitution: invalid escape '\\{shown}'"
                )
            out.append("\\" + following)
        elif char in _PATTERN_SPECIALS:
            out.append("\\" + char)
        else:
            out.append(char)
    return re.compile("".join(out))


def _trim_prefix(pattern: str, value: str, greedy: bool) -> str:
    match = _shell_pattern(pattern, greedy, anchored=True).search(value)
    return value[match.end() :] if match else value


def _trim_suffix(pattern: str, value: str, greedy: bool) -> str:
    """The shortest (or longest) suffix matching `pattern` removed: the pattern and the
    value reversed, as BuildKit does it (a regular expression finds no shortest
    rightmost match)."""
    reversed_value = _trim_prefix(_reversed_pattern(pattern), value[::-1], greedy)
    return reversed_value[::-1]


def _reversed_pattern(pattern: str) -> str:
    """reversePattern: `pattern` backwards, each `\\x` kept in its order."""
    out: list[str] = []
    pos, last = 0, len(pattern) - 1
    while pos <= last:
        if pattern[pos] == "\\" and pos != last:
            out.append(pattern[pos : pos + 2])
            pos += 2
        else:
            out.append(pattern[pos])
            pos += 1
    return "".join(reversed(out))


def _go_replace(regex: re.Pattern[str], value: str, template: str, replace_all: bool) -> str:
    """The first match replaced by `template` as it is, or (`replace_all`) Go's
    Regexp.ReplaceAllString: `$` in the replacement as Go's Expand reads it, and an
    empty match right after a match not replaced."""
    if not replace_all:
        match = regex.search(value)
        if match is None:
            return value
        return value[: match.start()] + template + value[match.end() :]
    out: list[str] = []
    last_end, search, length = 0, 0, len(value)
    while search <= length:
        match = regex.search(value, search)
        if match is None:
            break
        start, end = match.span()
        out.append(value[last_end:start])
        if end > last_end or start == 0:
            out.append(_go_expand(template, match.group()))
        last_end = end
        search = search + 1 if search + 1 > end else end
    out.append(value[last_end:])
    return "".join(out)


def _go_expand(template: str, whole: str) -> str:
    """Go's Regexp.Expand for a pattern without groups: `$$` is `$`, `$0` or `${0}` the
    match, any other `$name` or `${name}` nothing, a `$` that starts none itself."""
    out: list[str] = []
    while template:
        before, dollar, after = template.partition("$")
        if not dollar:
            break
        out.append(before)
        template = after
        if template.startswith("$"):
            out.append("$")
            template = template[1:]
            continue
        found = _go_template_name(template)
        if found is None:
            out.append("$")
            continue
        name, template = found
        if name == "0":
            out.append(whole)
    out.append(template)
    return "".join(out)


def _go_template_name(text: str) -> tuple[str, str] | None:
    """Go's extract: (name, rest) of a `$name` or `${name}` in a template, or None."""
    brace = text.startswith("{")
    if brace:
        text = text[1:]
    end = 0
    while end < len(text) and (text[end].isalpha() or text[end].isdecimal() or text[end] == "_"):
        end += 1
    if end == 0:
        return None
    name = text[:end]
    if brace:
        if end >= len(text) or text[end] != "}":
            return None
        end += 1
    return name, text[end:]


#: The characters Go's strconv.Quote writes as a backslash escape of their own.
_GO_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\t": "\\t",
    "\r": "\\r",
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\v": "\\v",
}


def _go_quote(text: str) -> str:
    """Go's %q of `text` (strconv.Quote), for BuildKit's messages."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif char.isprintable() or char == " ":
            out.append(char)
        elif code < 0x10000:
            out.append(f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)
