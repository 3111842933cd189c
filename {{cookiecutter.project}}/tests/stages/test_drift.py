"""drift, the scheduled run's first stage, in a copy of a trained project: against its champion's training
data. The scheduled pipeline's retraining path runs in the template's CI tests."""

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package }}.artefacts import DriftCheck, Validation
from {{ cookiecutter.package }}.cli import main
from {{ cookiecutter.package }}.config import Paths
from {{ cookiecutter.package }}.io import registry, remote, validated

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("reproduced")]


def export(paths: Paths, name: str, change) -> Path:
    """A new data export beside the project: its data, changed."""
    frame = change(pd.read_csv(paths.raw_data, dtype=str, keep_default_na=False))
    target = paths.root.parent / name
    frame.to_csv(target, index=False)
    return target


def fewer_young_people(frame: pd.DataFrame) -> pd.DataFrame:
    """Drift a scheduled run retrains on: age's PSI past drift.psi_max (0.1), within validate's (0.2)."""
    return frame[(frame["age"].astype(int) >= 30) | (frame.index % 5 < 2)]


def swapped_sexes(frame: pd.DataFrame) -> pd.DataFrame:
    """A corrupted export: every row's sex the other one."""
    return frame.assign(sex=frame["sex"].map({"Male": "Female", "Female": "Male"}))


def negative_ages(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[:10, "age"] = "-4"
    return frame


def refresh_with(paths: Paths, command: str) -> None:
    """drift.refresh in params.yaml: the command that brings the newest data."""
    params = yaml.safe_load(paths.params.read_text())
    assert params["drift"]["refresh"] == ""
    params["drift"]["refresh"] = command
    paths.params.write_text(yaml.safe_dump(params, sort_keys=False))


def test_no_champion_retrains_the_same_data_does_not_and_drifted_data_does(reproduced, copy_of, capsys):
    paths = copy_of(reproduced)
    assert main(["drift"]) == 0
    first = DriftCheck.read(paths.drift)
    assert (first.retrain, first.reasons) == (True, ("no champion yet: the first model is trained",))
    assert first.champion is None

    registry.promote(paths, "1")
    committed = paths.reference.read_text()
    capsys.readouterr()
    assert main(["pipeline", "--scheduled"]) == 0  # the scheduled pipeline: drift, and nothing to retrain
    out = capsys.readouterr().out
    assert "==> pipeline: no retraining needed: no column drifted" in out
    assert "==> repro" not in out
    report = paths.report_markdown.read_text()
    assert report.startswith("## ✅ {{ cookiecutter.project }} pipeline: no retraining needed: no column drifted")
    assert "| ⏭️ `compare` | skipped: no retraining needed |" in report
    assert "| ⏭️ `test` | skipped: not part of the scheduled pipeline |" in report
    assert registry.champion(paths).version == "1"
    same = DriftCheck.read(paths.drift)
    assert not same.retrain, same.reasons
    assert same.reasons[0].startswith("no column drifted: largest PSI ")
    assert same.champion == "1"
    assert same.served is None, "no deployed service here: its served data is not checked"
    assert "drift: served data not checked: " in out
    assert 0 <= same.champion_age_days < 1
    run_id = registry.champion(paths).run_id
    assert same.reference == f"champion version 1's training data (MLflow run {run_id})"
    assert {shift.column for shift in same.shifts} >= {"age", "workclass", "hours_per_week"}
    assert paths.reference.read_text() == committed, "no retraining: the reference stays"
    assert validated.is_current(paths), "drift validates as a push does: `repro` need not again"

    source = export(paths, "export.csv", fewer_young_people)
    refresh_with(paths, f"cp {source} data/raw/adult.csv")
    assert main(["drift"]) == 0
    moved = DriftCheck.read(paths.drift)
    assert moved.retrain
    assert moved.reasons[0].startswith("age: psi "), moved.reasons
    [age] = [shift for shift in moved.shifts if (shift.column, shift.statistic) == ("age", "psi")]
    assert 0.1 < age.value <= 0.2, "drift to retrain on: past drift.psi_max, within validate.psi_max"
    assert moved.refreshed == f"data: refreshed by `cp {source} data/raw/adult.csv`"
    rows = len(pd.read_csv(source))
    assert moved.rows == rows
    assert json.loads(paths.reference.read_text())["rows"] == rows, "the next model's reference: the new data"


def test_a_shift_past_validates_limits_stops_the_run_and_retrains_nothing(reproduced, copy_of, capsys):
    """A corrupted export (the sexes swapped) looks like drift. Past validate's limits, which stop a push with
    that data, it stops the scheduled run too: exit 1, the shift in the report, nothing decided, recorded or
    retrained."""
    paths = copy_of(reproduced)
    registry.promote(paths, "1")
    committed = paths.reference.read_text()
    source = export(paths, "swapped.csv", swapped_sexes)
    refresh_with(paths, f"cp {source} data/raw/adult.csv")
    capsys.readouterr()

    assert main(["pipeline", "--scheduled"]) == 1

    out = capsys.readouterr().out
    assert "validate: sex: distribution shifted from the reference (PSI " in out
    assert "==> repro" not in out
    assert not paths.drift.exists()
    assert paths.reference.read_text() == committed
    assert not Validation.read(paths.validation).valid
    verdict = paths.report_markdown.read_text(encoding="utf-8").splitlines()[0]
    assert verdict.startswith("## ❌"), verdict
    assert "validate" in verdict, verdict


def test_served_data_past_the_monitor_limits_retrains_once_the_training_data_changed(
    reproduced, copy_of, raw, log_predictions, deployed_log
):
    """The deployed service was asked about older people than champion version 1 was trained on. On the data
    it was trained on, retraining would give the same model back: reported, not retrained. Once the refresh
    brings new data (here: not drifted itself), the served data is a reason to retrain."""
    paths = copy_of(reproduced)
    registry.promote(paths, "1")
    log = deployed_log(paths)
    log_predictions(paths, raw[raw["age"] >= 50].sample(n=300, random_state=1), log)
    assert main(["drift"]) == 0
    same = DriftCheck.read(paths.drift)
    assert not same.retrain, same.reasons
    assert not same.served.ok
    assert same.served.rows == 300
    assert same.reasons[-1].startswith("served data is off (age: psi ")
    assert same.reasons[-1].endswith("refresh the training data (drift.refresh)")

    source = export(paths, "export.csv", lambda frame: frame.iloc[: len(frame) - 30])  # the newest export
    refresh_with(paths, f"cp {source} data/raw/adult.csv")
    assert main(["drift"]) == 0
    check = DriftCheck.read(paths.drift)
    assert check.retrain
    assert check.reasons[0].startswith("served data: age: psi "), check.reasons
    assert all(shift.ok for shift in check.shifts), "the training data itself did not drift"


def test_tracked_data_the_refresh_replaced_is_recorded_and_pushed_for_the_stages_after_drift(
    reproduced, copy_of, tmp_path, capsys
):
    """Data tracked by DVC, with a remote: drift records what the refresh brought in its .dvc file and, as
    it retrains, pushes it; the later stages' pulls then agree with it (before, `dvc pull` refused to
    overwrite the new data, or with --force would have brought back the old)."""
    paths = copy_of(reproduced)
    registry.promote(paths, "1")

    def dvc(*args: str) -> str:
        done = remote.dvc(paths, *args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    dvc("add", "data/raw/adult.csv")
    dvc("remote", "add", "-d", "folder", str(tmp_path / "remote"))
    dvc("push")
    source = export(paths, "export.csv", fewer_young_people)
    refresh_with(paths, f"cp {source} data/raw/adult.csv")
    capsys.readouterr()
    assert main(["drift"]) == 0
    check = DriftCheck.read(paths.drift)
    assert check.retrain, check.reasons
    recorded = "recorded in data/raw/adult.csv.dvc"
    assert check.refreshed == f"data: refreshed by `cp {source} data/raw/adult.csv`, {recorded}"
    assert "drift: data: pushed data/raw/adult.csv.dvc to the DVC remote" in capsys.readouterr().out
    tracked = yaml.safe_load((paths.root / "data" / "raw" / "adult.csv.dvc").read_text())
    assert tracked["outs"][0]["md5"] == hashlib.md5(source.read_bytes()).hexdigest()
    assert "in sync" in dvc("status", "--cloud")

    assert main(["validate"]) == 0, capsys.readouterr().err  # pulls first: the data drift checked stays
    assert paths.raw_data.read_bytes() == source.read_bytes()


def test_a_failing_refresh_or_data_that_breaks_the_contract_stops_with_one_line_and_decides_nothing(
    reproduced, copy_of, capsys
):
    paths = copy_of(reproduced)
    registry.promote(paths, "1")
    original = paths.params.read_text()
    paths.drift.parent.mkdir(parents=True, exist_ok=True)
    paths.drift.write_text("an earlier run's decision")  # must not outlive a failed check
    refresh_with(paths, "echo 'export not ready' >&2; exit 3")
    assert main(["drift"]) == 2
    assert capsys.readouterr().err == (
        f"error: {paths.params}: drift.refresh `echo 'export not ready' >&2; exit 3` failed (exit 3): "
        "export not ready\n"
    )
    assert not paths.drift.exists()

    paths.params.write_text(original)
    paths.drift.write_text("an earlier run's decision")
    refresh_with(paths, f"cp {export(paths, 'broken.csv', negative_ages)} data/raw/adult.csv")
    assert main(["drift"]) == 1
    assert "breaks the data contract" in capsys.readouterr().err
    assert not paths.drift.exists()


def test_without_an_mlflow_store_the_scheduled_run_stops_and_trains_nothing(project, capsys):
    """An evicted CI cache or a missing MLFLOW_TRACKING_URI must not make a "first" model that deploys."""
    assert not (project.mlruns / "mlflow.db").exists()
    assert main(["pipeline", "--scheduled"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: no MLflow store at ")
    assert error.endswith("; nothing was retrained\n")
    assert not project.drift.exists()
    assert not project.trained.exists()
