"""ONNX Runtime gives the scikit-learn pipeline's answers, for every model kind; else scikit-learn serves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package }}.contract import Contract
from {{ cookiecutter.package }}.core.models import build_model
from {{ cookiecutter.package }}.core.payloads import sample_records
from {{ cookiecutter.package }}.io.datasets import labels
from {{ cookiecutter.package }}.serving import backends
from {{ cookiecutter.package }}.serving.app import ServedModel
from {{ cookiecutter.package }}.serving.backends import OnnxBackend, SklearnBackend, choose_backend
from {{ cookiecutter.package }}.settings import Settings, TrainSettings

TOLERANCE = backends.PARITY


def assert_parity(pipeline, contract: Contract, columns: list[str], frame: pd.DataFrame, threshold: float):
    chosen = choose_backend(pipeline, contract, columns)
    assert isinstance(chosen.backend, OnnxBackend), chosen.fallback_reason
    records = sample_records(frame, columns, rows=len(frame), seed=0)

    onnx = chosen.backend.positive_probability(records)
    sklearn = SklearnBackend(pipeline, columns).positive_probability(records)

    assert np.abs(onnx - sklearn).max() <= TOLERANCE
    near_threshold = np.abs(sklearn - threshold) <= TOLERANCE
    assert ((onnx >= threshold) == (sklearn >= threshold))[~near_threshold].all()


def test_onnx_matches_the_served_pipeline_on_the_whole_held_out_split(
    pipeline, contract, columns, held_out, settings
):
    assert_parity(pipeline, contract, columns, held_out, settings.evaluate.threshold)


@pytest.mark.parametrize("kind", ["logistic_regression", "random_forest"])
def test_onnx_matches_scikit_learn_for_every_model_kind(
    kind, raw, contract, columns, held_out, settings: Settings
):
    model_settings = TrainSettings.model_validate({"seed": 0, "model": {"kind": kind}}).model
    features = contract.feature_columns(settings.features.drop)
    train = raw.sample(n=2000, random_state=5)
    pipeline = build_model(model_settings, contract.numeric(features), contract.categorical(features), seed=0)
    pipeline.fit(train[features], labels(train, contract))

    assert_parity(pipeline, contract, columns, held_out, settings.evaluate.threshold)


def test_a_model_onnx_converts_wrongly_is_served_by_scikit_learn(monkeypatch, pipeline, contract, columns):
    """The converter can get a model wrong without failing: ONNX is checked against scikit-learn at load."""
    right = OnnxBackend.positive_probability
    monkeypatch.setattr(OnnxBackend, "positive_probability", lambda self, records: right(self, records) * 0.9)

    chosen = choose_backend(pipeline, contract, columns)

    assert isinstance(chosen.backend, SklearnBackend)
    assert chosen.fallback_reason.startswith("ONNX disagrees with scikit-learn on probe records (by ")
    probes = backends.probe_records(contract, columns)
    longest = max(len(contract.columns[name].values or ()) for name in columns)
    assert len(probes) == longest + 1  # every category of the longest list, then the missing values
    assert all(set(probe) == set(columns) for probe in probes)
    assert any(value is None for value in probes[-1].values())  # a record with its missing values


def test_a_model_onnx_cannot_convert_is_served_by_scikit_learn(
    monkeypatch, pipeline, contract, columns, served, make_client, records
):
    def unsupported(*_args, **_kwargs):
        raise RuntimeError("Unable to find a shape calculator for type 'MadeUpEstimator'")

    monkeypatch.setattr(backends, "convert_to_onnx", unsupported)
    chosen = choose_backend(pipeline, contract, columns)
    client = make_client(lambda: ServedModel(served.reference, chosen))

    health = client.get("/health").json()
    assert health["backend"] == "sklearn"
    assert (
        "ONNX conversion failed: RuntimeError: Unable to find a shape calculator" in health["fallback_reason"]
    )
    onnx = served.chosen.backend.positive_probability(records)
    response = client.post("/predict", json={"records": records})
    assert response.status_code == 200
    served_by_sklearn = [p["probabilities"][">50K"] for p in response.json()["predictions"]]
    assert np.abs(np.array(served_by_sklearn) - onnx).max() <= TOLERANCE
