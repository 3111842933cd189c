"""End to end in a temporary copy of the project, against a real sqlite MLflow store."""

import mlflow
import pytest

from {{ cookiecutter.package }}.artefacts import Evaluation, TrainedModel
from {{ cookiecutter.package }}.cli import main
from {{ cookiecutter.package }}.config import MODEL_NAME, Paths

pytestmark = pytest.mark.integration


def registry(uri: str) -> mlflow.MlflowClient:
    return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


def store(paths: Paths) -> mlflow.MlflowClient:
    return registry(f"sqlite:///{paths.mlruns / 'mlflow.db'}")


@pytest.mark.xdist_group("reproduced")
def test_repro_trains_evaluates_and_registers_then_skips_when_nothing_changed(reproduced, monkeypatch, capfd):
    evaluation = Evaluation.read(reproduced.evaluation)
    assert evaluation.test["roc_auc"] > 0.8
    assert set(evaluation.slices["sex"]) == {"Female", "Male"}
    for plot in ("roc.csv", "precision_recall.csv", "confusion.csv"):
        assert (reproduced.plots / plot).stat().st_size > 0
    assert (reproduced.model / "MLmodel").is_file()
    assert TrainedModel.read(reproduced.trained).version == evaluation.model.version == "1"

    client = store(reproduced)
    version = client.get_model_version(MODEL_NAME, "1")
    assert version.tags["data_version"].startswith("md5:")
    run = client.get_run(version.run_id)
    assert run.data.metrics["test_roc_auc"] == evaluation.test["roc_auc"]
    assert run.data.params["model.kind"] == "hist_gradient_boosting"
    assert {"git_commit", "data_version"} <= set(run.data.tags)

    monkeypatch.chdir(reproduced.root)
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


@pytest.mark.xdist_group("reproduced")
def test_bad_data_stops_the_pipeline_at_validation_and_changes_nothing(reproduced, copy_of, capfd):
    project = copy_of(reproduced)
    before = {
        path: path.read_bytes() for path in (project.evaluation, project.trained, project.model / "MLmodel")
    }
    good = project.raw_data.read_text()
    project.raw_data.write_text(good.replace(",Male,", ",Robot,", 5))
    capfd.readouterr()

    assert main(["repro"]) != 0

    out = capfd.readouterr()
    assert "sex: expected one of Female, Male; found 5 other values (e.g. 'Robot'" in out.out
    assert "Running stage 'prepare'" not in out.out
    assert {path: path.read_bytes() for path in before} == before
    assert len(store(project).search_model_versions(f"name='{MODEL_NAME}'")) == 1
