"""Build the estimator named in params.yaml (train.model.kind) around the feature pipeline."""

from __future__ import annotations

from sklearn.base import ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.pipeline import Pipeline

from ..settings import HistGradientBoosting, LogisticRegression, ModelSettings, RandomForest
from .features import build_features


def build_estimator(settings: ModelSettings, seed: int) -> ClassifierMixin:
    match settings:
        case HistGradientBoosting():
            return HistGradientBoostingClassifier(
                learning_rate=settings.learning_rate,
                max_iter=settings.max_iter,
                max_leaf_nodes=settings.max_leaf_nodes,
                min_samples_leaf=settings.min_samples_leaf,
                l2_regularization=settings.l2_regularization,
                early_stopping=False,
                random_state=seed,
            )
        case LogisticRegression():
            return SkLogisticRegression(C=settings.C, max_iter=settings.max_iter, random_state=seed)
        case RandomForest():
            return RandomForestClassifier(
                n_estimators=settings.n_estimators,
                max_depth=settings.max_depth,
                min_samples_leaf=settings.min_samples_leaf,
                random_state=seed,
                n_jobs=1,
            )
    raise TypeError(f"unsupported model settings: {settings!r}")


def build_model(settings: ModelSettings, numeric: list[str], categorical: list[str], seed: int) -> Pipeline:
    """The full model: features then classifier, ready to fit on raw contract columns."""
    scale = isinstance(settings, LogisticRegression)
    return Pipeline(
        [
            ("features", build_features(numeric, categorical, scale=scale)),
            ("classifier", build_estimator(settings, seed)),
        ]
    )
