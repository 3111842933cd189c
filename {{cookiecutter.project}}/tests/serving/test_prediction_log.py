"""The sampled prediction log: what a sampled request leaves, the request id, sampling and rotation."""

import json
import time
from pathlib import Path

from {{ cookiecutter.package }}.serving.app import create_app
from {{ cookiecutter.package }}.serving.prediction_log import REQUEST_ID, PredictionLog, files, request_id

from .conftest import start


def lines(path) -> list[dict]:
    return [json.loads(line) for file in files(path) for line in file.read_text().splitlines()]


def test_a_logged_request_is_one_line_per_record_with_its_request_id_and_model(
    tmp_path, contract, settings, served, records
):
    log = PredictionLog(tmp_path / "logs" / "predictions.jsonl", 1.0, 1_000_000, 2)
    app = create_app(
        contract, settings.serve, settings.evaluate.threshold, lambda: served, prediction_log=log
    )
    running = start(app)
    client = next(running)
    one = client.post("/predict", json=records[0], headers={REQUEST_ID: "order-17"})
    batch = client.post("/predict", json={"records": records[:3]})
    bad = client.post("/predict", json={"records": [{"age": "old"}]}, headers={REQUEST_ID: "order-18"})
    unknown = client.get("/nowhere")
    running.close()
    log.close()

    assert one.headers[REQUEST_ID] == "order-17"  # the client's id, sent back
    made = batch.headers[REQUEST_ID]
    assert len(made) == 32  # one the service made
    assert (bad.status_code, bad.headers[REQUEST_ID]) == (422, "order-18")  # errors carry it too
    assert unknown.status_code == 404
    assert len(unknown.headers[REQUEST_ID]) == 32
    logged = lines(tmp_path / "logs" / "predictions.jsonl")
    assert [(line["request_id"], line["index"]) for line in logged] == [
        ("order-17", 0), (made, 0), (made, 1), (made, 2)
    ]  # fmt: skip
    first = logged[0]
    assert first["inputs"] == records[0]
    assert first["model_version"] == served.version
    answered = one.json()["predictions"][0]
    assert first["probability"] == round(answered["probabilities"][contract.label.positive], 6)
    assert first["label"] == answered["label"]
    assert abs(first["time"] - time.time()) < 60


class FullDiskLog:
    """A prediction log on a full disk: writing raises, an error no handler expects."""

    def record(self, *args, **kwargs):
        raise OSError(28, "No space left on device")


def test_an_unhandled_error_is_a_500_that_still_carries_the_request_id(contract, settings, served, records):
    app = create_app(
        contract, settings.serve, settings.evaluate.threshold, lambda: served, prediction_log=FullDiskLog()
    )
    running = start(app)
    client = next(running)
    response = client.post("/predict", json=records[0], headers={REQUEST_ID: "order-19"})
    ready = client.get("/ready")
    running.close()

    assert response.status_code == 500
    assert response.headers[REQUEST_ID] == "order-19"
    assert response.json() == {"detail": "internal server error (request id order-19)"}
    assert ready.status_code == 200  # the service goes on


def test_sampling_and_rotation_bound_the_log(tmp_path, records):
    path = tmp_path / "predictions.jsonl"
    log = PredictionLog(path, 0.25, 2_000, 2, seed=1)
    for index in range(400):
        log.record(f"r{index}", "1", [records[index % len(records)]], [0.3], ["<=50K"])
    log.close()
    kept = files(path)
    assert [file.name for file in kept] == ["predictions.jsonl.2", "predictions.jsonl.1", "predictions.jsonl"]
    assert all(file.stat().st_size <= 2_000 + 1_000 for file in kept)  # one line past the bound at most
    logged = lines(path)
    ids = [int(line["request_id"][1:]) for line in logged]
    assert ids == sorted(ids), "oldest first"
    assert 0 < len(ids) < 400 * 0.25 * 1.5  # a sample; the oldest rotated away

    nothing = tmp_path / "none.jsonl"
    quiet = PredictionLog(nothing, 0.0, 2_000, 1)
    quiet.record("r", "1", [records[0]], [0.3], ["<=50K"])
    quiet.close()
    assert lines(nothing) == []


def test_a_request_id_that_is_not_sensible_is_replaced():
    assert request_id("abc-1.2_3:4") == "abc-1.2_3:4"
    for bad in (None, "", "x" * 129, "a b", "<script>"):
        assert request_id(bad) != bad


def test_a_log_that_cannot_be_written_is_said_once_and_the_service_answers_on(records, caplog, capsys):
    """A full disk: every write fails. One warning, not logging's traceback for each line; and closing the
    log at shutdown does not fail on what a short write left in its buffer."""
    log = PredictionLog(Path("/dev/full"), 1.0, 0, 0)
    for index, rows in enumerate((1, 20, 1, 20, 1)):  # a short write fails on its flush, a long one at once
        log.record(f"r{index}", "1", records[:rows], [0.3] * rows, ["<=50K"] * rows)
    log.close()

    assert log.file.failures == 5  # one write a request, each failed
    [warning] = [r.getMessage() for r in caplog.records if "prediction log" in r.getMessage()]
    assert warning.startswith("prediction log /dev/full: a write failed (1 so far): ")
    assert "Logging error" not in capsys.readouterr().err
