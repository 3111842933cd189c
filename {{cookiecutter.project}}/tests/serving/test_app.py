"""The service against the real model: predictions, every kind of bad request, health, metrics."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package }}.contract import Contract
from {{ cookiecutter.package }}.serving.app import ServedModel, create_app
from {{ cookiecutter.package }}.serving.backends import Chosen

LABELS = ("<=50K", ">50K")


def metric(client, line_start: str) -> float:
    """The value of the first /metrics sample whose line starts with line_start (0 when absent)."""
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def series(family: str, /, **labels: str) -> str:
    """A sample's name and labels as /metrics writes them (prometheus_client sorts the labels)."""
    return family + "{" + ",".join(f'{key}="{value}"' for key, value in sorted(labels.items())) + "}"


def test_predicts_one_record_with_label_probabilities_and_model(client, records, contract: Contract):
    response = client.post("/predict", json=records[0])

    assert response.status_code == 200
    body = response.json()
    assert body["model"] == {"name": "{{ cookiecutter.project }}", "version": "local"}
    (prediction,) = body["predictions"]
    labels = {contract.label.negative, contract.label.positive}
    assert prediction["label"] in labels
    assert set(prediction["probabilities"]) == labels
    assert sum(prediction["probabilities"].values()) == pytest.approx(1.0)


def test_predicts_a_batch_in_order(client, records):
    singles = [client.post("/predict", json=record).json()["predictions"][0] for record in records[:5]]

    batch = client.post("/predict", json={"records": records[:5]})

    assert batch.status_code == 200
    assert [p["label"] for p in batch.json()["predictions"]] == [p["label"] for p in singles]


def test_accepts_null_where_the_contract_allows_missing_values(client, records):
    assert (
        client.post("/predict", json={**records[0], "workclass": None, "occupation": ""}).status_code == 200
    )


def test_accepts_and_counts_an_unseen_category(client, records):
    response = client.post("/predict", json={"records": [{**records[0], "native_country": "Atlantis"}] * 3})

    assert response.status_code == 200
    assert response.json()["warnings"] == [
        f"records[{index}].native_country: 'Atlantis' is not one of the contract's categories"
        for index in range(3)
    ]
    assert metric(client, 'contract_violations_total{column="native_country",rule="unseen_category"}') == 3


@pytest.mark.parametrize(
    ("age", "rule", "warning"),
    [
        (-5, "below_min", "age: -5 is below the contract's minimum 17"),
        (2**64 - 1, "above_max", f"age: {2**64 - 1} is above the contract's maximum 90"),
    ],
    ids=["negative", "huge"],
)
def test_serves_an_out_of_contract_number_and_says_so(client, records, age, rule, warning):
    response = client.post("/predict", json={**records[0], "age": age})

    assert response.status_code == 200
    assert response.json()["predictions"][0]["label"]
    assert response.json()["warnings"] == [warning]
    assert metric(client, 'contract_violations_total{column="age",rule="' + rule + '"}') == 1


def bad_requests(record: dict[str, Any]) -> list[tuple[str, Any, int, str]]:
    missing = {key: value for key, value in record.items() if key != "age"}
    return [
        ("malformed JSON", b'{"age": 39,', 400, "malformed JSON"),
        ("NaN", b'{"records": [{"age": NaN}]}', 400, "malformed JSON"),
        ("Infinity", b'{"age": Infinity}', 400, "malformed JSON"),
        ("missing field", missing, 422, "age: Field required"),
        ("extra field", {**record, "salary": 1}, 422, "salary: Extra inputs are not permitted"),
        ("the label", {**record, "income": ">50K"}, 422, "income: Extra inputs are not permitted"),
        ("text for a number", {**record, "age": "39"}, 422, "age: Input should be a valid integer"),
        ("fraction for an integer", {**record, "age": 39.5}, 422, "age: Input should be a valid integer"),
        ("bool for a number", {**record, "age": True}, 422, "age: Input should be a valid integer"),
        ("number for a category", {**record, "sex": 1}, 422, "sex: Input should be a valid string"),
        ("null where not allowed", {**record, "sex": None}, 422, "sex: Input should be a valid string"),
        ("empty where not allowed", {**record, "sex": ""}, 422, "sex: String should have at least 1"),
        ("bad record in a batch", {"records": [record, {**record, "age": "x"}]}, 422, "records[1].age"),
        ("empty batch", {"records": []}, 422, "records: List should have at least 1 item"),
        ("records not a list", {"records": {}}, 422, "records: Input should be a valid list"),
        ("a list body", [record], 422, "body: expected a JSON object"),
        ("batch over the limit", {"records": [record] * 101}, 413, "records: 101 records, more than 100"),
        (
            "body over the limit",
            {"records": [{**record, "sex": "x" * 70_000}]},
            413,
            "larger than 65536 bytes",
        ),
    ]


@pytest.mark.parametrize("case", range(18))
def test_a_bad_request_is_a_4xx_naming_the_problem_and_the_service_keeps_serving(client, records, case):
    name, body, status, message = bad_requests(records[0])[case]
    sent = {"content": body} if isinstance(body, bytes) else {"json": body}

    response = client.post("/predict", headers={"Content-Type": "application/json"}, **sent)

    assert response.status_code == status, name
    assert message in response.json()["detail"], name
    assert metric(client, "input_validation_failures_total{") >= 1
    assert client.post("/predict", json=records[0]).status_code == 200


def test_refuses_a_declared_oversized_body_without_reading_it(client):
    response = client.post(
        "/predict", content=b"{}", headers={"Content-Type": "application/json", "Content-Length": "9999999"}
    )
    assert response.status_code == 413


def test_health_and_ready_report_model_and_backend(client):
    for route in ("/health", "/ready"):
        body = client.get(route).json()
        assert body["ready"] is True
        assert body["model"] == {"name": "{{ cookiecutter.project }}", "version": "local", "alias": None}
        assert body["backend"] == "onnx"
        assert body["fallback_reason"] is None


def test_not_ready_until_the_model_is_loaded(contract: Contract, settings, served):
    loaded = threading.Event()

    def slow_loader():
        loaded.wait(timeout=10)
        return served

    app = create_app(contract, settings.serve, settings.evaluate.threshold, slow_loader)
    with TestClient(app) as client:
        assert client.get("/health").json()["ready"] is False
        assert client.get("/ready").status_code == 503
        assert client.post("/predict", json={}).status_code == 503
        loaded.set()
        deadline = time.monotonic() + 10
        while client.get("/ready").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.01)


def test_a_model_that_fails_to_load_is_reported_not_ready(contract: Contract, settings):
    def broken_loader():
        raise OSError("disk on fire")

    app = create_app(contract, settings.serve, settings.evaluate.threshold, broken_loader)
    with TestClient(app) as client:
        deadline = time.monotonic() + 10
        while client.get("/ready").json()["status"] == "loading":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        response = client.get("/ready")
        assert response.status_code == 503
        assert response.json()["error"] == "OSError: disk on fire"
        # Liveness fails too: a supervisor or Kubernetes restarts the service (serve itself exits, code 3).
        assert client.get("/health").status_code == 503


def test_metrics_count_requests_latency_and_predicted_classes_by_version(client, records, served):
    client.post("/predict", json={"records": records[:10]})
    client.post("/predict", json={"records": []})

    assert metric(client, 'http_requests_total{route="/predict",status="200"}') == 1
    assert metric(client, 'http_request_errors_total{route="/predict",status="422"}') == 1
    assert metric(client, 'http_request_duration_seconds_count{route="/predict"}') == 2
    predicted = {label: series("predictions_total", label=label, version=served.version) for label in LABELS}
    assert sum(metric(client, name) for name in predicted.values()) == 10
    assert metric(client, 'input_validation_failures_total{reason="empty_batch"}') == 1


def test_metrics_name_the_serving_model_when_it_was_trained_and_its_positive_share(
    client, served: ServedModel, contract: Contract
):
    name, version = served.reference.name, served.version
    assert metric(client, series("model_info", role="stable", name=name, version=version)) == 1
    trained = metric(client, series("model_trained_timestamp_seconds", role="stable", version=version))
    assert served.trained_at is not None
    assert trained == served.trained_at
    assert time.time() - 7 * 24 * 3600 < trained <= time.time()  # trained by this test run's fixtures
    # The PredictionShift alert's baseline: the model's own positive share on its training rows.
    labels = {"role": "stable", "version": version, "label": contract.label.positive}
    share = metric(client, series("model_predicted_positive_share", **labels))
    assert served.positive_share is not None
    assert share == served.positive_share
    assert 0 < share < 1


class NonFiniteBackend:
    """A backend whose model answers NaN for every record (a numerically broken model)."""

    name = "nan"

    def positive_probability(self, records: list[dict[str, Any]]) -> np.ndarray:
        return np.full(len(records), np.nan)


def test_a_non_finite_probability_is_a_500_counted_for_its_model_version(make_client, served, records):
    broken = ServedModel(served.reference, Chosen(NonFiniteBackend(), None), served.trained_at)
    client = make_client(lambda: broken)

    response = client.post("/predict", json=records[0])

    assert response.status_code == 500
    assert response.json()["detail"] == "the model gave a non-finite probability"
    assert metric(client, series("prediction_non_finite_total", version=served.version)) == 1
    assert metric(client, series("model_requests_total", version=served.version, outcome="error")) == 1
    assert metric(client, "predictions_total") == 0


def test_documents_the_request_schema_from_the_contract(client, contract: Contract):
    schema = client.get("/openapi.json").json()
    record = schema["components"]["schemas"]["Record"]

    assert set(record["properties"]) == set(contract.columns) - {contract.label.column}
    assert record["additionalProperties"] is False
    assert client.get("/docs").status_code == 200
