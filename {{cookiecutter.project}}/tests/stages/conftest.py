"""What the stage tests share: a prediction log written as the service writes it."""

import json
from collections.abc import Callable

import pandas as pd
import pytest

from {{ cookiecutter.package }}.config import Paths
from {{ cookiecutter.package }}.io import model_files
from {{ cookiecutter.package }}.serving.prediction_log import PredictionLog


def log_as_served(paths: Paths, frame: pd.DataFrame, log_path=None, batch: int = 4) -> pd.DataFrame:
    """Log the champion's predictions on these rows as the service does, in batches; the rows with their
    request ids and indexes back."""
    contract_columns = [c for c in frame.columns if c != "income"]
    pipeline = model_files.load(paths.model).pipeline
    probability = pipeline.predict_proba(frame[contract_columns])[:, 1]
    log = PredictionLog(log_path or paths.root / "logs" / "predictions.jsonl", 1.0, 10_000_000, 2)
    ids, indexes = [], []
    for start in range(0, len(frame), batch):
        rows = frame.iloc[start : start + batch]
        records = json.loads(rows[contract_columns].to_json(orient="records"))
        chunk = list(map(float, probability[start : start + batch]))
        log.record(f"req-{start}", "1", records, chunk, [">50K" if p >= 0.5 else "<=50K" for p in chunk])
        ids += [f"req-{start}"] * len(rows)
        indexes += list(range(len(rows)))
    log.close()
    return frame.assign(request_id=ids, index=indexes)


@pytest.fixture(scope="session")
def log_predictions() -> Callable[..., pd.DataFrame]:
    """log_predictions(paths, frame, log_path=None, batch=4): the project model's predictions on frame's rows
    logged as the service logs them (default: serve.prediction_log's default path); the rows with their
    request ids and indexes back."""
    return log_as_served
