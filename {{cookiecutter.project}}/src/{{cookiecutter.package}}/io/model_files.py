"""The trained model on disk: an MLflow model folder (models/model), saved whole or not at all.

MLflow and scikit-learn are imported by the functions that save and load, not here: `require_trained`
is all the model-tests and loadtest stages need, and they should not pay seconds of imports for it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import PROJECT, Paths
from ..core.scoring import SCORE_QUANTILES, read_quantiles
from ..errors import UserError

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.pipeline import Pipeline

SERIALIZATION = "cloudpickle"
"""skops (MLflow's default) would need every pipeline class listed as trusted."""


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to score, with the input schema it was saved with and its size on disk."""

    pipeline: Pipeline
    inputs: dict[str, str]
    size_bytes: int
    trained_at: float | None = None
    """When it was saved (MLmodel's utc_time_created), in seconds since the epoch; None if not recorded."""
    score_quantiles: tuple[float, ...] | None = None
    """The percentiles of its scores on its training rows (MLmodel metadata, core/scoring.py): the service's
    positive share is measured against the share they give at its threshold (the PredictionShift alert).
    None for a model saved without them."""


def requirements() -> list[str]:
    """The model's pinned runtime requirements (MLflow would spend seconds inferring them)."""
    import cloudpickle
    import numpy
    import pandas
    import sklearn

    return [
        f"scikit-learn=={sklearn.__version__}",
        f"pandas=={pandas.__version__}",
        f"numpy=={numpy.__version__}",
        f"cloudpickle=={cloudpickle.__version__}",
    ]


def model_arguments(model: Pipeline, example: pd.DataFrame, quantiles: list[float] | None = None) -> dict:
    """How every model is written, to a folder or to the store: format, signature, example, requirements,
    and the quantiles of its scores on its training rows (LoadedModel.score_quantiles)."""
    from mlflow.models import infer_signature

    return {
        "serialization_format": SERIALIZATION,
        "signature": infer_signature(example, model.predict(example)),
        "input_example": example,
        "pip_requirements": requirements(),
        "metadata": None if quantiles is None else {SCORE_QUANTILES: quantiles},
    }


def save(model: Pipeline, example: pd.DataFrame, folder: Path, quantiles: list[float] | None = None) -> None:
    """Save an MLflow model folder, replacing any previous one only once the new one is complete."""
    with saving(model, example, folder, quantiles):
        pass


@contextmanager
def saving(
    model: Pipeline, example: pd.DataFrame, folder: Path, quantiles: list[float] | None = None
) -> Iterator[None]:
    """Save an MLflow model folder beside folder; it replaces folder when the block ends without an error, and
    is removed otherwise (train registers the model in the block): folder never holds a half-saved model, nor
    one that the block failed to record."""
    import mlflow.sklearn

    from . import mlflow_store  # noqa: F401  (MLflow's settings and log filters before any MLflow call)

    staging = folder.with_name(f".{folder.name}.tmp")
    previous = folder.with_name(f".{folder.name}.old")
    for leftover in (staging, previous):
        _remove(leftover)
    mlflow.sklearn.save_model(model, staging, **model_arguments(model, example, quantiles))
    try:
        yield
    except BaseException:
        _remove(staging)
        raise
    if folder.exists():
        folder.rename(previous)
    staging.rename(folder)
    _remove(previous)


def require_trained(paths: Paths) -> Path:
    """The trained model's folder; a one-line error saying what to run when there is none."""
    if not (paths.model / "MLmodel").is_file():
        raise UserError(f"{paths.model}: no trained model; run `{PROJECT} repro` first")
    return paths.model


def load_trained(paths: Paths) -> LoadedModel:
    """The model trained here (models/model); a one-line error when there is none or it cannot be loaded (a
    file damaged or cut short): training again replaces it."""
    folder = require_trained(paths)
    try:
        return load(folder)
    except Exception as error:  # unpickling and MLmodel parsing fail in many ways, all meaning the same here
        from .mlflow_store import first_line  # loaded already: load() imported MLflow

        raise UserError(
            f"{folder}: the trained model cannot be loaded ({first_line(error)}); run `{PROJECT} repro` again"
        ) from None


def load(folder: Path) -> LoadedModel:
    """A saved MLflow model folder: the scikit-learn pipeline, its input schema and its size."""
    import mlflow.sklearn
    from mlflow.models import Model

    from . import mlflow_store  # noqa: F401  (MLflow's settings and log filters before any MLflow call)

    info = Model.load(str(folder))
    inputs = info.signature.inputs.to_dict() if info.signature else []
    return LoadedModel(
        pipeline=mlflow.sklearn.load_model(str(folder)),
        inputs={column.get("name", "?"): column.get("type", "?") for column in inputs},
        size_bytes=sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()),
        trained_at=_seconds(info.utc_time_created),
        score_quantiles=read_quantiles((info.metadata or {}).get(SCORE_QUANTILES)),
    )


def _seconds(utc_time: str | None) -> float | None:
    """MLflow's "%Y-%m-%d %H:%M:%S.%f" (UTC) as seconds since the epoch."""
    try:
        return datetime.fromisoformat(str(utc_time)).replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
