"""MLflow tracking and registry.

An embedded sqlite store inside the project by default; a tracking server when
MLFLOW_TRACKING_URI is set, with no code change.
"""

from __future__ import annotations

import logging
import os
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
# An unreachable tracking server fails in about 15 s instead of MLflow's minutes of retries.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "3")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

import mlflow
import pandas as pd
import sklearn
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from sklearn.pipeline import Pipeline

from ..config import MODEL_NAME, Paths
from ..errors import UserError

SERIALIZATION = "cloudpickle"
"""skops (MLflow's default) would need every pipeline class listed as trusted."""

KNOWN_NOISE = (
    "Saving scikit-learn models in the pickle or cloudpickle format",  # chosen, see above
    "Failed to resolve installed pip version",  # uv environments have no pip
)


class _DropKnownNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(KNOWN_NOISE)


logging.getLogger("mlflow").setLevel(logging.WARNING)
for _name in ("mlflow.sklearn", "mlflow.utils.environment"):
    logging.getLogger(_name).addFilter(_DropKnownNoise())
# The contract's integer columns are never null, so an integer signature is right.
warnings.filterwarnings("ignore", message=r"Hint: Inferred schema contains integer column")


@dataclass(frozen=True)
class TrainedRun:
    """What the train stage hands to later stages (models/run.json)."""

    run_id: str
    experiment: str
    registered_model: str
    version: str
    model_uri: str


def tracking_uri(paths: Paths) -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{paths.mlruns / 'mlflow.db'}"


def is_embedded(paths: Paths) -> bool:
    return not os.environ.get("MLFLOW_TRACKING_URI")


def connect(paths: Paths) -> str:
    """Point MLflow at the project's store and make sure the experiment exists; returns its id."""
    uri = tracking_uri(paths)
    if is_embedded(paths):
        # Artifacts land beside the database, in mlruns/<experiment id>/.
        paths.mlruns.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        experiment = mlflow.get_experiment_by_name(MODEL_NAME)
        if experiment is not None:
            return experiment.experiment_id
        return mlflow.create_experiment(MODEL_NAME)
    except MlflowException as error:
        raise UserError(f"MLflow store {redact(uri)} is not usable: {first_line(error)}") from None


def requirements() -> list[str]:
    """The model's pinned runtime requirements (MLflow would spend seconds inferring them)."""
    import cloudpickle
    import numpy

    return [
        f"scikit-learn=={sklearn.__version__}",
        f"pandas=={pd.__version__}",
        f"numpy=={numpy.__version__}",
        f"cloudpickle=={cloudpickle.__version__}",
    ]


def save_model(model: Pipeline, example: pd.DataFrame, path: Path) -> None:
    """Save an MLflow model folder, replacing any previous one only once the new one is complete."""
    staging = path.with_name(f".{path.name}.tmp")
    previous = path.with_name(f".{path.name}.old")
    for leftover in (staging, previous):
        _remove(leftover)
    mlflow.sklearn.save_model(
        model,
        staging,
        serialization_format=SERIALIZATION,
        signature=infer_signature(example, model.predict(example)),
        input_example=example,
        pip_requirements=requirements(),
    )
    if path.exists():
        path.rename(previous)
    staging.rename(path)
    _remove(previous)


def log_training(
    paths: Paths,
    model: Pipeline,
    example: pd.DataFrame,
    params: dict[str, Any],
    metrics: dict[str, float],
    tags: dict[str, str],
) -> TrainedRun:
    """One MLflow run: parameters, training metrics, lineage tags, and the model, registered."""
    experiment_id = connect(paths)
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)
        mlflow.set_tags(tags)
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            serialization_format=SERIALIZATION,
            signature=infer_signature(example, model.predict(example)),
            input_example=example,
            pip_requirements=requirements(),
            registered_model_name=MODEL_NAME,
        )
    version = str(info.registered_model_version)
    client = mlflow.MlflowClient()
    for key, value in tags.items():
        client.set_model_version_tag(MODEL_NAME, version, key, value)
    return TrainedRun(
        run_id=run.info.run_id,
        experiment=MODEL_NAME,
        registered_model=MODEL_NAME,
        version=version,
        model_uri=f"models:/{MODEL_NAME}/{version}",
    )


def log_evaluation(
    paths: Paths, trained: dict[str, str], metrics: dict[str, float], reports: list[Path]
) -> bool:
    """Add test metrics and reports to the training run, the metrics as tags to its registered
    version too; False if that run is not in this store."""
    connect(paths)
    run_id = trained["run_id"]
    try:
        mlflow.get_run(run_id)
    except MlflowException:
        return False
    client = mlflow.MlflowClient()
    for key, value in metrics.items():
        client.set_model_version_tag(trained["registered_model"], trained["version"], key, str(value))
    with mlflow.start_run(run_id=run_id):
        mlflow.log_metrics(metrics)
        for report in reports:
            if report.is_dir():
                mlflow.log_artifacts(str(report), f"evaluation/{report.name}")
            else:
                mlflow.log_artifact(str(report), "evaluation")
    return True


def load_model(path: Path) -> Pipeline:
    if not path.is_dir():
        raise UserError(f"{path}: no model; run the train stage first")
    return mlflow.sklearn.load_model(str(path))


def redact(uri: str) -> str:
    """A tracking URI without credentials, safe to print in CI logs."""
    scheme, sep, rest = uri.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return uri


def first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
