"""The feature pipeline: one ColumnTransformer for numeric and categorical columns."""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

MISSING = "missing"
"""What an empty categorical value becomes: a category of its own."""


def build_features(numeric: list[str], categorical: list[str], scale: bool) -> ColumnTransformer:
    """Impute and (for linear models) scale numbers; impute and one-hot encode categories.

    Categories never seen in training encode as all zeros, so serving never fails on them.
    """
    numeric_steps: list[tuple[str, object]] = [("impute", SimpleImputer(strategy="median"))]
    if scale:
        numeric_steps.append(("scale", StandardScaler()))
    categorical_steps = [
        ("impute", SimpleImputer(strategy="constant", fill_value=MISSING)),
        ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
    ]
    return ColumnTransformer(
        [
            ("numeric", Pipeline(numeric_steps), numeric),
            ("categorical", Pipeline(categorical_steps), categorical),
        ],
        remainder="drop",
        verbose_feature_names_out=False,
    )
