"""Ships the repository's own runtime modules in buildkit-pyenv-runtime.

Built from the repository, the files come from ../../buildkit_frontend; built from the
sdist (which holds copies), from the sdist's buildkit_frontend/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

#: What Airflow images need: the runtime helper and the Airflow provider, stdlib only.
FILES = (
    "buildkit_frontend/__init__.py",
    "buildkit_frontend/contract.py",
    "buildkit_frontend/defaults.py",
    "buildkit_frontend/runtime.py",
    "buildkit_frontend/airflow/__init__.py",
    "buildkit_frontend/airflow/compat.py",
    "buildkit_frontend/airflow/decorator.py",
    "buildkit_frontend/airflow/task_start.py",
)


class RuntimeFiles(BuildHookInterface):
    """Force-includes FILES from wherever this build finds them."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Map each file of FILES to its place in the wheel or sdist."""
        root = Path(self.root)
        repo = root.parent.parent
        from_repo = (repo / "pyproject.toml").is_file() and (repo / FILES[0]).is_file()
        for name in FILES:
            source = (repo if from_repo else root) / name
            if not source.is_file():
                raise FileNotFoundError(f"buildkit-pyenv-runtime needs {source}")
            build_data["force_include"][str(source)] = name
