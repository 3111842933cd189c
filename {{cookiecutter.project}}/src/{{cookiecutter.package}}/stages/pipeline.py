"""pipeline: every CI stage, in CI's order; what CI runs, one job per stage, runs here in one go."""

from __future__ import annotations

import importlib

from ..config import Paths

STAGES = ("validate", "lint", "test", "repro", "model-tests", "report")
"""The CI stages in order: GitHub, GitLab and Jenkins definitions run exactly these, one a job."""


def run(paths: Paths) -> None:
    for name in STAGES:
        print(f"==> {name}", flush=True)
        importlib.import_module(f".{name.replace('-', '_')}", __package__).run(paths)
    print(f"==> pipeline: {len(STAGES)} stages passed ({', '.join(STAGES)})")
