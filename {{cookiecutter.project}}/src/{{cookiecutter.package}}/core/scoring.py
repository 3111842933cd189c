"""Classification scores of predicted probabilities, per slice too, and the data behind the plots.

scikit-learn is imported in the functions that score, not here: the typed artefacts import this module
(PRIMARY, segment_masks), and a stage that only reads them should not pay the second it takes to import.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

PRIMARY = "roc_auc"
"""The metric the project is judged by: threshold-free and robust to the class imbalance."""


def classification_scores(y_true: np.ndarray, probability: np.ndarray, threshold: float) -> dict[str, float]:
    """Scores of positive-class probabilities against 0/1 labels; positive at >= threshold."""
    from sklearn import metrics

    predicted = (probability >= threshold).astype(int)
    scores = {
        "accuracy": metrics.accuracy_score(y_true, predicted),
        "precision": metrics.precision_score(y_true, predicted, zero_division=0),
        "recall": metrics.recall_score(y_true, predicted, zero_division=0),
        "f1": metrics.f1_score(y_true, predicted, zero_division=0),
        "log_loss": metrics.log_loss(y_true, probability, labels=[0, 1]),
        "brier": metrics.brier_score_loss(y_true, probability),
    }
    if len(np.unique(y_true)) == 2:
        scores["roc_auc"] = metrics.roc_auc_score(y_true, probability)
        scores["average_precision"] = metrics.average_precision_score(y_true, probability)
    return {name: round(float(value), 6) for name, value in scores.items()}


SCORE_QUANTILES = "training_score_quantiles"
"""Where a model records score_quantiles of its training rows: its MLmodel metadata (the service exports
positive_share at its threshold from it) and its run's training profile (monitor does the same)."""


def score_quantiles(probability: np.ndarray) -> list[float]:
    """The 0th to 100th percentiles of positive-class probabilities: their distribution in 101 numbers, from
    which the share predicted positive at any threshold follows (positive_share), without training again."""
    return [round(float(value), 6) for value in np.quantile(probability, np.linspace(0, 1, 101))]


def read_quantiles(value: object) -> tuple[float, ...] | None:
    """Recorded score quantiles, or None when they are not (an older model) or not usable."""
    if not isinstance(value, list | tuple) or len(value) < 2:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1 for v in value):
        return None
    found = tuple(float(v) for v in value)
    return found if all(low <= high for low, high in itertools.pairwise(found)) else None


def positive_share(quantiles: tuple[float, ...], threshold: float) -> float:
    """The share of rows scoring >= threshold (predicted positive, as the service labels them), from the
    quantiles of their scores: to within one quantile step (1% with score_quantiles')."""
    top = len(quantiles) - 1
    above = int(np.searchsorted(quantiles, threshold, side="left"))  # the first quantile >= threshold
    if above == 0:
        return 1.0
    if above > top:
        return 0.0
    low, high = quantiles[above - 1], quantiles[above]  # low < threshold <= high
    below = (above - 1 + (threshold - low) / (high - low)) / top
    return round(1 - below, 6)


def segment_masks(segments: pd.Series) -> dict[str, np.ndarray]:
    """Row masks of every segment of the slice column, sorted (rows with no segment left out)."""
    return {str(segment): (segments == segment).to_numpy() for segment in sorted(segments.dropna().unique())}


def slice_scores(
    y_true: np.ndarray, probability: np.ndarray, segments: pd.Series, threshold: float
) -> dict[str, dict[str, float]]:
    """The same scores on every segment of the slice column, with row count and positive rate."""
    report = {}
    for segment, mask in segment_masks(segments).items():
        scores = classification_scores(y_true[mask], probability[mask], threshold)
        scores["rows"] = int(mask.sum())
        scores["positive_rate"] = round(float(y_true[mask].mean()), 6)
        report[segment] = scores
    return report


def roc_points(y_true: np.ndarray, probability: np.ndarray) -> pd.DataFrame:
    from sklearn import metrics

    fpr, tpr, thresholds = metrics.roc_curve(y_true, probability, drop_intermediate=True)
    return pd.DataFrame({"fpr": fpr, "tpr": tpr, "threshold": np.minimum(thresholds, 1.0)}).round(6)


def precision_recall_points(y_true: np.ndarray, probability: np.ndarray) -> pd.DataFrame:
    from sklearn import metrics

    precision, recall, thresholds = metrics.precision_recall_curve(
        y_true, probability, drop_intermediate=True
    )
    return pd.DataFrame({"recall": recall[:-1], "precision": precision[:-1], "threshold": thresholds}).round(
        6
    )


def confusion_rows(
    y_true: np.ndarray, probability: np.ndarray, threshold: float, labels: tuple[str, str]
) -> pd.DataFrame:
    """One row per example (actual, predicted), the shape DVC's confusion template reads."""
    names = np.array(labels)
    predicted = (probability >= threshold).astype(int)
    return pd.DataFrame({"actual": names[y_true], "predicted": names[predicted]})


def confusion_counts(y_true: np.ndarray, probability: np.ndarray, threshold: float) -> dict:
    from sklearn import metrics

    predicted = (probability >= threshold).astype(int)
    tn, fp, fn, tp = metrics.confusion_matrix(y_true, predicted, labels=[0, 1]).ravel()
    return {"tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp)}
