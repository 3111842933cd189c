"""Behaviour the model must show whatever its score: invariance, expected directions, golden cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package }}.config import Paths
from {{ cookiecutter.package }}.contract import load_contract
from {{ cookiecutter.package }}.io.datasets import read_golden

ROOT = Path(__file__).resolve().parents[2]


def test_a_sampling_weight_does_not_move_predictions(model, test):
    """fnlwgt weighs census rows; a person's income does not depend on it."""
    changed = test.assign(fnlwgt=test["fnlwgt"] * 3)
    shift = np.abs(model.predict_proba(changed)[:, 1] - model.predict_proba(test)[:, 1])
    assert shift.mean() < 0.01


@pytest.mark.parametrize(
    ("column", "change"),
    [
        ("education_num", lambda values: (values + 4).clip(upper=16)),
        ("hours_per_week", lambda values: (values + 20).clip(upper=99)),
        ("capital_gain", lambda values: values + 10_000),
    ],
    ids=["more-education", "more-hours", "more-capital-gain"],
)
def test_more_of_what_pays_raises_the_predicted_income(model, test, column, change):
    before = model.predict_proba(test)[:, 1]
    after = model.predict_proba(test.assign(**{column: change(test[column])}))[:, 1]
    assert after.mean() > before.mean()
    assert (after >= before - 0.05).mean() > 0.9, f"raising {column} lowered many predictions"


GOLDEN = read_golden(Paths(ROOT).golden, load_contract(Paths(ROOT).contract))


@pytest.mark.parametrize("case", GOLDEN, ids=lambda case: case.name)
def test_golden_cases(model, contract, case):
    predicted = model.predict(pd.DataFrame([case.record]))[0]
    expected = int(case.expected == contract.label.positive)
    assert predicted == expected, f"{case.name}: expected {case.expected}"
