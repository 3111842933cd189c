"""test: the project's unit and integration tests, with a JUnit report for CI.

tests/model/ is left to the model-tests stage, as by any plain `pytest` (pyproject.toml's addopts): it needs
a trained model.
"""

from __future__ import annotations

from pathlib import Path

from ..config import Paths
from ..io.tools import run_module

READS: tuple[str, ...] = ()


def outputs(paths: Paths) -> list[Path]:
    return [paths.junit / "unit.xml"]


def run(paths: Paths) -> None:
    (report,) = outputs(paths)
    run_module("pytest", f"--junitxml={report}", "-o", "junit_family=xunit2", cwd=paths.root)
