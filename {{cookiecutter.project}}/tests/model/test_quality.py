"""The model is worth having: it beats simpler models, holds up on every slice, and never returns NaN."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.metrics import roc_auc_score

from {{ cookiecutter.package }}.core.models import build_model
from {{ cookiecutter.package }}.io.datasets import labels
from {{ cookiecutter.package }}.settings import LogisticRegression


def baseline_auc(estimator, train, test, columns, contract) -> float:
    fitted = clone(estimator).fit(train[columns], labels(train, contract))
    return roc_auc_score(labels(test, contract), fitted.predict_proba(test[columns])[:, 1])


def test_beats_a_majority_class_baseline(proba, y_test, train, test, columns, contract, gates):
    majority = baseline_auc(DummyClassifier(strategy="most_frequent"), train, test, columns, contract)
    assert roc_auc_score(y_test, proba) >= majority + gates.baseline_margin


def test_beats_a_simple_linear_model(proba, y_test, train, test, columns, contract, settings, gates):
    linear = build_model(
        LogisticRegression(kind="logistic_regression"),
        contract.numeric(columns),
        contract.categorical(columns),
        seed=settings.train.seed,
    )
    linear_auc = baseline_auc(linear, train, test, columns, contract)
    model_auc = roc_auc_score(y_test, proba)
    assert model_auc >= linear_auc + gates.baseline_margin, (
        f"ROC AUC {model_auc:.4f} does not beat logistic regression ({linear_auc:.4f}) "
        f"by {gates.baseline_margin}"
    )


def slices(contract, test_frame):
    return sorted(test_frame[contract.slice].dropna().unique())


@pytest.fixture(scope="session")
def slice_scores(proba, y_test, test, contract) -> dict[str, float]:
    segments = test[contract.slice].to_numpy()
    return {
        str(segment): roc_auc_score(y_test[segments == segment], proba[segments == segment])
        for segment in slices(contract, test)
    }


def test_every_slice_clears_the_floor(slice_scores, gates, contract):
    print(f"ROC AUC per {contract.slice}: {slice_scores}")  # the report lists every slice
    below = {name: round(score, 4) for name, score in slice_scores.items() if score < gates.slice_floor}
    assert not below, f"slices below the ROC AUC floor {gates.slice_floor}: {below}"


def test_probabilities_are_finite_and_sum_to_one(model, test):
    both = model.predict_proba(test)
    assert np.isfinite(both).all()
    np.testing.assert_allclose(both.sum(axis=1), 1.0)


def test_missing_values_still_give_finite_predictions(model, test, contract, columns):
    holes = test.head(200).copy()
    for name in columns:
        holes.loc[holes.index[::7], name] = None
    assert np.isfinite(model.predict_proba(holes)).all()
