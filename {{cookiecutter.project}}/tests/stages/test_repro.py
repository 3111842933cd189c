"""End to end in a temporary copy of the project, against a real sqlite MLflow store."""

import os
import shutil
import subprocess
import sys

import mlflow
import pytest

from {{ cookiecutter.package }}.artefacts import Evaluation, Reproduction, TrainedModel
from {{ cookiecutter.package }}.cli import main
from {{ cookiecutter.package }}.config import MODEL_NAME, Paths
from {{ cookiecutter.package }}.core.scoring import positive_share
from {{ cookiecutter.package }}.io import mlflow_store, model_files, registry
from {{ cookiecutter.package }}.io.datasets import read_split

pytestmark = pytest.mark.integration


def client_of(uri: str) -> mlflow.MlflowClient:
    return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


def store(paths: Paths) -> mlflow.MlflowClient:
    return client_of(f"sqlite:///{paths.mlruns / 'mlflow.db'}")


@pytest.mark.xdist_group("reproduced")
def test_repro_trains_evaluates_and_registers_then_skips_when_nothing_changed(
    reproduced, leave_ci, monkeypatch, capfd, contract, settings
):
    evaluation = Evaluation.read(reproduced.evaluation)
    assert evaluation.test["roc_auc"] > 0.8
    assert set(evaluation.slices["sex"]) == {"Female", "Male"}
    for plot in ("roc.csv", "precision_recall.csv", "confusion.csv"):
        assert (reproduced.plots / plot).stat().st_size > 0
    assert (reproduced.model / "MLmodel").is_file()
    assert TrainedModel.read(reproduced.trained).version == evaluation.model.version == "1"
    trained = TrainedModel.read(reproduced.trained)
    assert Reproduction.read(reproduced.reproduced) == Reproduction(version="1", run_id=trained.run_id)

    client = store(reproduced)
    version = client.get_model_version(MODEL_NAME, "1")
    assert version.tags["data_version"].startswith("md5:")
    run = client.get_run(version.run_id)
    assert run.data.metrics["test_roc_auc"] == evaluation.test["roc_auc"]
    assert run.data.params["model.kind"] == "hist_gradient_boosting"
    assert {"git_commit", "data_version"} <= set(run.data.tags)

    # The quantiles of its scores on its training rows (the PredictionShift alert's baseline follows from them
    # at any threshold), in models/model and in the registered version the service downloads.
    local = model_files.load(reproduced.model)
    registered = registry.load(registry.resolve(reproduced, f"models:/{MODEL_NAME}/1"))
    assert local.score_quantiles is not None
    assert local.score_quantiles == registered.score_quantiles
    train = read_split(reproduced.train_split)
    probability = local.pipeline.predict_proba(train[contract.input_columns()])[:, 1]
    for threshold in (settings.evaluate.threshold, 0.3):
        exact = (probability >= threshold).mean()
        assert positive_share(local.score_quantiles, threshold) == pytest.approx(exact, abs=0.01)

    leave_ci(monkeypatch, reproduced.root)
    capfd.readouterr()
    assert main(["repro"]) == 0
    out = capfd.readouterr().out
    assert "Data and pipelines are up to date" in out
    assert "Running stage" not in out
    assert len(client.search_model_versions(f"name='{MODEL_NAME}'")) == 1


def test_tracking_uri_switches_the_store_without_code_changes(project, tmp_path, monkeypatch, seed_store):
    elsewhere = seed_store(Paths(tmp_path / "server")).mlruns / "mlflow.db"  # empty, not the project's
    other = f"sqlite:///{elsewhere}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", other)
    assert main(["prepare"]) == 0
    assert main(["train"]) == 0
    assert client_of(other).get_model_version(MODEL_NAME, "1").status == "READY"
    assert not (project.mlruns / "mlflow.db").exists()


def test_each_project_keeps_its_own_embedded_store_in_one_process(tmp_path, monkeypatch, seed_store):
    """MLflow exports the URI it connects to into the environment. The embedded store must not stay there:
    the next project in this process (a test worker), and every process it starts (DVC's stages), would
    take the first project's store for a tracking server the user had set."""
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(name, raising=False)
    first, second = (seed_store(Paths(tmp_path / name)) for name in ("first", "second"))

    mlflow_store.connect(first)
    assert mlflow_store.is_embedded()
    assert not {"MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"} & set(os.environ)

    mlflow_store.connect(second)
    own = f"sqlite:///{second.mlruns / 'mlflow.db'}"
    assert mlflow.get_tracking_uri() == mlflow.get_registry_uri() == mlflow_store.tracking_uri(second) == own


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
    # DVC keeps the last good model and scores; they are not this run's: the report does not show them as such
    assert not project.reproduced.exists()
    assert main(["report"]) == 0
    report = project.report_markdown.read_text(encoding="utf-8")
    assert report.startswith("## ❌"), report.splitlines()[0]
    assert "| ⚪ `repro` | not run: " in report, report


@pytest.mark.xdist_group("reproduced")
def test_a_copied_project_trains_compares_promotes_and_serves_in_its_own_place(reproduced, copy_of):
    """The embedded store records absolute paths; a moved or copied project (a CI cache restored in another
    build directory) still reads and writes its own mlruns/ only."""
    before = {path: path.stat().st_mtime_ns for path in reproduced.root.rglob("*") if path.is_file()}
    project = copy_of(reproduced)

    assert main(["train"]) == 0
    assert main(["compare"]) == 0
    assert main(["promote"]) == 0
    champion = registry.resolve(project, f"models:/{MODEL_NAME}@champion")
    assert registry.load(champion).pipeline is not None

    assert champion.version == "2"
    assert (project.mlruns / "1").is_dir()
    after = {path: path.stat().st_mtime_ns for path in reproduced.root.rglob("*") if path.is_file()}
    assert after == before, "the copy wrote into the project it was copied from"


@pytest.mark.xdist_group("reproduced")
def test_repro_registers_the_model_again_when_the_store_lost_it(reproduced, copy_of, capfd):
    """An evicted CI cache, a deleted mlruns/: DVC finds the pipeline up to date, the store knows no model."""
    project = copy_of(reproduced)
    shutil.rmtree(project.mlruns)

    assert main(["repro"]) == 0

    assert "training again to register the model" in capfd.readouterr().out
    trained = TrainedModel.read(project.trained)
    assert registry.is_registered(project, trained)
    # evaluate ran again after train: the new run carries the scores of reports/evaluation.json
    run = store(project).get_run(trained.run_id)
    assert run.data.metrics["test_roc_auc"] == Evaluation.read(project.evaluation).test["roc_auc"]
    assert main(["compare"]) == 0


@pytest.mark.xdist_group("reproduced")
def test_scores_of_another_model_than_the_one_repro_trained_are_not_shown_as_this_runs(reproduced, copy_of):
    """reports/repro.json names the version repro trained; scores of another (an artefact handed on from
    elsewhere) fail repro's part of the report instead of passing for this run's."""
    project = copy_of(reproduced)
    Reproduction(version="7", run_id="elsewhere").write(project.reproduced)

    assert main(["report"]) == 0

    report = project.report_markdown.read_text(encoding="utf-8")
    assert "reports/evaluation.json: the scores of model version 1, but repro trained version 7" in report


@pytest.mark.xdist_group("reproduced")
def test_dvc_trains_again_instead_of_restoring_a_model_from_its_run_cache(reproduced, copy_of):
    """`make clean` removes the model and the store: DVC's run cache must not put back a model that the new
    store never registered. Outputs persist, and persisting outputs are never restored from the run cache."""
    project = copy_of(reproduced)
    shutil.rmtree(project.models)
    shutil.rmtree(project.mlruns)

    planned = subprocess.run(
        [sys.executable, "-m", "dvc", "repro", "--dry", "--single-item", "train"],
        cwd=project.root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert "Running stage 'train'" in planned
    assert "is cached" not in planned
