"""evaluate: score the trained model on the held-out split; write the scores and plot data."""

from __future__ import annotations

from ..artefacts import Confusion, Evaluation, ModelVersion, TrainedModel
from ..config import Paths
from ..core import scoring
from ..io import model_files, tracking
from ..io.datasets import labels, read_split
from ..io.files import write_atomic
from ..settings import load_checked


def run(paths: Paths) -> None:
    settings, contract = load_checked(paths)
    threshold = settings.evaluate.threshold
    test = read_split(paths.test_split)
    model = model_files.load_trained(paths).pipeline
    trained = TrainedModel.read(paths.trained)

    target = labels(test, contract)
    probability = model.predict_proba(test)[:, 1]
    scores = scoring.classification_scores(target, probability, threshold)
    Evaluation(
        primary_metric=scoring.PRIMARY,
        threshold=threshold,
        rows=len(test),
        model=ModelVersion(name=trained.registered_model, version=trained.version),
        test=scores,
        confusion=Confusion(**scoring.confusion_counts(target, probability, threshold)),
        slices={contract.slice: scoring.slice_scores(target, probability, test[contract.slice], threshold)},
    ).write(paths.evaluation)
    names = (contract.label.negative, contract.label.positive)
    plots = {
        "roc.csv": scoring.roc_points(target, probability),
        "precision_recall.csv": scoring.precision_recall_points(target, probability),
        "confusion.csv": scoring.confusion_rows(target, probability, threshold, names),
    }
    for name, frame in plots.items():
        write_atomic(paths.plots / name, lambda tmp, frame=frame: frame.to_csv(tmp, index=False))

    logged = tracking.log_evaluation(
        paths,
        trained,
        {f"test_{name}": value for name, value in scores.items()},
        [paths.evaluation, paths.plots],
    )
    summary = ", ".join(f"{name} {value:.4f}" for name, value in scores.items())
    print(f"evaluate: {len(test)} test rows: {summary}")
    if not logged:
        print(
            f"evaluate: warning: run {trained.run_id} is not in this MLflow store; the scores are in reports/"
        )
