"""model-tests: the trained model's quality, convergence, reproducibility, behaviour and cost gates.

They run after training (repro) on the model in models/ and the held-out split, from tests/model/,
with limits from params.yaml (model_tests:) and a JUnit report for CI.
"""

from __future__ import annotations

from pathlib import Path

from ..config import Paths
from ..io.model_files import require_trained
from ..io.tools import run_module

READS = ("repro",)


def outputs(paths: Paths) -> list[Path]:
    return [paths.junit / "model.xml"]


def run(paths: Paths) -> None:
    require_trained(paths)
    (report,) = outputs(paths)
    run_module("pytest", "tests/model", f"--junitxml={report}", "-o", "junit_family=xunit2", cwd=paths.root)
