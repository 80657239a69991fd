"""The image contract: where an image built with PYENV lines says which environments it
has, and the keys it says it with. The renderer (labels, record file), the runtime and
`buildkit-pyenv list --image` all read these names from here, and a test holds the build
scripts (which run inside images and cannot import this) to the same keys. Standard
library only: the runtime distribution ships it."""

from __future__ import annotations

#: Every PYENV environment exports ENV <ENV_PREFIX><name>=<venv>/bin/python.
ENV_PREFIX = "ASTRO_PYENV_"

#: The image manifest: every environment of the image, with what the build resolved.
MANIFEST_PATH = "/etc/buildkit-pyenv/manifest.json"
#: The manifest's own version, for readers of older or newer images.
MANIFEST_SCHEMA = 1

#: Each venv describes itself in this file at its top (the manifest merges them).
RECORD_NAME = "buildkit-pyenv.json"
#: What a record (and so each entry of the manifest's "environments") holds.
RECORD_KEYS = (
    "name",
    "variable",
    "venv",
    "interpreter",
    "python",
    "requested",
    "base_prefix",
    "installer",
    "interpreter_origin",
    "requirements",
    "requirements_sha256",
    "lock",
    "packages",
    "system_packages",
    "bundled_libraries",
    "airflow",
)
#: The record's text fields besides name and interpreter (each may be null).
RECORD_TEXT_KEYS = (
    "variable",
    "python",
    "requested",
    "venv",
    "requirements",
    "requirements_sha256",
)

#: Image labels <LABEL_PREFIX><venv name>.<key>: what is known before the build. The
#: keys are the record's, spelled the same.
LABEL_PREFIX = "buildkit-pyenv.env."
LABEL_KEYS = ("requested", "venv", "interpreter", "requirements", "requirements_sha256")


def label(name: str, key: str) -> str:
    """The label that says `key` (one of LABEL_KEYS) of the environment `name`."""
    if key not in LABEL_KEYS:
        raise ValueError(f"{key!r} is not a label key")
    return f"{LABEL_PREFIX}{name}.{key}"
