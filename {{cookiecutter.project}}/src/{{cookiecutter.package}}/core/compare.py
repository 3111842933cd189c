"""Champion against challenger on the same rows: metric deltas with paired bootstrap intervals.

Both models score the same holdout rows; every bootstrap resample draws the same row indices for
both, so the interval is that of the paired difference, much narrower than two separate intervals.
Metrics are computed for many resamples at once (one row of a matrix per resample).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .scoring import PRIMARY, segment_masks


def _roc_auc(y: np.ndarray, p: np.ndarray, threshold: float) -> np.ndarray:
    """Mann-Whitney form: the chance a random positive outranks a random negative (ties count half)."""
    from scipy.stats import rankdata  # here: a second to import, paid only by the stages that compare

    positives = y.sum(axis=1)
    negatives = y.shape[1] - positives
    ranks = rankdata(p, axis=1)
    rank_sum = (ranks * y).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def _log_loss(y: np.ndarray, p: np.ndarray, threshold: float) -> np.ndarray:
    eps = np.finfo(float).eps  # as scikit-learn clips
    clipped = np.clip(p, eps, 1 - eps)
    return -(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)).mean(axis=1)


def _brier(y: np.ndarray, p: np.ndarray, threshold: float) -> np.ndarray:
    return ((p - y) ** 2).mean(axis=1)


def _accuracy(y: np.ndarray, p: np.ndarray, threshold: float) -> np.ndarray:
    return ((p >= threshold) == y.astype(bool)).mean(axis=1)


def _f1(y: np.ndarray, p: np.ndarray, threshold: float) -> np.ndarray:
    predicted = p >= threshold
    actual = y.astype(bool)
    true_positive = (predicted & actual).sum(axis=1)
    wrong = (predicted ^ actual).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(true_positive + wrong > 0, 2 * true_positive / (2 * true_positive + wrong), 0.0)


@dataclass(frozen=True)
class ComparedMetric:
    score: Callable[[np.ndarray, np.ndarray, float], np.ndarray]
    higher_is_better: bool


COMPARED = {
    "roc_auc": ComparedMetric(_roc_auc, higher_is_better=True),
    "accuracy": ComparedMetric(_accuracy, higher_is_better=True),
    "f1": ComparedMetric(_f1, higher_is_better=True),
    "log_loss": ComparedMetric(_log_loss, higher_is_better=False),
    "brier": ComparedMetric(_brier, higher_is_better=False),
}
"""What compare reports; PRIMARY decides, the others inform."""
assert PRIMARY in COMPARED


@dataclass(frozen=True)
class Bootstrap:
    resamples: int
    confidence: float
    seed: int


@dataclass(frozen=True)
class Delta:
    """One metric of both models; delta is challenger minus champion, low..high its interval."""

    champion: float
    challenger: float
    delta: float
    low: float
    high: float
    higher_is_better: bool

    @property
    def gain(self) -> float:
        """The delta signed so that positive is better, whatever the metric's direction."""
        return self.delta if self.higher_is_better else -self.delta

    @property
    def gain_low(self) -> float:
        """The pessimistic end of the interval, signed like gain."""
        return self.low if self.higher_is_better else -self.high


def score(y_true: np.ndarray, probability: np.ndarray, threshold: float) -> dict[str, float]:
    """Every compared metric of one model on the given rows."""
    y, p = y_true[None, :], probability[None, :]
    return {name: round(float(metric.score(y, p, threshold)[0]), 6) for name, metric in COMPARED.items()}


def paired_deltas(
    y_true: np.ndarray,
    champion: np.ndarray,
    challenger: np.ndarray,
    threshold: float,
    bootstrap: Bootstrap,
    chunk: int = 200,
) -> dict[str, Delta]:
    """Each metric of both models on these rows, and a percentile interval of the difference."""
    rng = np.random.default_rng(bootstrap.seed)
    rows = len(y_true)
    samples: dict[str, list[np.ndarray]] = {name: [] for name in COMPARED}
    for start in range(0, bootstrap.resamples, chunk):
        index = rng.integers(0, rows, size=(min(chunk, bootstrap.resamples - start), rows))
        y = y_true[index]
        for name, metric in COMPARED.items():
            samples[name].append(
                metric.score(y, challenger[index], threshold) - metric.score(y, champion[index], threshold)
            )
    tail = (1 - bootstrap.confidence) / 2 * 100
    point_champion = score(y_true, champion, threshold)
    point_challenger = score(y_true, challenger, threshold)
    deltas = {}
    for name, metric in COMPARED.items():
        drawn = np.concatenate(samples[name])
        drawn = drawn[np.isfinite(drawn)]  # a resample without both classes has no ROC AUC
        low, high = np.percentile(drawn, [tail, 100 - tail]) if drawn.size else (np.nan, np.nan)
        deltas[name] = Delta(
            champion=point_champion[name],
            challenger=point_challenger[name],
            delta=round(point_challenger[name] - point_champion[name], 6),
            low=round(float(low), 6),
            high=round(float(high), 6),
            higher_is_better=metric.higher_is_better,
        )
    return deltas


def sliced_scores(
    y_true: np.ndarray, probability: np.ndarray, segments: pd.Series, threshold: float
) -> dict[str, dict[str, float]]:
    """score on every segment of the slice column."""
    return {
        segment: score(y_true[mask], probability[mask], threshold)
        for segment, mask in segment_masks(segments).items()
    }


def sliced_deltas(
    y_true: np.ndarray,
    champion: np.ndarray,
    challenger: np.ndarray,
    segments: pd.Series,
    threshold: float,
    bootstrap: Bootstrap,
) -> dict[str, dict[str, Delta]]:
    """paired_deltas on every segment of the slice column."""
    return {
        segment: paired_deltas(y_true[mask], champion[mask], challenger[mask], threshold, bootstrap)
        for segment, mask in segment_masks(segments).items()
    }


def schema_differences(champion: dict[str, str], challenger: dict[str, str]) -> list[str]:
    """How two models' input schemas (column -> type) differ; empty when they take the same records."""
    differences = []
    if missing := sorted(set(champion) - set(challenger)):
        differences.append(f"only the champion takes {', '.join(missing)}")
    if added := sorted(set(challenger) - set(champion)):
        differences.append(f"only the challenger takes {', '.join(added)}")
    for column in sorted(set(champion) & set(challenger)):
        if champion[column] != challenger[column]:
            differences.append(
                f"{column} is {champion[column]} for the champion, {challenger[column]} for the challenger"
            )
    return differences
