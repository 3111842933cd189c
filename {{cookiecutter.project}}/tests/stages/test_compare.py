"""compare and promote end to end in a temporary copy of the project, against a real sqlite MLflow store."""

from __future__ import annotations

import json
import shutil

import mlflow
import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package }}.cli import main
from {{ cookiecutter.package }}.config import MODEL_NAME, Paths
from {{ cookiecutter.package }}.contract import load_contract
from {{ cookiecutter.package }}.core.models import build_model
from {{ cookiecutter.package }}.io import tracking
from {{ cookiecutter.package }}.io.datasets import labels, read_split
from {{ cookiecutter.package }}.io.files import write_json
from {{ cookiecutter.package }}.settings import RandomForest

pytestmark = pytest.mark.integration

# On the fixture's 3,000 rows: ROC AUC about 0.885 and 0.915, both above the floors.
WEAK = {"kind": "logistic_regression", "C": 0.003}
STRONG = {"kind": "hist_gradient_boosting", "learning_rate": 0.05, "max_iter": 100, "max_leaf_nodes": 8}


def registry(paths: Paths) -> mlflow.MlflowClient:
    uri = tracking.tracking_uri(paths)
    return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


def aliases(paths: Paths) -> dict[str, str]:
    found = registry(paths).get_registered_model(MODEL_NAME).aliases
    return {alias: str(version) for alias, version in found.items()}


def train(paths: Paths, model: dict) -> str:
    """Train with these model settings; returns the registered version."""
    params = yaml.safe_load(paths.params.read_text())
    params["train"]["model"] = model
    paths.params.write_text(yaml.safe_dump(params))
    assert main(["train"]) == 0
    return json.loads(paths.run_info.read_text())["version"]


def compare(paths: Paths) -> dict:
    assert main(["compare"]) == 0
    return json.loads(paths.compare.read_text())


def register_challenger(paths: Paths, model, example) -> str:
    """Register a model built by the test as the challenger, the way the train stage does."""
    tracking.save_model(model, example, paths.model)
    trained = tracking.log_training(paths, model, example, {}, {}, {"made_by": "test"})
    write_json(paths.run_info, trained.__dict__)
    return trained.version


@pytest.fixture
def prepared(project: Paths) -> Paths:
    assert main(["prepare"]) == 0
    return project


def test_first_better_worse_and_equal_challengers(prepared, capsys):
    first = train(prepared, WEAK)
    report = compare(prepared)
    assert report["decision"] == "first"
    assert report["champion"] is None
    assert main(["promote"]) == 0
    assert aliases(prepared) == {"champion": first}

    better = train(prepared, STRONG)
    report = compare(prepared)
    assert report["decision"] == "promote", report["reasons"]
    assert report["metrics"]["roc_auc"]["ci_low"] > 0
    assert main(["promote"]) == 0
    assert aliases(prepared) == {"champion": better, "previous": first}
    assert registry(prepared).get_model_version(MODEL_NAME, better).tags["decision"] == "promote"

    train(prepared, WEAK)
    report = compare(prepared)
    assert report["decision"] == "keep"
    assert "misses the rule" in report["reasons"][0]
    capsys.readouterr()
    assert main(["promote"]) == 0
    assert "nothing to promote: compare decided keep" in capsys.readouterr().out
    assert aliases(prepared) == {"champion": better, "previous": first}

    train(prepared, STRONG)  # the same settings again: the same predictions
    report = compare(prepared)
    assert report["decision"] == "keep"
    assert report["metrics"]["roc_auc"]["delta"] == 0
    assert aliases(prepared) == {"champion": better, "previous": first}
    markdown = prepared.compare_markdown.read_text()
    assert "keep: the champion stays" in markdown
    assert "| roc_auc |" in markdown


def test_better_overall_but_worse_on_one_slice_is_kept_with_that_reason(prepared):
    champion = train(prepared, STRONG)
    assert main(["compare"]) == 0
    assert main(["promote"]) == 0
    # A challenger that has memorised the holdout rows (better overall), some Female labels flipped.
    contract = load_contract(prepared.contract)
    train_rows, test_rows = read_split(prepared.train_split), read_split(prepared.test_split)
    leaked = test_rows.copy()
    female = leaked.index[leaked[contract.slice] == "Female"][::4]
    flip = {
        contract.label.positive: contract.label.negative,
        contract.label.negative: contract.label.positive,
    }
    leaked.loc[female, contract.label.column] = leaked.loc[female, contract.label.column].map(flip)
    seen = pd.concat([train_rows, leaked])
    inputs = contract.feature_columns()
    model = build_model(
        RandomForest(kind="random_forest", n_estimators=50),
        numeric=contract.numeric(inputs),
        categorical=contract.categorical(inputs),
        seed=0,
    )
    model.fit(seen[inputs], labels(seen, contract))
    register_challenger(prepared, model, seen[contract.input_columns()].dropna().head(5))

    report = compare(prepared)

    assert report["decision"] == "keep"
    assert report["metrics"]["roc_auc"]["delta"] > 0
    assert any(reason.startswith("slice sex=Female: roc_auc -") for reason in report["reasons"]), report[
        "reasons"
    ]
    assert aliases(prepared)["champion"] == champion


def test_a_champion_whose_artifacts_are_gone_is_an_error_and_nothing_moves(prepared, capsys):
    champion = train(prepared, WEAK)
    assert main(["compare"]) == 0
    assert main(["promote"]) == 0
    artifacts = registry(prepared).get_model_version_download_uri(MODEL_NAME, champion)
    shutil.rmtree(artifacts.removeprefix("file://"))
    train(prepared, STRONG)
    capsys.readouterr()

    assert main(["compare"]) == 1

    error = capsys.readouterr().err.strip()
    assert error.startswith(f"error: champion models:/{MODEL_NAME}/{champion} cannot be loaded")
    assert "nothing was promoted" in error
    assert len(error.splitlines()) == 1
    assert not prepared.compare.exists()
    assert main(["promote"]) == 2
    assert aliases(prepared) == {"champion": champion}


def test_a_challenger_taking_other_records_is_an_error(prepared, capsys):
    train(prepared, WEAK)
    model = mlflow.sklearn.load_model(str(prepared.model))
    example = read_split(prepared.test_split).head(5).assign(extra_column=1.0)
    odd = register_challenger(prepared, model, example)
    registry(prepared).set_registered_model_alias(MODEL_NAME, "champion", odd)
    train(prepared, STRONG)
    capsys.readouterr()

    assert main(["compare"]) == 1

    error = capsys.readouterr().err
    assert f"champion version {odd} and the challenger take different records" in error
    assert "only the champion takes extra_column" in error
    assert not prepared.compare.exists()


def test_pull_requests_and_other_branches_never_promote(prepared, monkeypatch, capsys):
    train(prepared, WEAK)
    assert main(["compare"]) == 0
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    assert main(["promote"]) == 2
    assert "refused in a GitHub pull request" in capsys.readouterr().err
    monkeypatch.delenv("GITHUB_EVENT_NAME")
    monkeypatch.setenv("CI_COMMIT_BRANCH", "feature")
    assert main(["promote"]) == 2
    assert "refused on branch feature: only the main branch promotes" in capsys.readouterr().err
    assert aliases(prepared) == {}


def test_an_unreachable_registry_is_an_error(prepared, monkeypatch, capsys):
    train(prepared, WEAK)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    capsys.readouterr()

    assert main(["compare"]) != 0

    error = capsys.readouterr().err.strip()
    assert error.startswith("error: MLflow")
    assert "127.0.0.1:9" in error
    assert len(error.splitlines()) == 1
    assert not prepared.compare.exists()


def test_promote_refuses_a_stale_comparison(prepared, capsys):
    first = train(prepared, WEAK)
    assert main(["compare"]) == 0
    assert main(["promote"]) == 0
    better = train(prepared, STRONG)
    assert compare(prepared)["decision"] == "promote"
    registry(prepared).set_registered_model_alias(MODEL_NAME, "champion", better)  # moved by someone else
    capsys.readouterr()

    assert main(["promote"]) == 2
    assert f"the champion is now version {better}, not the version {first} compare measured against" in (
        capsys.readouterr().err
    )
    registry(prepared).set_registered_model_alias(MODEL_NAME, "champion", first)
    newer = train(prepared, WEAK)  # trained after compare ran
    assert main(["promote"]) == 2
    assert f"compares version {better}, but the trained model is version {newer}" in capsys.readouterr().err
    assert aliases(prepared) == {"champion": first}
