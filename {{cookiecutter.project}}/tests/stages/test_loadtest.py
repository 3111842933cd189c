"""The load-test gate passes a healthy service and fails a slowed one, one line per missed SLO."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import yaml

from {{ cookiecutter.package }}.config import Paths


@pytest.fixture(scope="module")
def short_loadtest(served_project: Paths, tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """The served project with a 3-second load test."""
    paths = Paths(tmp_path_factory.mktemp("loadtest"))
    shutil.copytree(served_project.root, paths.root, dirs_exist_ok=True)
    params = yaml.safe_load(paths.params.read_text())
    params["loadtest"].update(duration_s=3, users=5, spawn_rate=5)
    paths.params.write_text(yaml.safe_dump(params))
    return paths


def loadtest(paths: Paths, *options: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "{{ cookiecutter.package }}", "loadtest", *options]
    return subprocess.run(command, cwd=paths.root, capture_output=True, text=True, timeout=120)


def test_a_healthy_service_passes_and_writes_the_reports(short_loadtest):
    result = loadtest(short_loadtest)

    assert result.returncode == 0, result.stderr
    report = json.loads(short_loadtest.loadtest_summary.read_text())
    assert report["passed"] is True
    assert {verdict["slo"] for verdict in report["verdicts"]} == {
        "p95 latency",
        "p99 latency",
        "failure ratio",
        "throughput",
    }
    assert (short_loadtest.loadtest / "locust_stats.csv").is_file()
    assert (short_loadtest.loadtest / "report.html").is_file()


def test_a_slowed_service_fails_the_gate_naming_each_missed_slo(short_loadtest):
    result = loadtest(short_loadtest, "--delay-ms", "200")

    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("loadtest: ")]
    assert any(
        line.startswith("loadtest: p95 latency 2") and line.endswith(" ms > 100 ms") for line in lines
    ), lines
    assert json.loads(short_loadtest.loadtest_summary.read_text())["passed"] is False
