"""Astro Runtime's version strings, and astro-provider-venv installed beside us.

The competing provider is simulated as pip installs it: a dist-info directory with its
METADATA and the entry point its pyproject.toml declares, on sys.path.
"""

from __future__ import annotations

import importlib.metadata
import logging
import sys
from pathlib import Path

import pytest

from buildkit_frontend import airflow as provider
from buildkit_frontend.airflow import compat


@pytest.mark.parametrize(
    ("runtime", "target"),
    [
        ("2.10.3+astro.1", "2.10.3"),  # Astro Runtime, and the environment's PyPI Airflow
        ("3.0.1+astro.2", "3.0.1"),
        ("2.7.2+astro.3", "2.7.2+astro.3"),
        ("2.7.2.post1", "2.7.2"),
        ("3.0", "3.0.0"),
        ("2.11.0", "2.11.0"),
    ],
)
def test_same_release_despite_vendor_suffixes(runtime, target):
    assert compat.same_airflow_release(runtime, target)


@pytest.mark.parametrize(
    ("runtime", "target"),
    [
        ("2.10.3+astro.1", "2.10.4"),
        ("2.10.3", "2.11.0"),
        ("3.0.0", "3.0.0rc1"),
        ("3.1.0.dev0", "3.1.0"),
        ("2.10.3", "not a version"),
    ],
)
def test_other_releases_differ(runtime, target):
    assert not compat.same_airflow_release(runtime, target)


def install(site: Path, name: str, version: str, entry_point: str) -> None:
    """Write the dist-info pip leaves for a distribution with a provider entry point."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(
        f"[apache_airflow_provider]\nprovider_info = {entry_point}\n"
    )


ASTRO = ("astro-provider-venv", "1.0.0a3", "astronomer.providers.venv:get_provider_info")
RUNTIME = ("buildkit-pyenv-runtime", "0.1.0", "buildkit_frontend.airflow:get_runtime_provider_info")


def providers_in(site: Path) -> list[compat.VenvProvider]:
    return compat.venv_providers(importlib.metadata.distributions(path=[str(site)]))


def test_astro_provider_is_active_when_installed_beside_us(tmp_path):
    install(tmp_path, *RUNTIME)
    install(tmp_path, *ASTRO)
    found = providers_in(tmp_path)
    assert [p.distribution for p in found] == ["astro-provider-venv", "buildkit-pyenv-runtime"]
    message = compat.competing_provider_message(found)
    assert message is not None
    assert (
        "@task.venv is registered by both buildkit-pyenv and astro-provider-venv 1.0.0a3: "
        "astro-provider-venv 1.0.0a3's (astronomer.providers.venv.decorators.venv_task) "
        "is active" in message
    )
    assert "remove astro-provider-venv from the image (requirements.txt)" in message
    assert "from buildkit_frontend.airflow import venv_task" in message


def test_no_message_without_a_competitor(tmp_path):
    install(tmp_path, *RUNTIME)
    install(tmp_path, "apache-airflow-providers-http", "5.0.0", "airflow.providers.http:info")
    assert compat.competing_provider_message(providers_in(tmp_path)) is None


def test_no_message_without_us(tmp_path):
    install(tmp_path, *ASTRO)
    assert compat.competing_provider_message(providers_in(tmp_path)) is None


def test_providers_manager_loading_us_logs_which_is_active(tmp_path, monkeypatch, caplog):
    """What Airflow's providers manager does: call our entry point's function. With
    astro-provider-venv on sys.path, that logs the warning, once a process."""
    install(tmp_path, *ASTRO)
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    monkeypatch.setattr(compat, "_warned", False)
    with caplog.at_level(logging.WARNING, logger=compat.__name__):
        info = provider.get_provider_info()
        provider.get_runtime_provider_info()
    assert info["task-decorators"] == [
        {"name": "venv", "class-name": "buildkit_frontend.airflow.decorator.venv_task"}
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "astro-provider-venv 1.0.0a3's" in warnings[0] and "is active" in warnings[0]


def test_each_distribution_names_itself_to_airflow():
    """Airflow 2 refuses a provider whose info names another distribution."""
    assert provider.get_provider_info()["package-name"] == "buildkit-pyenv"
    assert provider.get_runtime_provider_info()["package-name"] == "buildkit-pyenv-runtime"
