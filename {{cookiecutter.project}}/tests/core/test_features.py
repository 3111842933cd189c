"""Features handle missing values and unseen categories, and learn from training rows only."""

import numpy as np
import pandas as pd

from {{ cookiecutter.package }}.core.features import build_features

NUMERIC = ["age", "hours_per_week"]
CATEGORICAL = ["workclass", "sex"]


def fitted(frame: pd.DataFrame, scale: bool = False):
    return build_features(NUMERIC, CATEGORICAL, scale=scale).fit(frame)


def test_output_has_one_column_per_number_and_category(sample):
    features = fitted(sample)
    output = features.transform(sample)
    categories = sum(sample[name].nunique(dropna=False) for name in CATEGORICAL)
    assert output.shape == (len(sample), len(NUMERIC) + categories)
    assert output.dtype == np.float64


def test_missing_values_are_imputed_not_propagated(sample):
    holes = sample.head(20).copy()
    holes.loc[:4, "age"] = pd.NA
    holes.loc[5:9, "workclass"] = None
    output = fitted(sample).transform(holes)
    assert np.isfinite(output).all()


def test_unseen_category_encodes_as_all_zeros(sample):
    features = fitted(sample)
    row = sample.head(1).copy()
    row["workclass"] = "Astronaut"
    output = pd.DataFrame(features.transform(row), columns=features.get_feature_names_out())
    workclass = [name for name in output.columns if name.startswith("workclass_")]
    assert (output[workclass] == 0).all(axis=None)


def test_statistics_come_from_training_rows_only(sample):
    train, test = sample.iloc[:1000], sample.iloc[1000:].assign(age=90)
    features = fitted(train, scale=True)
    scaler = features.named_transformers_["numeric"].named_steps["scale"]
    assert scaler.mean_[0] == train["age"].astype(float).mean()
    assert features.transform(test)[:, 0].mean() > 2  # test ages are scaled with train statistics
