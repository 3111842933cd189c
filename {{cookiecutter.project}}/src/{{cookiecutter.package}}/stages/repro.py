"""repro: validate -> prepare -> train -> evaluate through `dvc repro`, skipping what has not changed."""

from __future__ import annotations

from pathlib import Path

from ..artefacts import Evaluation, TrainedModel
from ..config import Paths
from ..errors import UserError
from ..io import mlflow_store, remote
from ..io.tools import run_module

READS: tuple[str, ...] = ()


def outputs(paths: Paths) -> list[Path]:
    return [paths.models, paths.prepared, paths.evaluation, paths.plots, paths.dvc_lock, paths.mlruns]


def run(paths: Paths) -> None:
    if not (paths.root / ".dvc").is_dir():
        raise UserError(f"{paths.root}: not a DVC repository (no .dvc/); run `make setup`")
    print(f"repro: {remote.pull(paths)}")
    run_module("dvc", "repro", cwd=paths.root)
    evaluation, trained = Evaluation.read(paths.evaluation), TrainedModel.read(paths.trained)
    primary = f"{evaluation.primary_metric} {evaluation.primary:.4f}"
    print(f"repro: done. {primary} on {evaluation.rows} test rows")
    print(f"  scores:  {paths.shown(paths.evaluation)}, plots: {paths.shown(paths.plots)}/ (dvc plots show)")
    registered = f"{trained.registered_model} version {trained.version}"
    print(f"  model:   {paths.shown(paths.model)}/, registered as {registered}")
    print(f"  MLflow:  {mlflow_store.where(paths)} (run {trained.run_id})")
