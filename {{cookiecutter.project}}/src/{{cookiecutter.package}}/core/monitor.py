"""What `monitor` judges in served data, pure: the prediction share against training's, and
live quality from delayed labels, overall and per slice (skew per column is core/drift.py's PSI)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from .scoring import SCORE_QUANTILES, positive_share, read_quantiles, segment_masks


@dataclass(frozen=True)
class PredictionShare:
    """The share of positive predictions served, against training's: the model's own share of positive
    predictions on its training rows (what the PredictionShift alert compares with too), or the training
    labels' positive rate when its run did not record that (`baseline` says which)."""

    served: float
    training: float
    limit: float
    baseline: Literal["predictions", "labels"] = "labels"
    """(Absent from a monitor.json written before it: those compared with the labels.)"""

    @property
    def shift(self) -> float:
        return round(abs(self.served - self.training), 6)

    @property
    def ok(self) -> bool:
        return self.shift <= self.limit


def training_share(
    reference: dict, label: str, positive: str, threshold: float
) -> tuple[float, Literal["predictions", "labels"]] | None:
    """Training's positive share in a reference profile: the model's predictions' at threshold (from the
    score quantiles train records in its run's profile), else the label's (an older run,
    data/reference.json); None if it has neither."""
    if (quantiles := read_quantiles(reference.get(SCORE_QUANTILES))) is not None:
        return positive_share(quantiles, threshold), "predictions"
    frequencies = reference.get("columns", {}).get(label, {}).get("frequencies")
    return None if frequencies is None else (float(frequencies.get(positive, 0.0)), "labels")


@dataclass(frozen=True)
class LiveQuality:
    """ROC AUC on the served records whose labels came in, overall and per segment of the slice column."""

    rows: int
    roc_auc: float | None
    slices: dict[str, float | None]
    floor: float

    def problems(self) -> list[str]:
        found = []
        if self.roc_auc is not None and self.roc_auc < self.floor:
            found.append(f"live ROC AUC {self.roc_auc:.4f} < {self.floor:g} on {self.rows} labelled records")
        for segment, score in self.slices.items():
            if score is not None and score < self.floor:
                found.append(f"live ROC AUC of segment {segment} {score:.4f} < {self.floor:g}")
        return found


def _auc(y_true: np.ndarray, probability: np.ndarray, min_labels: int) -> float | None:
    from sklearn import metrics

    if len(y_true) < min_labels or len(np.unique(y_true)) < 2:
        return None  # too few labels to judge by (they come in a few at a time), or one class: no ranking
    return round(float(metrics.roc_auc_score(y_true, probability)), 6)


def live_quality(
    y_true: np.ndarray, probability: np.ndarray, segments: pd.Series, floor: float, min_labels: int
) -> LiveQuality:
    """ROC AUC overall and per segment, each from min_labels labelled records (fewer: None, not judged)."""
    masks = segment_masks(segments)
    slices = {name: _auc(y_true[mask], probability[mask], min_labels) for name, mask in masks.items()}
    return LiveQuality(len(y_true), _auc(y_true, probability, min_labels), slices, floor)
