"""Run a development tool (ruff, pytest, dvc) or the service as a subprocess of this environment."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from ..errors import StageError, UserError


def environment() -> dict[str, str]:
    """This interpreter's scripts first on PATH, so DVC's stage commands find the project's CLI.

    Telemetry switches come with os.environ (config.QUIET).
    """
    scripts = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": os.pathsep.join([scripts, os.environ.get("PATH", "")])}


def run_module(module: str, *args: str, cwd: Path) -> None:
    """`python -m module args` in cwd; a non-zero exit fails the stage (the tool says why)."""
    if importlib.util.find_spec(module) is None:
        raise UserError(f"{module} is not installed in this environment; run `uv sync`")
    completed = subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, env=environment())
    if completed.returncode != 0:
        raise StageError(completed.returncode)
