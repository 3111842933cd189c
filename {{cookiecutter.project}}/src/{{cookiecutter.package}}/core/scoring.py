"""Classification scores of predicted probabilities, per slice too, and the data behind the plots.

scikit-learn is imported in the functions that score, not here: the typed artefacts import this module
(PRIMARY, segment_masks), and a stage that only reads them should not pay the second it takes to import.
"""

from __future__ import annotations

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


PREDICTED_POSITIVE_SHARE = "predicted_positive_share"
"""Where a model records predicted_positive_share on its training rows: its MLmodel metadata (the service
exports it) and its run's training profile (monitor reads it)."""


def predicted_positive_share(probability: np.ndarray, threshold: float) -> float:
    """The share of rows predicted positive (probability >= threshold, as the service labels them)."""
    return round(float((probability >= threshold).mean()), 6) if len(probability) else 0.0


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
