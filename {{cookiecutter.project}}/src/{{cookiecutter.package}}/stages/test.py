"""test: the project's unit and integration tests, with a JUnit report for CI.

tests/model/ is left to the model-tests stage: it needs a trained model.
"""

from __future__ import annotations

from ..config import Paths
from .tools import run_module


def run(paths: Paths) -> None:
    report = paths.junit / "unit.xml"
    run_module(
        "pytest", "--ignore=tests/model", f"--junitxml={report}", "-o", "junit_family=xunit2", cwd=paths.root
    )
