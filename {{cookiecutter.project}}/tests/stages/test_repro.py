"""End to end in a temporary copy of the project, against a real sqlite MLflow store."""

import json

import mlflow
import pytest

from {{ cookiecutter.package }}.cli import main
from {{ cookiecutter.package }}.config import MODEL_NAME

pytestmark = pytest.mark.integration


def registry(uri: str) -> mlflow.MlflowClient:
    return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


def test_repro_trains_evaluates_and_registers_then_skips_when_nothing_changed(project, capfd):
    assert main(["repro"]) == 0

    report = json.loads(project.metrics.read_text())
    assert report["test"]["roc_auc"] > 0.8
    assert set(report["slices"]["sex"]) == {"Female", "Male"}
    for plot in ("roc.csv", "precision_recall.csv", "confusion.csv"):
        assert (project.plots / plot).stat().st_size > 0
    assert (project.model / "MLmodel").is_file()

    client = registry(f"sqlite:///{project.mlruns / 'mlflow.db'}")
    version = client.get_model_version(MODEL_NAME, "1")
    assert version.tags["data_version"].startswith("md5:")
    run = client.get_run(version.run_id)
    assert run.data.metrics["test_roc_auc"] == report["test"]["roc_auc"]
    assert run.data.params["model.kind"] == "hist_gradient_boosting"
    assert {"git_commit", "data_version"} <= set(run.data.tags)

    capfd.readouterr()
    assert main(["repro"]) == 0
    assert "Data and pipelines are up to date" in capfd.readouterr().out
    assert len(client.search_model_versions(f"name='{MODEL_NAME}'")) == 1


def test_tracking_uri_switches_the_store_without_code_changes(project, tmp_path, monkeypatch):
    other = f"sqlite:///{tmp_path / 'server.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", other)
    assert main(["prepare"]) == 0
    assert main(["train"]) == 0
    assert registry(other).get_model_version(MODEL_NAME, "1").status == "READY"
    assert not (project.mlruns / "mlflow.db").exists()


def test_bad_data_stops_the_pipeline_at_validation_and_changes_nothing(project, capfd):
    assert main(["repro"]) == 0
    before = {
        path: path.read_bytes() for path in (project.metrics, project.run_info, project.model / "MLmodel")
    }
    good = project.raw_data.read_text()
    project.raw_data.write_text(good.replace(",Male,", ",Robot,", 5))
    capfd.readouterr()

    assert main(["repro"]) != 0

    out = capfd.readouterr()
    assert "sex: expected one of Female, Male; found 5 other values (e.g. 'Robot'" in out.out
    assert "Running stage 'prepare'" not in out.out
    assert {path: path.read_bytes() for path in before} == before
    client = registry(f"sqlite:///{project.mlruns / 'mlflow.db'}")
    assert len(client.search_model_versions(f"name='{MODEL_NAME}'")) == 1
