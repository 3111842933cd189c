"""Scores and plot data are computed correctly from labels and probabilities."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package }}.core import scoring

Y = np.array([0, 0, 1, 1, 0, 1])
P = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.9])


def test_perfect_ranking_scores_one():
    scores = scoring.classification_scores(np.array([0, 1]), np.array([0.2, 0.9]), 0.5)
    assert scores["roc_auc"] == 1.0
    assert scores["accuracy"] == 1.0


def test_threshold_decides_the_predicted_class():
    strict = scoring.classification_scores(Y, P, threshold=0.85)
    loose = scoring.classification_scores(Y, P, threshold=0.3)
    assert strict["recall"] == pytest.approx(1 / 3, abs=1e-6)
    assert loose["recall"] == 1.0
    assert strict["roc_auc"] == loose["roc_auc"]


def test_segment_masks_cover_every_segment_in_order_and_skip_missing():
    masks = scoring.segment_masks(pd.Series(["b", "a", None, "b"]))
    assert list(masks) == ["a", "b"]
    assert masks["b"].tolist() == [True, False, False, True]


def test_every_slice_is_reported_with_its_size():
    segments = pd.Series(["a", "a", "a", "b", "b", "b"])
    report = scoring.slice_scores(Y, P, segments, 0.5)
    assert sorted(report) == ["a", "b"]
    assert report["a"]["rows"] == 3
    assert report["b"]["positive_rate"] == pytest.approx(2 / 3, abs=1e-6)


def test_curves_and_confusion_have_the_columns_dvc_plots_read():
    assert list(scoring.roc_points(Y, P).columns) == ["fpr", "tpr", "threshold"]
    assert list(scoring.precision_recall_points(Y, P).columns) == [
        "recall",
        "precision",
        "threshold",
    ]
    rows = scoring.confusion_rows(Y, P, 0.5, ("no", "yes"))
    assert list(rows.columns) == ["actual", "predicted"]
    assert len(rows) == len(Y)
    assert scoring.confusion_counts(Y, P, 0.5) == {"tn": 3, "fp": 0, "fn": 1, "tp": 2}


@pytest.mark.parametrize("distribution", ["uniform", "skewed", "ties"])
def test_the_share_predicted_positive_at_any_threshold_follows_from_the_score_quantiles(distribution):
    """101 numbers stand for the scores: the share at a threshold is within a quantile step (1%) of the
    exact one, ties at the threshold counted positive as the service counts them."""
    rng = np.random.default_rng(0)
    scores = {
        "uniform": rng.uniform(size=5000),
        "skewed": rng.beta(0.5, 3, size=5000),
        "ties": np.repeat([0.0, 0.3, 0.5, 1.0], [2000, 1000, 1500, 500]),
    }[distribution]
    quantiles = tuple(scoring.score_quantiles(scores))
    assert len(quantiles) == 101
    for threshold in (0.0, 0.1, 0.3, 0.5, 0.77, 1.0, 1.5):
        exact = float((scores >= threshold).mean())
        step = 0.01 + 1 / len(scores)  # a quantile step, and one row
        assert scoring.positive_share(quantiles, threshold) == pytest.approx(exact, abs=step), threshold
