import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

from {{ cookiecutter.package }}.core.compare import (
    COMPARED,
    Bootstrap,
    paired_deltas,
    schema_differences,
    score,
    sliced_deltas,
)

BOOTSTRAP = Bootstrap(resamples=400, confidence=0.95, seed=0)


@pytest.fixture
def rows():
    """Labels and a useful model's probabilities, rounded so that ties occur."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    p = np.clip(0.5 * y + rng.normal(0.25, 0.25, 2000), 0, 1).round(2)
    return y, p


def test_vectorised_metrics_match_scikit_learn(rows):
    y, p = rows
    scores = score(y, p, threshold=0.5)
    assert scores["roc_auc"] == pytest.approx(metrics.roc_auc_score(y, p), abs=1e-6)
    assert scores["log_loss"] == pytest.approx(metrics.log_loss(y, p), abs=1e-6)
    assert scores["brier"] == pytest.approx(metrics.brier_score_loss(y, p), abs=1e-6)
    assert scores["accuracy"] == pytest.approx(metrics.accuracy_score(y, p >= 0.5), abs=1e-6)
    assert scores["f1"] == pytest.approx(metrics.f1_score(y, p >= 0.5), abs=1e-6)


def test_the_same_model_twice_has_zero_delta_and_a_zero_interval(rows):
    y, p = rows
    deltas = paired_deltas(y, p, p, 0.5, BOOTSTRAP)
    assert set(deltas) == set(COMPARED)
    for delta in deltas.values():
        assert (delta.delta, delta.low, delta.high) == (0, 0, 0)


def test_a_better_model_has_an_interval_above_zero_and_lower_loss(rows):
    y, p = rows
    better = np.clip(p + 0.15 * (2 * y - 1), 0, 1)
    deltas = paired_deltas(y, p, better, 0.5, BOOTSTRAP)
    assert deltas["roc_auc"].low > 0
    assert deltas["roc_auc"].gain > 0
    assert deltas["log_loss"].delta < 0
    assert deltas["log_loss"].gain > 0
    assert deltas["log_loss"].gain_low > 0


def test_noise_gives_an_interval_around_zero_and_the_seed_repeats_it(rows):
    y, p = rows
    rng = np.random.default_rng(1)
    one, other = (np.clip(p + rng.normal(0, 0.05, len(p)), 0, 1) for _ in range(2))  # equally good
    first = paired_deltas(y, one, other, 0.5, BOOTSTRAP)
    assert first["roc_auc"].low < 0 < first["roc_auc"].high
    assert paired_deltas(y, one, other, 0.5, BOOTSTRAP) == first


def test_slices_are_compared_on_their_own_rows(rows):
    y, p = rows
    segments = pd.Series(np.where(np.arange(len(y)) % 2, "a", "b"))
    worse_on_a = np.where(segments == "a", 0.5, p)
    sliced = sliced_deltas(y, p, worse_on_a, segments, 0.5, BOOTSTRAP)
    assert sliced["a"]["roc_auc"].challenger == 0.5
    assert sliced["a"]["roc_auc"].high < 0
    assert sliced["b"]["roc_auc"].delta == 0


def test_schema_differences_name_each_column():
    champion = {"age": "long", "sex": "string", "gone": "double"}
    challenger = {"age": "double", "sex": "string", "new": "string"}
    assert schema_differences(champion, challenger) == [
        "only the champion takes gone",
        "only the challenger takes new",
        "age is long for the champion, double for the challenger",
    ]
    assert schema_differences(champion, dict(champion)) == []
