"""Train, compare and promote through the CLI in a project copy, and read the registry's aliases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import mlflow
import pytest
import yaml

from {{ cookiecutter.package }}.artefacts import Comparison, TrainedModel
from {{ cookiecutter.package }}.cli import main
from {{ cookiecutter.package }}.config import MODEL_NAME, Paths
from {{ cookiecutter.package }}.io import mlflow_store

MODELS = {
    # On the fixture's 3,000 rows: ROC AUC about 0.885 and 0.915, both above the floors.
    "weak": {"kind": "logistic_regression", "C": 0.003},
    "strong": {"kind": "hist_gradient_boosting", "learning_rate": 0.05, "max_iter": 100, "max_leaf_nodes": 8},
}


@dataclass(frozen=True)
class Registry:
    """The CLI's train, compare and promote on one project, and what its MLflow registry then holds."""

    paths: Paths

    def train(self, model: str) -> str:
        """Train with the named model settings (MODELS); returns the registered version."""
        params = yaml.safe_load(self.paths.params.read_text())
        params["train"]["model"] = MODELS[model]
        self.paths.params.write_text(yaml.safe_dump(params))
        assert main(["train"]) == 0
        return TrainedModel.read(self.paths.trained).version

    def compare(self) -> Comparison:
        assert main(["compare"]) == 0
        return Comparison.read(self.paths.comparison)

    def client(self) -> mlflow.MlflowClient:
        """A client of the project's store, as the stages reach it (a copied store relocated first)."""
        mlflow_store.connect(self.paths)
        uri = mlflow_store.tracking_uri(self.paths)
        return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)

    def aliases(self) -> dict[str, str]:
        found = self.client().get_registered_model(MODEL_NAME).aliases
        return {alias: str(version) for alias, version in found.items()}


@pytest.fixture
def prepared(project: Paths, seed_store: Callable[[Paths], Paths]) -> Registry:
    """The project copy with its data split and an empty MLflow store, ready to train."""
    assert main(["prepare"]) == 0
    return Registry(seed_store(project))


@pytest.fixture(scope="session")
def first_champion(build_project: Callable[[str, Callable[[Paths], None]], Paths]) -> Registry:
    """Made once: the weak model trained (version 1), compared with no champion (first) and promoted."""

    def first(paths: Paths) -> None:
        assert main(["prepare"]) == 0
        registry = Registry(paths)
        assert registry.train("weak") == "1"
        assert registry.compare().decision == "first"
        assert main(["promote"]) == 0

    return Registry(build_project("first-champion", first))


@pytest.fixture
def registry(first_champion: Registry, copy_of) -> Registry:
    """A copy of `first_champion` (store included) to change: the weak model is version 1 and champion."""
    return Registry(copy_of(first_champion.paths))
