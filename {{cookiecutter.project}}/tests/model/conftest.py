"""The trained model and the data it was judged on, loaded once for every model test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package }}.config import Paths
from {{ cookiecutter.package }}.contract import Contract
from {{ cookiecutter.package }}.io import model_files
from {{ cookiecutter.package }}.io.datasets import labels, read_split
from {{ cookiecutter.package }}.settings import ModelTestSettings, Settings


@pytest.fixture(scope="session")
def gates(settings: Settings) -> ModelTestSettings:
    return settings.model_tests


@pytest.fixture(scope="session")
def model(shipped: Paths):
    if not (shipped.model / "MLmodel").is_file():
        pytest.fail("no trained model in models/model: run `repro` before the model tests")
    return model_files.load(shipped.model).pipeline


@pytest.fixture(scope="session")
def columns(settings: Settings, contract: Contract) -> list[str]:
    return contract.feature_columns(settings.features.drop)


@pytest.fixture(scope="session")
def train(shipped: Paths) -> pd.DataFrame:
    return read_split(shipped.train_split)


@pytest.fixture(scope="session")
def test(shipped: Paths) -> pd.DataFrame:
    return read_split(shipped.test_split)


@pytest.fixture(scope="session")
def y_test(test: pd.DataFrame, contract: Contract) -> np.ndarray:
    return labels(test, contract)


@pytest.fixture(scope="session")
def proba(model, test: pd.DataFrame) -> np.ndarray:
    return model.predict_proba(test)[:, 1]
