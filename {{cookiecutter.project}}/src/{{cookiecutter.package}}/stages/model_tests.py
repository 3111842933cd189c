"""model-tests: the trained model's quality, convergence, reproducibility, behaviour and cost gates.

They run after training (repro) on the model in models/ and the held-out split, from tests/model/,
with limits from params.yaml (model_tests:) and a JUnit report for CI.
"""

from __future__ import annotations

from ..config import Paths
from ..errors import UserError
from .tools import run_module


def run(paths: Paths) -> None:
    if not (paths.model / "MLmodel").is_file():
        raise UserError(f"{paths.model}: no trained model; run `repro` first")
    report = paths.junit / "model.xml"
    run_module("pytest", "tests/model", f"--junitxml={report}", "-o", "junit_family=xunit2", cwd=paths.root)
