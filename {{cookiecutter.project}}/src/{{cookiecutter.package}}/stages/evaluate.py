"""evaluate: score the trained model on the held-out split; write metrics and plot data."""

from __future__ import annotations

from ..config import Paths
from ..contract import load_contract
from ..core import metrics
from ..errors import UserError
from ..io import tracking
from ..io.datasets import labels, read_split
from ..io.files import read_json, write_atomic, write_json
from ..settings import load_settings


def run(paths: Paths) -> None:
    settings = load_settings(paths.params)
    contract = load_contract(paths.contract)
    threshold = settings.evaluate.threshold
    test = read_split(paths.test_split)
    model = tracking.load_model(paths.model)
    if not paths.run_info.is_file():
        raise UserError(f"{paths.run_info}: not found; run the train stage first")
    trained = read_json(paths.run_info)

    target = labels(test, contract)
    probability = model.predict_proba(test)[:, 1]
    scores = metrics.classification_metrics(target, probability, threshold)
    report = {
        "primary_metric": metrics.PRIMARY,
        "threshold": threshold,
        "rows": len(test),
        "model": {"name": trained["registered_model"], "version": trained["version"]},
        "test": scores,
        "confusion": metrics.confusion_counts(target, probability, threshold),
        "slices": {
            contract.slice: metrics.slice_metrics(target, probability, test[contract.slice], threshold)
        },
    }
    names = (contract.label.negative, contract.label.positive)
    plots = {
        "roc.csv": metrics.roc_points(target, probability),
        "precision_recall.csv": metrics.precision_recall_points(target, probability),
        "confusion.csv": metrics.confusion_rows(target, probability, threshold, names),
    }
    for name, frame in plots.items():
        write_atomic(paths.plots / name, lambda tmp, frame=frame: frame.to_csv(tmp, index=False))
    write_json(paths.metrics, report)

    logged = tracking.log_evaluation(
        paths,
        trained,
        {f"test_{name}": value for name, value in scores.items()},
        [paths.metrics, paths.plots],
    )
    summary = ", ".join(f"{name} {value:.4f}" for name, value in scores.items())
    print(f"evaluate: {len(test)} test rows: {summary}")
    if not logged:
        print(
            f"evaluate: warning: run {trained['run_id']} is not in this MLflow store; "
            "metrics are in reports/ only"
        )
