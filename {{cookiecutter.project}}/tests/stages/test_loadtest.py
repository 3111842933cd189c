"""The load-test gate passes a healthy service and fails a slowed one, one line per missed SLO."""

from __future__ import annotations

import shutil
import time
from typing import Any

import numpy as np
import pytest
import yaml

from {{ cookiecutter.package }}.artefacts import LoadTest
from {{ cookiecutter.package }}.cli import main
from {{ cookiecutter.package }}.config import Paths
from {{ cookiecutter.package }}.serving.app import ServedModel, create_app
from {{ cookiecutter.package }}.serving.backends import Chosen

SLOWDOWN_S = 0.2


@pytest.fixture(scope="module")
def short_loadtest(served_project: Paths, tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """The served project with a 2-second load test. Its latency SLOs leave a healthy service's tail room on
    a busy 2-core runner (a p99 of 220 ms was seen once beside other tests); the slowed service's 200 ms a
    request still misses them."""
    paths = Paths(tmp_path_factory.mktemp("loadtest"))
    shutil.copytree(served_project.root, paths.root, dirs_exist_ok=True)
    params = yaml.safe_load(paths.params.read_text())
    params["loadtest"].update(duration_s=2, users=5, spawn_rate=5)
    params["loadtest"]["slo"].update(p95_ms=150, p99_ms=600)
    paths.params.write_text(yaml.safe_dump(params))
    return paths


class SlowedBackend:
    """The real backend, each call held up first: a service that got slow (the whole event loop waits)."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.name = backend.name

    def positive_probability(self, records: list[dict[str, Any]]) -> np.ndarray:
        time.sleep(SLOWDOWN_S)
        return self.backend.positive_probability(records)


@pytest.fixture
def slowed_service(served: ServedModel, contract, settings, live_app) -> str:
    """The real app with a slowed backend, served on a free port in this process."""
    slowed = ServedModel(served.reference, Chosen(SlowedBackend(served.chosen.backend), None))
    return live_app(create_app(contract, settings.serve, settings.evaluate.threshold, lambda: slowed))


def test_a_healthy_service_passes_and_writes_the_reports(short_loadtest, monkeypatch, capsys):
    monkeypatch.chdir(short_loadtest.root)

    assert main(["loadtest"]) == 0, capsys.readouterr().err

    report = LoadTest.read(short_loadtest.loadtest)
    assert report.passed
    assert report.stats.requests > 0
    assert {check.slo for check in report.checks} == {
        "p95 latency",
        "p99 latency",
        "failure ratio",
        "throughput",
    }
    assert (short_loadtest.loadtest_reports / "locust_stats.csv").is_file()
    assert (short_loadtest.loadtest_reports / "report.html").is_file()
    assert "backend onnx" in (short_loadtest.loadtest_reports / "service.log").read_text()
    # Its thousands of requests are test traffic, not served data: none reached the prediction log.
    logged = yaml.safe_load(short_loadtest.params.read_text())["serve"]["prediction_log"]["path"]
    assert not (short_loadtest.root / logged).exists()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("", "not an http:// or https:// URL"),
        ("localhost:8000", "not an http:// or https:// URL"),
        ("http://127.0.0.1:99999", "not a usable URL (Port out of range 0-65535)"),
        ("http://127.0.0.1:8000/a b", "not a usable URL (URL can't contain control characters."),
    ],
)
def test_a_url_that_names_no_service_is_one_line(short_loadtest, monkeypatch, capsys, url, problem):
    monkeypatch.chdir(short_loadtest.root)
    report = short_loadtest.loadtest
    before = report.read_bytes() if report.exists() else None  # the module's other tests write one
    assert main(["loadtest", "--url", url]) == 2
    said = capsys.readouterr().err
    assert said.startswith(f"error: the service at {url!r}: {problem}")
    assert len(said.splitlines()) == 1
    assert (report.read_bytes() if report.exists() else None) == before


def test_a_slowed_service_fails_the_gate_naming_each_missed_slo(
    short_loadtest, slowed_service, monkeypatch, capsys
):
    monkeypatch.chdir(short_loadtest.root)

    assert main(["loadtest", "--url", slowed_service]) == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("loadtest: ")]
    assert any(
        line.startswith("loadtest: p95 latency ") and line.endswith(" ms > 150 ms") for line in lines
    ), lines
    assert any(line.startswith("loadtest: throughput ") for line in lines), lines
    assert not LoadTest.read(short_loadtest.loadtest).passed
