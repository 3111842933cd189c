"""The alert rules in monitoring/alerts.yml use the limits in params.yaml: change one, this test says which
alert to change with it (Prometheus cannot read params.yaml)."""

import re

import pytest
import yaml

from {{ cookiecutter.package }}.config import Paths
from {{ cookiecutter.package }}.settings import Settings


def threshold(expressions: dict[str, str], alert: str, pattern: str) -> float:
    found = re.search(pattern, expressions[alert])
    assert found, f"{alert}: no threshold matching {pattern!r} in {expressions[alert]!r}"
    return float(found[1])


@pytest.fixture(scope="module")
def expressions(shipped: Paths) -> dict[str, str]:
    groups = yaml.safe_load((shipped.root / "monitoring" / "alerts.yml").read_text())["groups"]
    return {rule["alert"]: " ".join(rule["expr"].split()) for group in groups for rule in group["rules"]}


def test_alert_thresholds_follow_params_yaml(expressions: dict[str, str], settings: Settings):
    slo, canary = settings.loadtest.slo, settings.deploy.canary
    assert threshold(expressions, "PredictLatencySLO", r"\)\) > ([\d.]+)$") == slo.p99_ms / 1000
    assert threshold(expressions, "PredictErrorRate", r"> ([\d.]+)$") == slo.max_failure_ratio
    assert (
        threshold(expressions, "PredictionShift", r"\) > ([\d.]+)$") == settings.monitor.prediction_shift_max
    )
    days = threshold(expressions, "ModelStale", r"> ([\d.]+) \* 86400$")
    assert days == settings.drift.max_age_days
    assert threshold(expressions, "CanaryErrors", r"> ([\d.]+)$") == canary.max_error_ratio
    assert (
        threshold(expressions, "CanarySlowerThanStable", r"\( ([\d.]+) \* max by")
        == canary.max_latency_factor
    )
    # The positive share it compares with is the serving model's own on its training rows, not a number.
    baseline = "- on (job, version, label) max by (job, version, label) (model_predicted_positive_share{"
    assert baseline in expressions["PredictionShift"]
