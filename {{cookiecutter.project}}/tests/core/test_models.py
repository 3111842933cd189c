"""Every model kind in params.yaml builds, fits the raw columns and returns valid probabilities."""

import numpy as np
import pytest

from {{ cookiecutter.package }}.core.models import build_model
from {{ cookiecutter.package }}.io.datasets import labels
from {{ cookiecutter.package }}.settings import HistGradientBoosting, LogisticRegression, RandomForest

KINDS = [
    HistGradientBoosting(kind="hist_gradient_boosting", max_iter=20),
    LogisticRegression(kind="logistic_regression"),
    RandomForest(kind="random_forest", n_estimators=20),
]


@pytest.mark.parametrize("model_settings", KINDS, ids=lambda s: s.kind)
def test_model_fits_and_predicts_probabilities(model_settings, sample, contract):
    columns = contract.feature_columns(("fnlwgt", "education"))
    model = build_model(model_settings, contract.numeric(columns), contract.categorical(columns), seed=0)
    model.fit(sample[columns], labels(sample, contract))
    probability = model.predict_proba(sample[columns].head(50))
    assert probability.shape == (50, 2)
    np.testing.assert_allclose(probability.sum(axis=1), 1.0)
    assert set(model.predict(sample[columns])) <= {0, 1}


def test_hyperparameters_reach_the_estimator(contract):
    settings = HistGradientBoosting(kind="hist_gradient_boosting", learning_rate=0.05, max_iter=7)
    model = build_model(settings, ["age"], ["sex"], seed=3)
    classifier = model.named_steps["classifier"]
    assert (classifier.learning_rate, classifier.max_iter, classifier.random_state) == (0.05, 7, 3)
