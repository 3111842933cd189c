"""Baking helpers shared by the template's tests.

The expensive thing, a baked default project with its environment installed and its pipeline run,
is made once per session. Every baked project that runs uses one uv cache and one venv per pytest-xdist
worker (build/venvs/py<version>-<worker>): jobs install the project into it, so two workers running
pipelines at once must not share one. A warm session installs nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
BUILD = TEMPLATE / "build"
DEFAULTS = {"project": "income-classifier", "package": "income_classifier"}
UV = str(Path(sys.executable).with_name("uv"))
"""The uv pinned by the template's own lock file, whatever `uv` is first on PATH."""

QUIET_TOOLS = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DVC_NO_ANALYTICS": "1",
    "UV_COMPILE_BYTECODE": "1",
    "UV_PYTHON_DOWNLOADS": "never",
    "UV_NO_PROGRESS": "1",
    # Two workers share two cores: a model's OpenMP threads, or a project's own pytest workers, would only
    # compete with the other worker (a test that runs the project's suite asks for its workers itself).
    "OMP_NUM_THREADS": "1",
    "PYTEST_ADDOPTS": "--numprocesses=0",
}

Bake = Callable[..., Path]


def bake_into(output_dir: Path, **answers: str) -> Path:
    """Generate a project with cookiecutter's API; returns the project folder."""
    return Path(cookiecutter(str(TEMPLATE), no_input=True, extra_context=answers, output_dir=str(output_dir)))


@pytest.fixture
def bake(tmp_path: Path) -> Bake:
    return lambda **answers: bake_into(tmp_path, **answers)


def project_env(python: str = "3.11") -> dict[str, str]:
    """Environment for running a baked project: the shared venv, quiet tools, no MLflow server."""
    env = {key: value for key, value in os.environ.items() if key != "MLFLOW_TRACKING_URI"}
    env.update(QUIET_TOOLS)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    venv = f"py{python.replace('.', '')}" + (f"-{worker}" if worker else "")
    env["UV_PROJECT_ENVIRONMENT"] = str(BUILD / "venvs" / venv)
    env.pop("VIRTUAL_ENV", None)
    return env


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 600):
    """Run a command in a baked project; fail the test with its output if it fails."""
    result = subprocess.run(command, cwd=cwd, env=env or project_env(), capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
        )
    return result


@pytest.fixture(scope="session")
def default_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default bake, its environment synced into the shared venv, its pipeline run once."""
    project = bake_into(tmp_path_factory.mktemp("default"))
    run([UV, "sync", "--locked"], project)
    run([UV, "run", "--no-sync", DEFAULTS["project"], "repro"], project)
    return project
