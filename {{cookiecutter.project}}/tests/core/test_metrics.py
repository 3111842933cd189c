"""Metrics and plot data are computed correctly from labels and probabilities."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package }}.core import metrics

Y = np.array([0, 0, 1, 1, 0, 1])
P = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.9])


def test_perfect_ranking_scores_one():
    scores = metrics.classification_metrics(np.array([0, 1]), np.array([0.2, 0.9]), 0.5)
    assert scores["roc_auc"] == 1.0
    assert scores["accuracy"] == 1.0


def test_threshold_decides_the_predicted_class():
    strict = metrics.classification_metrics(Y, P, threshold=0.85)
    loose = metrics.classification_metrics(Y, P, threshold=0.3)
    assert strict["recall"] == pytest.approx(1 / 3, abs=1e-6)
    assert loose["recall"] == 1.0
    assert strict["roc_auc"] == loose["roc_auc"]


def test_every_slice_is_reported_with_its_size():
    segments = pd.Series(["a", "a", "a", "b", "b", "b"])
    report = metrics.slice_metrics(Y, P, segments, 0.5)
    assert sorted(report) == ["a", "b"]
    assert report["a"]["rows"] == 3
    assert report["b"]["positive_rate"] == pytest.approx(2 / 3, abs=1e-6)


def test_curves_and_confusion_have_the_columns_dvc_plots_read():
    assert list(metrics.roc_points(Y, P).columns) == ["fpr", "tpr", "threshold"]
    assert list(metrics.precision_recall_points(Y, P).columns) == [
        "recall",
        "precision",
        "threshold",
    ]
    rows = metrics.confusion_rows(Y, P, 0.5, ("no", "yes"))
    assert list(rows.columns) == ["actual", "predicted"]
    assert len(rows) == len(Y)
    assert metrics.confusion_counts(Y, P, 0.5) == {"tn": 3, "fp": 0, "fn": 1, "tp": 2}
