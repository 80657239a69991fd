"""Which operating system a base image is, read from its /etc/os-release: the image
provider copies CPython out of the official image of the same Debian release."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

#: Where os-release(5) lives; /etc/os-release is usually a link to the second.
OS_RELEASE_PATHS = ("/etc/os-release", "/usr/lib/os-release")


@dataclass(frozen=True)
class BaseOS:
    """What could be learned about an image's OS: its ID and release codename, or why
    nothing could be learned."""

    os_id: str | None = None
    codename: str | None = None
    unknown_because: str | None = None

    @property
    def debian_release(self) -> str | None:
        """The Debian codename, when the image is Debian."""
        return self.codename if self.os_id == "debian" else None


def parse_os_release(text: str) -> BaseOS:
    """ID and VERSION_CODENAME of an os-release file's text."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, raw = line.partition("=")
        if not sep or not key.strip() or key.strip().startswith("#"):
            continue
        try:
            words = shlex.split(raw)
        except ValueError:
            continue
        fields[key.strip()] = words[0] if words else ""
    return BaseOS(fields.get("ID") or None, fields.get("VERSION_CODENAME") or None)
