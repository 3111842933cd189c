"""MLflow runs: a training run with its parameters, metrics, lineage and registered model, and the
evaluation added to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from sklearn.pipeline import Pipeline

from ..artefacts import TrainedModel
from ..config import MODEL_NAME, Paths
from . import mlflow_store, model_files
from .registry import REFERENCE


def log_training(
    paths: Paths,
    model: Pipeline,
    example: pd.DataFrame,
    params: dict[str, Any],
    metrics: dict[str, float],
    tags: dict[str, str],
    reference: dict,
    quantiles: list[float] | None = None,
) -> TrainedModel:
    """One MLflow run: parameters, training metrics, lineage tags, the profile of the training data (the
    reference the scheduled drift check measures against), and the model, registered and tagged, with the
    quantiles of its scores on its training rows (model_files.LoadedModel.score_quantiles)."""
    experiment_id = mlflow_store.connect(paths)
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)
        mlflow.set_tags(tags)
        mlflow.log_dict(reference, REFERENCE)
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name=MODEL_NAME,
            **model_files.model_arguments(model, example, quantiles),
        )
    version = str(info.registered_model_version)
    client = mlflow.MlflowClient()
    for key, value in tags.items():
        client.set_model_version_tag(MODEL_NAME, version, key, value)
    return TrainedModel(
        run_id=run.info.run_id,
        experiment=MODEL_NAME,
        registered_model=MODEL_NAME,
        version=version,
        model_uri=f"models:/{MODEL_NAME}/{version}",
    )


def log_evaluation(
    paths: Paths, trained: TrainedModel, metrics: dict[str, float], reports: list[Path]
) -> bool:
    """Add test metrics and reports to the training run, the metrics as tags to its registered
    version too; False if that run is not in this store."""
    client = mlflow_store.client(paths)
    try:
        mlflow.get_run(trained.run_id)
    except MlflowException:
        return False
    for key, value in metrics.items():
        client.set_model_version_tag(trained.registered_model, trained.version, key, str(value))
    with mlflow.start_run(run_id=trained.run_id):
        mlflow.log_metrics(metrics)
        for report in reports:
            if report.is_dir():
                mlflow.log_artifacts(str(report), f"evaluation/{report.name}")
            else:
                mlflow.log_artifact(str(report), "evaluation")
    return True
