"""monitor on a prediction log written as the service writes it, with the reproduced project's model as
champion: served data like training's holds; skewed inputs or poor live quality exit 1; bad input exits 2."""

import json

import pandas as pd
import pytest

from {{ cookiecutter.package }}.artefacts import Monitoring
from {{ cookiecutter.package }}.cli import main
from {{ cookiecutter.package }}.config import Paths
from {{ cookiecutter.package }}.io import registry

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("reproduced")]


@pytest.fixture
def champion(reproduced, copy_of) -> Paths:
    paths = copy_of(reproduced)
    registry.promote(paths, "1")
    return paths


def test_served_data_like_trainings_holds_and_delayed_labels_give_live_quality_per_slice(
    champion, raw, log_predictions, deployed_log, capsys
):
    deployed = deployed_log(champion)
    # Written where the deployed local service writes it: monitor's default.
    served = log_predictions(champion, raw.sample(n=800, random_state=7), deployed)
    with deployed.open("a") as log:
        log.write('{"time": "2026-11-29T04:17:00Z", "request_id": "r-9", "inp')  # a line being written
    (deployed.parent / "predictions.jsonl.bak").write_text("a copy someone kept: not a rotated file\n")
    labels = champion.root / "labels.csv"
    served[["request_id", "index", "income"]].to_csv(labels, index=False)

    assert main(["monitor", "--labels", str(labels)]) == 0
    report = Monitoring.read(champion.monitoring)
    assert report.ok, report.problems
    assert (report.rows, report.models, report.log) == (800, {"1": 800}, ("predictions.jsonl",))
    assert report.reference.startswith("champion version 1's training data")
    assert {shift.column for shift in report.shifts} >= {"age", "sex", "hours_per_week"}
    assert report.prediction_share.baseline == "predictions"  # the champion's run recorded its own share
    assert abs(report.prediction_share.served - report.prediction_share.training) < 0.1
    assert report.quality.rows == 800
    assert report.quality.roc_auc > 0.85
    assert set(report.quality.slices) == {"Female", "Male"}
    assert "monitor: 800 logged records hold: largest PSI " in capsys.readouterr().out


def test_both_shares_are_taken_at_the_threshold_in_params_yaml(champion, raw, log_predictions, capsys):
    """The log's labels are the service's, at the threshold it ran with (0.5); params.yaml now says 0.3. The
    served share is taken from the logged probabilities at 0.3, as the baseline is: comparing the labels'
    share at 0.5 with the model's at 0.3 would be a shift that is not there."""
    log_predictions(champion, raw.sample(n=800, random_state=7), champion.root / "served.jsonl")
    champion.params.write_text(champion.params.read_text().replace("threshold: 0.5", "threshold: 0.3", 1))

    assert main(["monitor", "--log", str(champion.root / "served.jsonl")]) == 0, capsys.readouterr().out

    share = Monitoring.read(champion.monitoring).prediction_share
    logged = [json.loads(line) for line in (champion.root / "served.jsonl").read_text().splitlines()]
    assert share.served == round(sum(entry["probability"] >= 0.3 for entry in logged) / len(logged), 6)
    assert share.served > sum(entry["label"] == ">50K" for entry in logged) / len(logged) + 0.05
    assert abs(share.served - share.training) < 0.1


def test_skewed_inputs_and_poor_live_quality_exit_1_naming_them(champion, raw, log_predictions, capsys):
    old = raw[raw["age"] >= 50].sample(n=400, random_state=1)
    served = log_predictions(champion, old)
    labels = champion.root / "labels.csv"
    flipped = served.assign(income=served["income"].map({">50K": "<=50K", "<=50K": ">50K"}))
    flipped[["request_id", "index", "income"]].to_csv(labels, index=False)

    assert main(["monitor", "--labels", str(labels)]) == 1
    captured = capsys.readouterr()
    assert "monitor: age: psi " in captured.out
    assert "monitor: live ROC AUC " in captured.out
    assert captured.err.startswith("error: monitor: the served data is off in ")
    report = Monitoring.read(champion.monitoring)
    assert not report.ok
    assert report.quality.roc_auc < 0.5


def test_only_the_champions_records_are_judged(champion, raw, log_predictions, capsys):
    """The log also holds what another version served (here: version 2, old people only, a candidate or the
    version before): counted by version in the report, left out of the verdict on the champion (version 1)."""
    log_predictions(champion, raw.sample(n=300, random_state=3))
    log_predictions(champion, raw[raw["age"] >= 50].sample(n=400, random_state=1), version="2")

    assert main(["monitor"]) == 0, capsys.readouterr().out
    report = Monitoring.read(champion.monitoring)
    assert (report.ok, report.rows, report.models) == (True, 300, {"1": 300, "2": 400})


def test_a_category_sent_empty_is_missing_as_the_service_reads_it(champion, raw, log_predictions, capsys):
    """The service reads "" as a missing value, so monitor does too: as a category of its own, the missing
    workclass, occupation and native_country sent as "" would be skew (and hide a rise of missing values)."""
    empty = {column: "" for column in ("workclass", "occupation", "native_country")}
    log_predictions(champion, raw.sample(n=800, random_state=7).fillna(empty))

    assert main(["monitor"]) == 0, capsys.readouterr().out
    shifts = Monitoring.read(champion.monitoring).shifts
    assert max(shift.value for shift in shifts if shift.column == "workclass") < 0.05


def test_a_line_cut_mid_character_is_left_out_like_any_cut_off_line(champion, raw, log_predictions, capsys):
    log = champion.root / "logs" / "predictions.jsonl"
    log_predictions(champion, raw.sample(n=800, random_state=7), log)
    with log.open("ab") as cut:
        cut.write('{"request_id": "r-1", "inputs": {"native_country": "Mé'.encode()[:-1] + b"\n")  # half an é

    assert main(["monitor"]) == 0, capsys.readouterr().err
    assert Monitoring.read(champion.monitoring).skipped == (f"{log}:{len(log.read_bytes().splitlines())}",)


def test_a_few_labels_are_not_enough_to_judge_live_quality(champion, raw, log_predictions, capsys):
    """Delayed labels come in a few at a time: 20 of them (a handful per segment) judge nothing yet."""
    served = log_predictions(champion, raw.sample(n=800, random_state=7))
    labels = champion.root / "labels.csv"
    served.head(20)[["request_id", "index", "income"]].to_csv(labels, index=False)

    assert main(["monitor", "--labels", str(labels)]) == 0
    quality = Monitoring.read(champion.monitoring).quality
    assert (quality.rows, quality.roc_auc, set(quality.slices.values())) == (20, None, {None})
    assert "; live quality not judged: 20 labelled records (monitor.min_labels)" in capsys.readouterr().out


def test_no_log_too_few_records_or_bad_labels_are_one_line_errors(champion, raw, log_predictions, capsys):
    champion.monitoring.parent.mkdir(parents=True, exist_ok=True)
    champion.monitoring.write_text("an earlier run's verdict")  # must not outlive a failed run
    assert main(["monitor"]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    log_predictions(champion, raw.head(20))
    assert main(["monitor"]) == 2
    too_few = "20 logged records served by version 1; a verdict needs 200 (monitor.min_rows)"
    assert too_few in capsys.readouterr().err

    served = log_predictions(champion, raw.head(300), champion.root / "more.jsonl")
    labels = champion.root / "labels.csv"
    served.assign(income="maybe")[["request_id", "income"]].to_csv(labels, index=False)
    assert main(["monitor", "--log", str(champion.root / "more.jsonl"), "--labels", str(labels)]) == 2
    assert (
        capsys.readouterr().err
        == f"error: --labels {labels}: unknown label 'maybe' (expected >50K or <=50K)\n"
    )
    assert not champion.monitoring.exists()
    twice = pd.concat([served.head(3), served.head(1)])
    twice[["request_id", "index", "income"]].to_csv(labels, index=False)
    assert main(["monitor", "--log", str(champion.root / "more.jsonl"), "--labels", str(labels)]) == 2
    assert (
        capsys.readouterr().err
        == f"error: --labels {labels}: request req-0 index 0 is labelled twice (row 5)\n"
    )

    for index in ("1.5", "1e400", "-1", "\u0663"):  # the last an Arabic-Indic 3: a digit to \\d, not to int()
        labels.write_text(f"request_id,index,income\nreq-0,0,>50K\nreq-1,{index},>50K\n")
        assert main(["monitor", "--log", str(champion.root / "more.jsonl"), "--labels", str(labels)]) == 2
        assert capsys.readouterr().err == f"error: --labels {labels}: index: not a whole number in row 3\n"
    labels.write_bytes("request_id,income\nreq-0,>50K\nreq-1,<=50K \xe9\n".encode("latin-1"))
    assert main(["monitor", "--log", str(champion.root / "more.jsonl"), "--labels", str(labels)]) == 2
    assert capsys.readouterr().err.startswith(f"error: --labels {labels}: cannot be read ('utf-8' codec")

    lines = (champion.root / "more.jsonl").read_text().splitlines()
    entry = json.loads(lines[4])
    entry["inputs"]["age"] = "forty"
    written = champion.root / "written-by-hand.jsonl"
    written.write_text("\n".join([*lines[:4], json.dumps(entry), *lines[5:]]) + "\n")
    assert main(["monitor", "--log", str(written)]) == 2
    said = capsys.readouterr().err
    assert said == f"error: {written}:5: age 'forty' is not a number: not a line the service wrote\n"

    broken = champion.root / "broken.jsonl"
    broken.write_text('{"inputs": {}, "probability": "high", "request_id": "r", "label": ">50K"}\n')
    assert main(["monitor", "--log", str(broken)]) == 2
    assert capsys.readouterr().err == f"error: {broken}:1: not a prediction log line\n"
    # Two lines in a hundred that do not parse: not a prediction log, whatever follows.
    lines = (champion.root / "more.jsonl").read_text().splitlines()
    broken.write_text("\n".join(["not json", *lines[:49], "not json either", *lines[49:99]]) + "\n")
    assert main(["monitor", "--log", str(broken)]) == 2
    assert capsys.readouterr().err == f"error: {broken}:1: not a prediction log line\n"


def test_a_line_cut_off_by_a_stop_mid_write_is_left_out_and_reported(champion, raw, log_predictions, capsys):
    """The service killed while writing a line, then started again: the cut-off line and the next record
    share a line. That line is left out and said; the verdict comes from the others."""
    log = champion.root / "restarted.jsonl"
    log_predictions(champion, raw.head(300), log)
    lines = log.read_text().splitlines()
    torn = [*lines[:150], lines[150][:40] + lines[151], *lines[152:]]
    log.write_text("\n".join(torn) + "\n")

    assert main(["monitor", "--log", str(log)]) == 0, capsys.readouterr().err

    out = capsys.readouterr().out
    said = "monitor: left out 1 line(s) cut off mid-write (the service stopped while writing), first"
    assert f"{said} {log}:151" in out
    report = Monitoring.read(champion.monitoring)
    assert report.skipped == (f"{log}:151",)
    assert report.rows == 298
