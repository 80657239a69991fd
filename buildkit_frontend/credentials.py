"""Credentials in URLs: what counts as one, and text that is safe to show.

A URL that reaches the rendered Dockerfile (an ARG default, a RUN line) is in the image's
history and every build log; a message is in CI logs. Credentials belong in BuildKit
secrets, so URLs are checked here and messages show values through `redacted`.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

#: Query parameters that carry a credential by their name (signed URLs, API tokens).
_SECRET_PARAMETERS = re.compile(
    r"(?i)^(?:.*[_-])?(?:token|access[_-]?token|auth|authorization|key|api[_-]?key|password|"
    r"passwd|pwd|secret|signature|sig|x-amz-signature|x-goog-signature|credential)s?$"
)
#: A path part that looks like a token: long, and mixes letters and digits (Gemfury's
#: https://pypi.fury.io/<token>/<org>/, a token as a directory name).
_TOKEN_LIKE = re.compile(r"^(?=[A-Za-z0-9_-]*[0-9])(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{24,}$")
#: user:password@ or token@ in any URL of a text.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/\s@'\"]+@")
_QUERY = re.compile(r"(?P<keep>[?&][^=&#\s'\"]+=)[^&#\s'\"]+")
#: Longest text a message shows of a value.
SHOWN = 80


def url_credentials(url: str) -> str | None:
    """What in `url` is clearly a credential ("user:password@", "the query parameter
    token"), or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if "@" in parts.netloc:
        return "user information (user:password@)"
    for name, _ in parse_qsl(parts.query, keep_blank_values=True):
        if _SECRET_PARAMETERS.match(name):
            return f"the query parameter {name!r}"
    return None


def token_like_path(url: str) -> str | None:
    """A part of `url`'s path that looks like a token (long, letters and digits mixed),
    redacted for a warning; None when there is none."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    for part in path.split("/"):
        if _TOKEN_LIKE.match(part):
            return part[:4] + "..."
    return None


def redacted(text: str) -> str:
    """`text` with what may be credentials in URLs hidden (user information, query
    values) and clipped to SHOWN characters, for messages."""
    hidden = _USERINFO.sub(r"\g<scheme>***@", text)
    hidden = _QUERY.sub(r"\g<keep>***", hidden)
    if len(hidden) > SHOWN:
        hidden = f"{hidden[:SHOWN]}... ({len(text)} characters)"
    return hidden
