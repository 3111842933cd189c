"""repro: prepare -> train -> evaluate through `dvc repro`, skipping what has not changed."""

from __future__ import annotations

from ..config import Paths
from ..errors import UserError
from ..io import remote, tracking
from ..io.files import read_json
from .tools import run_module


def repro(paths: Paths) -> None:
    if not (paths.root / ".dvc").is_dir():
        raise UserError(f"{paths.root}: not a DVC repository (no .dvc/); run `make setup`")
    print(f"repro: {remote.pull(paths)}")
    run_module("dvc", "repro", cwd=paths.root)


def summary(paths: Paths) -> str:
    report = read_json(paths.metrics)
    trained = read_json(paths.run_info)
    primary = report["primary_metric"]
    return "\n".join(
        [
            f"repro: done. {primary} {report['test'][primary]:.4f} on {report['rows']} test rows",
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
