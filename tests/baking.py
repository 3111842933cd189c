"""Baking a project from the template and running commands in it.

Every baked project that runs uses one uv cache and one venv per pytest-xdist worker
(build/venvs/py<version>-<worker>): jobs install the project into it, so two workers running pipelines at
once must not share one. A warm session installs nothing.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from tools import QUIET_TOOLS, scrubbed_environ

TEMPLATE = Path(__file__).resolve().parents[1]
BUILD = TEMPLATE / "build"
DEFAULTS = {"project": "income-classifier", "package": "income_classifier"}

Bake = Callable[..., Path]


def bake_into(output_dir: Path, **answers: str) -> Path:
    """Generate a project with cookiecutter's API; returns the project folder."""
    return Path(cookiecutter(str(TEMPLATE), no_input=True, extra_context=answers, output_dir=str(output_dir)))


def project_env(python: str = "3.11") -> dict[str, str]:
    """Environment for running a baked project: this worker's venv, quiet tools, nothing steering from outside."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    venv = f"py{python.replace('.', '')}" + (f"-{worker}" if worker else "")
    return {**scrubbed_environ(), **QUIET_TOOLS, "UV_PROJECT_ENVIRONMENT": str(BUILD / "venvs" / venv)}


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 600):
    """Run a command in a baked project; fail the test with its output if it fails."""
    result = subprocess.run(command, cwd=cwd, env=env or project_env(), capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
        )
    return result


def golden_record(project: Path) -> tuple[dict, str]:
    """The first golden case: a record and the class every model must give it."""
    with (project / "data" / "golden.csv").open() as lines:
        header, first = lines.readline().strip().split(","), lines.readline().strip().split(",")
    row = dict(zip(header, first, strict=True))
    row.pop("case")
    expected = row.pop("expected")
    record = {key: (int(value) if value.isdigit() else value or None) for key, value in row.items()}
    return record, expected
