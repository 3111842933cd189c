"""train: fit the model from params.yaml, save it, and record it in MLflow with its lineage."""

from __future__ import annotations

import time

from ..config import Paths
from ..core.drift import profile
from ..core.models import build_model
from ..core.scoring import SCORE_QUANTILES, classification_scores, score_quantiles
from ..io import model_files, tracking
from ..io.datasets import labels, read_split
from ..io.versions import data_version, git_branch, git_commit, params_hash
from ..settings import Settings, load_checked


def flat_params(settings: Settings) -> dict[str, object]:
    model = settings.train.model.model_dump()
    return {
        **{f"model.{key}": value for key, value in model.items()},
        "train.seed": settings.train.seed,
        "features.drop": ",".join(settings.features.drop),
        "prepare.test_size": settings.prepare.test_size,
        "prepare.seed": settings.prepare.seed,
    }


def run(paths: Paths) -> None:
    settings, contract = load_checked(paths)
    columns = contract.feature_columns(settings.features.drop)
    train = read_split(paths.train_split)
    features, target = train[columns], labels(train, contract)

    model = build_model(
        settings.train.model,
        numeric=contract.numeric(columns),
        categorical=contract.categorical(columns),
        seed=settings.train.seed,
    )
    started = time.perf_counter()
    model.fit(features, target)
    seconds = time.perf_counter() - started

    probability = model.predict_proba(features)[:, 1]
    scores = classification_scores(target, probability, settings.evaluate.threshold)
    quantiles = score_quantiles(probability)
    metrics = {f"train_{name}": value for name, value in scores.items()}
    metrics["train_seconds"] = round(seconds, 3)
    metrics["train_rows"] = len(train)

    # The model takes whole records (every contract column but the label) and picks its features
    # itself, so its signature is the contract's: models with different feature sets stay comparable.
    example = train[contract.input_columns()].dropna().head(5)
    params = flat_params(settings)
    tags = {
        "data_version": data_version(paths.raw_data),
        "data_path": paths.shown(paths.raw_data),
        "git_commit": git_commit(paths.root) or "unknown",
        "branch": git_branch(paths.root) or "unknown",
        "params_hash": params_hash(params),
        "model_kind": settings.train.model.kind,
    }
    reference = {
        "data": paths.shown(paths.train_split),
        **profile(train, contract),
        SCORE_QUANTILES: quantiles,
    }
    # models/model becomes the new model only once the store registered it: a store that fails leaves the
    # registered model and its run.json (evaluate would log one model's scores on another's run).
    with model_files.saving(model, example, paths.model, quantiles):
        trained = tracking.log_training(paths, model, example, params, metrics, tags, reference, quantiles)
    trained.write(paths.trained)
    print(
        f"train: {settings.train.model.kind} on {len(train)} rows in {seconds:.1f}s; "
        f"registered {trained.registered_model} version {trained.version} (run {trained.run_id})"
    )
