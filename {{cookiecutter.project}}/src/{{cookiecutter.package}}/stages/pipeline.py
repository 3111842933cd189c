"""pipeline: every stage, in the order CI runs them, skipping what has not changed (dvc repro)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ..config import Paths
from ..errors import StageError, UserError
from ..io import tracking
from ..io.files import read_json


def environment() -> dict[str, str]:
    """Stage commands run with this interpreter's scripts first on PATH, whatever the caller's."""
    scripts = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": os.pathsep.join([scripts, os.environ.get("PATH", "")]),
        "DVC_NO_ANALYTICS": "1",
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }


def repro(paths: Paths) -> None:
    if not (paths.root / ".dvc").is_dir():
        raise UserError(f"{paths.root}: not a DVC repository (no .dvc/); run `make setup`")
    command = [sys.executable, "-m", "dvc", "repro"]
    completed = subprocess.run(command, cwd=paths.root, env=environment(), check=False)
    if completed.returncode != 0:
        raise StageError(completed.returncode)


def summary(paths: Paths) -> str:
    report = read_json(paths.metrics)
    trained = read_json(paths.run_info)
    primary = report["primary_metric"]
    return "\n".join(
        [
            f"pipeline: done. {primary} {report['test'][primary]:.4f} "
            f"on {report['rows']} test rows",
            f"  metrics: {paths.metrics.relative_to(paths.root)}, "
            f"plots: {paths.plots.relative_to(paths.root)}/ (dvc plots show)",
            f"  model:   {paths.model.relative_to(paths.root)}/, registered as "
            f"{trained['registered_model']} version {trained['version']}",
            f"  MLflow:  {tracking.redact(tracking.tracking_uri(paths))} (run {trained['run_id']})",
        ]
    )


def run(paths: Paths) -> None:
    repro(paths)
    print(summary(paths))
