"""repro: validate -> prepare -> train -> evaluate through `dvc repro`, skipping what has not changed.

params.yaml and the contract are checked first, so a bad setting stops it before DVC runs anything.
Data that `validate` has already passed as it is now is not validated a second time.
When the MLflow store does not know the trained model (an evicted CI cache, a deleted mlruns/), the
model is trained again, so that the pipeline's model is always a registered version.
"""

from __future__ import annotations

from pathlib import Path

from ..artefacts import Evaluation, Reproduction, TrainedModel
from ..config import Paths
from ..errors import UserError
from ..io import mlflow_store, registry, remote, validated
from ..io.tools import run_module
from ..settings import load_checked

READS = ("validate",)


def outputs(paths: Paths) -> list[Path]:
    kept_by_dvc = [paths.models, paths.prepared, paths.evaluation, paths.plots, paths.dvc_lock, paths.mlruns]
    return [*kept_by_dvc, paths.reproduced]


def run(paths: Paths) -> None:
    paths.reproduced.unlink(missing_ok=True)  # written again at the end: until then, no result of this run
    load_checked(paths)
    if not (paths.root / ".dvc").is_dir():
        raise UserError(f"{paths.root}: not a DVC repository (no .dvc/); run `make setup`")
    print(f"repro: {remote.pull(paths)}")
    if validated.is_current(paths):
        # validate already passed this data (CI's validate job, or `validate` by hand): tell DVC, not redo it.
        print(f"repro: {paths.shown(paths.validation)} already passes the data as it is: validated once")
        run_module("dvc", "commit", "--force", "--quiet", "validate", cwd=paths.root)
    run_module("dvc", "repro", cwd=paths.root)
    trained = TrainedModel.read(paths.trained)
    if not registry.is_registered(paths, trained):
        print(
            f"repro: {mlflow_store.where(paths)} does not know {trained.registered_model} version "
            f"{trained.version} (run {trained.run_id}): training again to register the model"
        )
        run_module("dvc", "repro", "--force", "--downstream", "train", cwd=paths.root)  # train, then evaluate
        trained = TrainedModel.read(paths.trained)
    evaluation = Evaluation.read(paths.evaluation)
    Reproduction(version=trained.version, run_id=trained.run_id).write(paths.reproduced)
    primary = f"{evaluation.primary_metric} {evaluation.primary:.4f}"
    print(f"repro: done. {primary} on {evaluation.rows} test rows")
    print(f"  scores:  {paths.shown(paths.evaluation)}, plots: {paths.shown(paths.plots)}/ (dvc plots show)")
    registered = f"{trained.registered_model} version {trained.version}"
    print(f"  model:   {paths.shown(paths.model)}/, registered as {registered}")
    print(f"  MLflow:  {mlflow_store.where(paths)} (run {trained.run_id})")
