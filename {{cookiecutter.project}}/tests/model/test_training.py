"""Training works: the loss goes down, a few rows can be learnt by heart, one seed gives one model."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score

from {{ cookiecutter.package }}.core.models import build_model
from {{ cookiecutter.package }}.io.datasets import labels
from {{ cookiecutter.package }}.settings import HistGradientBoosting, RandomForest


def build(model_settings, columns, contract, seed):
    return build_model(model_settings, contract.numeric(columns), contract.categorical(columns), seed=seed)


def fit(model_settings, frame, columns, contract, seed):
    return build(model_settings, columns, contract, seed).fit(frame[columns], labels(frame, contract))


def training_curve(settings, train, columns, contract) -> np.ndarray:
    """Training log loss after each iteration (or growing stage) of the configured model."""
    sample = train.sample(n=min(len(train), 5000), random_state=0)
    chosen = settings.train.model
    if isinstance(chosen, HistGradientBoosting):
        model = build(chosen, columns, contract, settings.train.seed)
        classifier = model.named_steps["classifier"]
        # Record the training loss at every iteration without ever stopping early.
        classifier.set_params(
            early_stopping=True, n_iter_no_change=chosen.max_iter, validation_fraction=None, scoring="loss"
        )
        model.fit(sample[columns], labels(sample, contract))
        return -classifier.train_score_  # train_score_ is the negative loss, one per iteration
    stages = [1, 2, 5, 10, 20, 50]
    if isinstance(chosen, RandomForest):
        versions = [chosen.model_copy(update={"n_estimators": n}) for n in stages]
    else:
        versions = [chosen.model_copy(update={"max_iter": n}) for n in stages]
    losses = []
    for version in versions:
        model = fit(version, sample, columns, contract, settings.train.seed)
        probability = np.clip(model.predict_proba(sample[columns])[:, 1], 1e-6, 1 - 1e-6)
        y = labels(sample, contract)
        losses.append(float(-np.mean(y * np.log(probability) + (1 - y) * np.log(1 - probability))))
    return np.array(losses)


def test_training_loss_decreases(settings, train, columns, contract):
    curve = training_curve(settings, train, columns, contract)
    assert np.isfinite(curve).all(), "the training loss is not finite"
    assert curve[-1] < curve[0], f"the training loss went from {curve[0]:.4f} to {curve[-1]:.4f}"
    assert curve[len(curve) // 2] < curve[0]


def test_can_overfit_a_few_dozen_rows(settings, train, columns, contract):
    tiny = pd.concat(
        group.sample(n=20, random_state=1) for _, group in train.groupby(contract.label.column, observed=True)
    )
    chosen = settings.train.model
    relaxed = {
        "hist_gradient_boosting": {"min_samples_leaf": 1, "max_iter": 200, "l2_regularization": 0.0},
        "random_forest": {"min_samples_leaf": 1, "max_depth": None},
        "logistic_regression": {"C": 1e4, "max_iter": 5000},
    }[chosen.kind]
    model = fit(chosen.model_copy(update=relaxed), tiny, columns, contract, settings.train.seed)
    assert accuracy_score(labels(tiny, contract), model.predict(tiny[columns])) >= 0.95


def test_same_seed_same_data_same_model(settings, train, test, columns, contract):
    sample = train.sample(n=min(len(train), 4000), random_state=2)
    first = fit(settings.train.model, sample, columns, contract, settings.train.seed)
    second = fit(settings.train.model, sample, columns, contract, settings.train.seed)
    np.testing.assert_array_equal(
        first.predict_proba(test[columns]),
        second.predict_proba(test[columns]),
        err_msg="training is not reproducible",
    )
