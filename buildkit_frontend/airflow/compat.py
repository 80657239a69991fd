"""Living beside other Airflows and other providers: Astro Runtime's version strings, and
astro-provider-venv, which registers `task.venv` too.

Standard library only: the provider entry point imports this before Airflow is loaded.
"""

from __future__ import annotations

import importlib.metadata
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

log = logging.getLogger(__name__)

#: The project this one succeeds; its provider registers `task.venv` as well.
ASTRO_PROVIDER = "astro-provider-venv"
#: Its decorator, as its provider info names it.
ASTRO_DECORATOR = "astronomer.providers.venv.decorators.venv_task"
#: This project's distributions and the decorator both register.
OWN_DISTRIBUTIONS = ("buildkit-pyenv", "buildkit-pyenv-runtime")
OWN_DECORATOR = "buildkit_frontend.airflow.decorator.venv_task"

# PEP 440 as far as Airflow releases go: 2.10.3, 3.0.0rc1, 2.7.2.post1, 2.10.3+astro.1.
_VERSION = re.compile(
    r"v?(?P<release>\d+(?:\.\d+)*)(?P<pre>(?:a|b|rc)\d+)?(?:\.?post\d+)?(?P<dev>\.?dev\d+)?"
    r"(?:\+[a-z0-9.]+)?",
    re.IGNORECASE,
)


def same_airflow_release(runtime: str, target: str) -> bool:
    """Whether two Airflow version strings name the same release, ignoring what a vendor
    adds: a local label (Astro Runtime's `2.10.3+astro.1`) or a post-release (`.post1`).
    Strings that are no version are equal only when identical."""
    first, second = _VERSION.fullmatch(runtime.strip()), _VERSION.fullmatch(target.strip())
    if first is None or second is None:
        return runtime.strip() == target.strip()

    def key(match: re.Match[str]) -> tuple[tuple[int, ...], str, str]:
        release = tuple(int(part) for part in match["release"].split("."))
        while len(release) > 1 and release[-1] == 0:
            release = release[:-1]  # 3.0 == 3.0.0
        return release, (match["pre"] or "").lower(), (match["dev"] or "").lstrip(".").lower()

    return key(first) == key(second)


@dataclass(frozen=True)
class VenvProvider:
    """An installed distribution whose Airflow provider registers `task.venv`."""

    distribution: str  # as its metadata spells it
    version: str
    decorator: str  # the dotted name of its decorator function


def venv_providers(
    distributions: Iterable[importlib.metadata.Distribution] | None = None,
) -> list[VenvProvider]:
    """The installed providers that register `task.venv`, in the order Airflow registers
    them: by distribution name (its providers manager sorts them, and the first to
    register a decorator name keeps it). Known from metadata alone, nothing is imported."""
    if distributions is None:
        distributions = importlib.metadata.distributions()
    found: dict[str, VenvProvider] = {}
    for dist in distributions:
        name = dist.metadata["Name"] or ""
        canonical = _canonical(name)
        if canonical in found:
            continue  # an earlier entry of sys.path shadows this one, as for Airflow
        if not any(ep.group == "apache_airflow_provider" for ep in dist.entry_points):
            continue
        if canonical == ASTRO_PROVIDER:
            found[canonical] = VenvProvider(name, dist.version, ASTRO_DECORATOR)
        elif canonical in OWN_DISTRIBUTIONS:
            found[canonical] = VenvProvider(name, dist.version, OWN_DECORATOR)
    return [found[name] for name in sorted(found)]


def competing_provider_message(providers: list[VenvProvider]) -> str | None:
    """What to tell the user when astro-provider-venv registers `task.venv` too: which
    decorator Airflow uses, and how to migrate; None when there is no competitor."""
    competitors = [p for p in providers if p.decorator != OWN_DECORATOR]
    if not competitors or len(providers) == len(competitors):
        return None
    active = providers[0]
    if active.decorator == OWN_DECORATOR:
        which = f"buildkit-pyenv's ({OWN_DECORATOR}) is active"
    else:
        which = (
            f"{active.distribution} {active.version}'s ({active.decorator}) is active, "
            f"as Airflow keeps the first provider by name; buildkit-pyenv's is not used"
        )
    others = ", ".join(f"{p.distribution} {p.version}" for p in competitors)
    return (
        f"@task.venv is registered by both buildkit-pyenv and {others}: {which}. "
        f"Both read the same ASTRO_PYENV_<name> variables, so DAGs keep working. To "
        f"migrate, remove {ASTRO_PROVIDER} from the image (requirements.txt) and keep "
        f"buildkit-pyenv-runtime; `from buildkit_frontend.airflow import venv_task` uses "
        f"buildkit-pyenv's decorator meanwhile."
    )


_warned = False


def warn_about_competing_providers() -> None:
    """Log, once a process, which `task.venv` Airflow uses when astro-provider-venv is
    installed beside this package."""
    global _warned
    if _warned:
        return
    _warned = True
    try:
        message = competing_provider_message(venv_providers())
    except Exception as error:  # broken metadata of another package must not stop Airflow
        log.debug("could not look for other task.venv providers: %s", error)
        return
    if message:
        log.warning(message)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
