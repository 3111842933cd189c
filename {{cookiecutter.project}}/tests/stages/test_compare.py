"""compare and promote end to end in a temporary copy of the project, against a real sqlite MLflow store."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from {{ cookiecutter.package }}.artefacts import Comparison
from {{ cookiecutter.package }}.cli import main
from {{ cookiecutter.package }}.config import MODEL_NAME
from {{ cookiecutter.package }}.contract import load_contract
from {{ cookiecutter.package }}.core.models import build_model
from {{ cookiecutter.package }}.io import model_files, tracking
from {{ cookiecutter.package }}.io.datasets import labels, read_split
from {{ cookiecutter.package }}.settings import RandomForest

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("first-champion")]


def register_challenger(registry, model, example) -> str:
    """Register a model built by the test as the challenger, the way the train stage does."""
    model_files.save(model, example, registry.paths.model)
    reference = {"data": "test", "rows": len(example), "columns": {}}
    trained = tracking.log_training(registry.paths, model, example, {}, {}, {"made_by": "test"}, reference)
    trained.write(registry.paths.trained)
    return trained.version


def test_first_better_worse_and_equal_challengers(challenger, capsys):
    """The weak model was the first champion (compared with none); the strong one is better."""
    registry, first, better = challenger, "1", "2"
    assert registry.aliases() == {"champion": first}

    report = Comparison.read(registry.paths.comparison)
    assert report.decision == "promote", report.reasons
    assert report.scores["roc_auc"].ci_low > 0
    assert main(["promote"]) == 0
    assert registry.aliases() == {"champion": better, "previous": first}
    assert registry.client().get_model_version(MODEL_NAME, better).tags["decision"] == "promote"

    registry.train("weak")
    report = registry.compare()
    assert report.decision == "keep"
    assert "misses the rule" in report.reasons[0]
    capsys.readouterr()
    assert main(["promote"]) == 0
    assert "nothing to promote: compare decided keep" in capsys.readouterr().out
    assert registry.aliases() == {"champion": better, "previous": first}

    registry.train("strong")  # the same settings again: the same predictions
    report = registry.compare()
    assert report.decision == "keep"
    assert report.scores["roc_auc"].delta == 0
    assert registry.aliases() == {"champion": better, "previous": first}
    markdown = registry.paths.comparison_markdown.read_text()
    assert "keep: the champion stays" in markdown
    assert "| roc_auc |" in markdown


def test_better_overall_but_worse_on_one_slice_is_kept_with_that_reason(challenger):
    registry, champion = challenger, "2"
    assert main(["promote"]) == 0
    # A challenger that has memorised the holdout rows (better overall), some Female labels flipped.
    contract = load_contract(registry.paths.contract)
    train_rows, test_rows = read_split(registry.paths.train_split), read_split(registry.paths.test_split)
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
    register_challenger(registry, model, seen[contract.input_columns()].dropna().head(5))

    report = registry.compare()

    assert report.decision == "keep"
    assert report.scores["roc_auc"].delta > 0
    assert any(reason.startswith("slice sex=Female: roc_auc -") for reason in report.reasons), report.reasons
    assert registry.aliases()["champion"] == champion


def test_a_champion_whose_artifacts_are_gone_is_an_error_and_nothing_moves(registry, capsys):
    champion = "1"
    last_comparison = registry.paths.comparison.read_bytes()
    artifacts = registry.client().get_model_version_download_uri(MODEL_NAME, champion)
    shutil.rmtree(artifacts.removeprefix("file://"))
    registry.train("strong")
    capsys.readouterr()

    assert main(["compare"]) == 1

    error = capsys.readouterr().err.strip()
    assert error.startswith(f"error: champion models:/{MODEL_NAME}/{champion} cannot be loaded")
    assert "nothing was promoted" in error
    assert len(error.splitlines()) == 1
    assert registry.paths.comparison.read_bytes() == last_comparison  # kept, and too old to promote from:
    assert main(["promote"]) == 2
    assert "run compare again" in capsys.readouterr().err
    assert registry.aliases() == {"champion": champion}


def test_a_challenger_taking_other_records_is_an_error(registry, capsys):
    last_comparison = registry.paths.comparison.read_bytes()
    model = model_files.load(registry.paths.model).pipeline
    example = read_split(registry.paths.test_split).head(5).assign(extra_column=1.0)
    odd = register_challenger(registry, model, example)
    registry.client().set_registered_model_alias(MODEL_NAME, "champion", odd)
    registry.train("strong")
    capsys.readouterr()

    assert main(["compare"]) == 1

    error = capsys.readouterr().err
    assert f"champion version {odd} and the challenger take different records" in error
    assert "only the champion takes extra_column" in error
    assert registry.paths.comparison.read_bytes() == last_comparison


@pytest.mark.parametrize("stage", ["promote", "deploy", "rollback"])
def test_pull_requests_and_other_branches_never_change_production(stage, challenger, monkeypatch, capsys):
    registry = challenger  # the strong model compared: promote
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    monkeypatch.setenv("GITHUB_HEAD_REF", "feature")
    capsys.readouterr()
    assert main([stage]) == 2
    refusal = f"{stage}: refused in a GitHub pull request (feature): only the main branch changes production"
    assert capsys.readouterr().err == f"error: {refusal}\n"
    monkeypatch.delenv("GITHUB_EVENT_NAME")
    monkeypatch.setenv("CI_COMMIT_BRANCH", "feature")
    assert main([stage]) == 2
    assert (
        f"{stage}: refused on branch feature, not main: only the main branch changes production"
        in capsys.readouterr().err
    )
    assert registry.aliases() == {"champion": "1"}
    assert not registry.paths.deploy_report.exists()
    assert not registry.paths.deployment().exists()


def test_an_unreachable_registry_is_an_error(registry, monkeypatch, capsys):
    last_comparison = registry.paths.comparison.read_bytes()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    capsys.readouterr()

    assert main(["compare"]) != 0

    error = capsys.readouterr().err.strip()
    assert error.startswith("error: MLflow")
    assert "127.0.0.1:9" in error
    assert len(error.splitlines()) == 1
    assert registry.paths.comparison.read_bytes() == last_comparison


def test_promote_refuses_a_stale_comparison(challenger, capsys):
    registry, first, better = challenger, "1", "2"  # the strong model compared: promote
    registry.client().set_registered_model_alias(MODEL_NAME, "champion", better)  # moved by someone else
    capsys.readouterr()

    assert main(["promote"]) == 2
    assert f"the champion is now version {better}, not the version {first} compare measured against" in (
        capsys.readouterr().err
    )
    registry.client().set_registered_model_alias(MODEL_NAME, "champion", first)
    newer = registry.train("weak")  # trained after compare ran
    assert main(["promote"]) == 2
    assert f"compares version {better}, but the trained model is version {newer}" in capsys.readouterr().err
    assert registry.aliases() == {"champion": first}
