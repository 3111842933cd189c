"""The generated project's monitoring/: Prometheus' config and alert rules checked and unit-tested by promtool
(Debian's `prometheus` package), the alerts shown not to be vacuous, and, against the default project's real
service scraped by a real Prometheus on 127.0.0.1, the dashboard's and the alerts' metrics all exported and an
alert going pending on traffic outside the data contract."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from baking import DEFAULTS, golden_record, project_env
from tools import UV, free_port, post, require, stop_group, wait_for

PROJECT = DEFAULTS["project"]
PROMETHEUS = "apt-get install prometheus"
METRIC = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{")
"""A metric name in a PromQL expression (every selector here has a label matcher)."""


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    [tool] = require("promtool", install=PROMETHEUS)
    return subprocess.run([tool, *args], cwd=cwd, capture_output=True, text=True)


@pytest.fixture(scope="module")
def monitoring(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from baking import bake_into

    return bake_into(tmp_path_factory.mktemp("monitoring")) / "monitoring"


def alerts(folder: Path) -> dict[str, str]:
    """Each alert of alerts.yml: its expression."""
    groups = yaml.safe_load((folder / "alerts.yml").read_text())["groups"]
    return {rule["alert"]: rule["expr"] for group in groups for rule in group["rules"]}


def dashboard_expressions(folder: Path) -> list[str]:
    dashboard = json.loads((folder / "grafana" / "dashboard.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_the_prometheus_config_and_its_rules_pass_promtool(monitoring: Path):
    checked = promtool("check", "config", "prometheus.yml", cwd=monitoring)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(alerts(monitoring))} rules found" in checked.stdout


def test_every_alert_is_unit_tested_firing_and_quiet(monitoring: Path):
    tested = promtool("test", "rules", "alerts.test.yml", cwd=monitoring)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    cases = [
        case
        for test in yaml.safe_load((monitoring / "alerts.test.yml").read_text())["tests"]
        for case in test["alert_rule_test"]
    ]
    for alert in alerts(monitoring):
        fires = [case for case in cases if case["alertname"] == alert and case["exp_alerts"]]
        quiet = [case for case in cases if case["alertname"] == alert and not case["exp_alerts"]]
        assert fires, f"{alert}: no test where it fires"
        assert quiet, f"{alert}: no test where it stays quiet"


def test_the_alert_tests_catch_a_broken_threshold(monitoring: Path, tmp_path: Path):
    """Not vacuous: the error-rate alert with a 50% threshold instead of 1% fails its tests."""
    broken = tmp_path / "monitoring"
    shutil.copytree(monitoring, broken)
    rules = (broken / "alerts.yml").read_text()
    assert rules.count("            > 0.01\n") == 2  # the error rate's and the canary's
    (broken / "alerts.yml").write_text(rules.replace("            > 0.01\n", "            > 0.5\n", 1))
    tested = promtool("test", "rules", "alerts.test.yml", cwd=broken)
    assert tested.returncode == 1
    assert "alertname: PredictErrorRate" in tested.stderr


def test_the_dashboards_queries_parse(monitoring: Path, tmp_path: Path):
    """Each panel query, its Grafana variables filled in, checked by promtool as a recording rule."""
    rules = [
        {"record": f"dashboard:query{index}", "expr": expr.replace("$__rate_interval", "5m").replace("$job", PROJECT)}
        for index, expr in enumerate(dashboard_expressions(monitoring))
    ]
    (tmp_path / "queries.yml").write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    checked = promtool("check", "rules", "queries.yml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_alertmanager_example_routes_to_receivers_it_defines(monitoring: Path):
    config = yaml.safe_load((monitoring / "alertmanager.yml").read_text())
    receivers = {receiver["name"] for receiver in config["receivers"]}
    routes = [config["route"], *config["route"].get("routes", [])]
    assert {route["receiver"] for route in routes} <= receivers
    severities = {
        label["severity"] for group in yaml.safe_load((monitoring / "alerts.yml").read_text())["groups"]
        for label in (rule["labels"] for rule in group["rules"])
    }  # fmt: skip
    assert severities == {"page", "ticket"}
    assert 'severity="page"' in config["route"]["routes"][0]["matchers"]


def exported(metrics_text: str) -> set[str]:
    """The sample names a /metrics page declares (a histogram's _bucket, _sum and _count)."""
    names = set()
    for line in metrics_text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"} if kind == "histogram" else {name}
    return names


@contextmanager
def started(command: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None) -> Iterator[None]:
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
    try:
        yield
    finally:
        stop_group(process)


@pytest.mark.slow
@pytest.mark.xdist_group("default-project")
def test_a_real_prometheus_scrapes_the_service_and_an_alert_goes_pending(default_project: Path, tmp_path: Path):
    """The default project's service (its trained model) on a free port, scraped every second by Prometheus
    with the project's alerts.yml: every metric the dashboard and the alerts name is exported, and requests
    outside the data contract make InputContractViolations pending (its `for:` keeps it from firing)."""
    [prometheus] = require("prometheus", install=PROMETHEUS)
    monitoring = default_project / "monitoring"
    service, scraper = free_port(), free_port()
    serve = [UV, "run", "--no-sync", PROJECT, "serve", "--port", str(service)]
    with started(serve, default_project, tmp_path / "service.log", env=project_env()):
        assert wait_for(f"http://127.0.0.1:{service}/ready", 120)[0] == 200, (tmp_path / "service.log").read_text()
        record, _ = golden_record(default_project)
        assert post(f"http://127.0.0.1:{service}/predict", record)[0] == 200
        names = exported(wait_for(f"http://127.0.0.1:{service}/metrics", 10)[1].decode())
        wanted = {name for expr in [*alerts(monitoring).values(), *dashboard_expressions(monitoring)]
                  for name in METRIC.findall(expr)}  # fmt: skip
        assert wanted - {"up"} <= names, f"not exported: {sorted(wanted - {'up'} - names)}"

        config = yaml.safe_load((monitoring / "prometheus.yml").read_text())
        config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
        config["rule_files"] = [str(monitoring / "alerts.yml")]
        config.pop("alerting")
        config["scrape_configs"][0]["static_configs"] = [{"targets": [f"127.0.0.1:{service}"]}]
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        log = tmp_path / "prometheus.log"
        command = [prometheus, f"--config.file={tmp_path / 'prometheus.yml'}",
                   f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{scraper}"]  # fmt: skip
        with started(command, tmp_path, log):
            assert wait_for(f"http://127.0.0.1:{scraper}/-/ready", 60)[0] == 200, log.read_text()
            outside = {**record, "age": 150}  # above the contract's maximum: served, counted as a violation
            deadline, state = time.monotonic() + 60, None
            while time.monotonic() < deadline and state is None:
                for _ in range(20):
                    assert post(f"http://127.0.0.1:{service}/predict", outside)[0] == 200
                found = json.loads(wait_for(f"http://127.0.0.1:{scraper}/api/v1/alerts", 10)[1])["data"]["alerts"]
                named = [alert for alert in found if alert["labels"]["alertname"] == "InputContractViolations"]
                state = named[0] if named else None
                time.sleep(1)
    assert state is not None, log.read_text()[-3000:]
    assert state["state"] == "pending"
    assert state["labels"]["column"] == "age"
    assert state["labels"]["job"] == PROJECT
