"""What the stage tests share: a prediction log written as the service writes it, where the deployed local
service writes it."""

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package }}.config import Paths
from {{ cookiecutter.package }}.deployment.service import LocalService
from {{ cookiecutter.package }}.io import model_files
from {{ cookiecutter.package }}.serving.prediction_log import PredictionLog
from {{ cookiecutter.package }}.settings import load_settings


def log_as_served(
    paths: Paths, frame: pd.DataFrame, log_path=None, batch: int = 4, version: str = "1"
) -> pd.DataFrame:
    """Log the project model's predictions on these rows as the service does, in batches, as served by model
    version `version`; the rows with their request ids and indexes back."""
    contract_columns = [c for c in frame.columns if c != "income"]
    pipeline = model_files.load(paths.model).pipeline
    probability = pipeline.predict_proba(frame[contract_columns])[:, 1]
    log = PredictionLog(log_path or paths.root / "logs" / "predictions.jsonl", 1.0, 10_000_000, 2)
    ids, indexes = [], []
    for start in range(0, len(frame), batch):
        rows = frame.iloc[start : start + batch]
        records = json.loads(rows[contract_columns].to_json(orient="records"))
        chunk = list(map(float, probability[start : start + batch]))
        log.record(f"req-{start}", version, records, chunk, [">50K" if p >= 0.5 else "<=50K" for p in chunk])
        ids += [f"req-{start}"] * len(rows)
        indexes += list(range(len(rows)))
    log.close()
    return frame.assign(request_id=ids, index=indexes)


@pytest.fixture(scope="session")
def log_predictions() -> Callable[..., pd.DataFrame]:
    """log_predictions(paths, frame, log_path=None, batch=4, version="1"): the project model's predictions on
    frame's rows logged as the service logs them (default: serve.prediction_log's default path); the rows with
    their request ids and indexes back."""
    return log_as_served


@pytest.fixture(scope="session")
def deployed_log() -> Callable[[Paths], Path]:
    """deployed_log(paths): where the deployed local service writes its prediction log, with the project copy
    set to the local target (blue-green), whatever target it was generated with."""

    def log_of(paths: Paths) -> Path:
        params = yaml.safe_load(paths.params.read_text())
        params["deploy"].update(target="local", strategy="blue-green")
        paths.params.write_text(yaml.safe_dump(params, sort_keys=False))
        return LocalService(paths, load_settings(paths.params).deploy.local).predictions

    return log_of
