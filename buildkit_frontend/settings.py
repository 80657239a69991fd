"""The build-wide choices that decide which helper stages there are, resolved once from
build arguments (`--build-arg`, or a global ARG of the Dockerfile) and validated for the
place they are pasted into the rendered Dockerfile."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import defaults
from .credentials import redacted, url_credentials
from .errors import PyenvError

# The distribution reference grammar (github.com/distribution/reference), without IPv6
# hosts: a value that matches it is one word with no Dockerfile or shell syntax in it.
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*(?::[0-9]+)?"
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_PART}(?:/{_PATH_PART})*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
REPOSITORY = re.compile(rf"^{_NAME}$")
REFERENCE = re.compile(rf"^{_NAME}(?::{_TAG})?(?:@{_DIGEST})?$")
RELEASE = re.compile(r"^[a-z][a-z0-9-]{1,31}$")
_UV_VERSION = re.compile(r"^[0-9]+(?:\.[0-9]+){1,3}$")
_URL = re.compile(r"^(?:https?|file)://[^\s\x00-\x1f\x7f\"'\\]+$")
#: One line of text: no control character (C0, DEL, C1 with NEL) and no Unicode line
#: or paragraph separator, so nothing any reader takes for a line break.
_ONE_LINE = re.compile(r"[^\x00-\x1f\x7f-\x9f\u2028\u2029]*")


@dataclass(frozen=True)
class BuildSettings:
    """Build-wide defaults; a PYENV line's flags override provider and installer."""

    provider: str = defaults.DEFAULT_PROVIDER
    installer: str = defaults.DEFAULT_INSTALLER
    python_image: str = defaults.DEFAULT_PYTHON_IMAGE
    release: str | None = None  # None: learn it from the base image
    uv_version: str = defaults.DEFAULT_UV_VERSION
    uv_image: str | None = None  # None: uv from PyPI
    builder_image: str | None = None
    #: Astronomer Runtime repositories, whose `<tag>-base` images have no ONBUILD triggers.
    runtime_repositories: tuple[str, ...] = defaults.RUNTIME_REPOSITORIES
    #: The BuildKit secrets install steps mount (SECRET_IDS), from PYENV_SECRETS.
    secrets: tuple[str, ...] = ()
    #: Defaults of the ARGs the source provider's stages declare (BUILD_ARG_DEFAULTS).
    source_args: Mapping[str, str] = field(default_factory=dict)


def resolve_settings(
    build_args: Mapping[str, str], global_args: Mapping[str, str]
) -> BuildSettings:
    """Read and check the settings; an invalid value is an error naming its build arg."""

    def value(name: str) -> str | None:
        found = build_args.get(name, global_args.get(name))
        return found or None

    def checked(name: str, pattern: re.Pattern[str], what: str, default=None):
        found = value(name)
        if found is None:
            return default
        if not pattern.fullmatch(found):
            raise PyenvError(
                f"build arg {name}={redacted(found)!r} is not {what}",
                hint=f"set {name} with --build-arg or a global ARG line",
            )
        return found

    def choice(name: str, choices: tuple[str, ...], default: str) -> str:
        found = value(name) or default
        if found not in choices:
            raise PyenvError(
                f"build arg {name}={redacted(found)!r} is not one of {', '.join(choices)}"
            )
        return found

    return BuildSettings(
        provider=choice(defaults.PROVIDER_ARG, defaults.PROVIDERS, defaults.DEFAULT_PROVIDER),
        installer=choice(defaults.INSTALLER_ARG, defaults.INSTALLERS, defaults.DEFAULT_INSTALLER),
        python_image=checked(
            defaults.PYTHON_IMAGE_ARG,
            REPOSITORY,
            "an image repository (such as registry.example/library/python)",
            defaults.DEFAULT_PYTHON_IMAGE,
        ),
        release=checked(defaults.RELEASE_ARG, RELEASE, "a Debian release name (bookworm)"),
        uv_version=checked(
            defaults.UV_VERSION_ARG,
            _UV_VERSION,
            "a uv version (0.13.9)",
            defaults.DEFAULT_UV_VERSION,
        ),
        uv_image=checked(defaults.UV_IMAGE_ARG, REFERENCE, "an image reference"),
        builder_image=checked(defaults.BUILDER_ARG, REFERENCE, "an image reference"),
        runtime_repositories=_repositories(value(defaults.RUNTIME_REPOSITORIES_ARG)),
        secrets=_secret_ids(value(defaults.SECRETS_ARG)),
        source_args={
            "PYENV_PYTHON_MIRROR": _without_credentials(
                "PYENV_PYTHON_MIRROR",
                checked(
                    "PYENV_PYTHON_MIRROR",
                    _URL,
                    "an http(s) or file URL",
                    defaults.BUILD_ARG_DEFAULTS["PYENV_PYTHON_MIRROR"],
                ),
            ),
            # Any text (quoted where it is pasted), but one line of it.
            "PYENV_PYTHON_CONFIGURE_OPTS": checked(
                "PYENV_PYTHON_CONFIGURE_OPTS",
                _ONE_LINE,
                "one line without control characters or line separators",
                defaults.BUILD_ARG_DEFAULTS["PYENV_PYTHON_CONFIGURE_OPTS"],
            ),
        },
    )


def _without_credentials(name: str, url: str) -> str:
    """`url`, unless it holds credentials: it is written into the rendered ARG line, so
    into the image's history and every build log."""
    found = url_credentials(url)
    if found is not None:
        raise PyenvError(
            f"build arg {name} holds credentials ({found}), which would be written into the "
            "rendered Dockerfile and the image's history",
            hint="serve the mirror without them (a CPython tarball is public and checked by "
            "its SHA-256: --sha256), or reach it through a proxy that adds them",
        )
    return url


def _repositories(text: str | None) -> tuple[str, ...]:
    """The known Runtime repositories and those PYENV_RUNTIME_REPOSITORIES adds (comma or
    space separated), each an image repository without a tag."""
    found = list(defaults.RUNTIME_REPOSITORIES)
    for repository in (text or "").replace(",", " ").split():
        if not REPOSITORY.fullmatch(repository):
            raise PyenvError(
                f"build arg {defaults.RUNTIME_REPOSITORIES_ARG} names {redacted(repository)!r}, "
                "not an image repository",
                hint="name repositories without a tag: registry.example/astronomer/runtime",
            )
        if repository not in found:
            found.append(repository)
    return tuple(found)


def _secret_ids(text: str | None) -> tuple[str, ...]:
    """The secret ids PYENV_SECRETS names (comma or space separated), each a known one."""
    found: list[str] = []
    for secret in (text or "").replace(",", " ").split():
        if secret not in defaults.SECRET_IDS:
            raise PyenvError(
                f"build arg {defaults.SECRETS_ARG} names {secret!r}, not a secret an install reads",
                hint=f"name some of: {', '.join(defaults.SECRET_IDS)}",
            )
        if secret not in found:
            found.append(secret)
    return tuple(found)
