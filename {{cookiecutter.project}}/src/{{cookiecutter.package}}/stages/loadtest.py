"""loadtest: locust against the service with the trained model; fails when an SLO (params.yaml) is missed.

Writes locust's CSV stats and HTML report to reports/loadtest/ and the verdict to reports/loadtest.json.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from ..config import Paths
from ..contract import load_contract
from ..core import slo
from ..core.payloads import sample_records
from ..core.request_schema import request_columns
from ..errors import StageError, UserError
from ..io.datasets import read_split
from ..io.files import write_json
from ..serving import process
from ..settings import LoadtestSettings, load_settings
from .tools import environment

LOCUSTFILE = Path(__file__).resolve().parents[1] / "serving" / "locustfile.py"
"""Not imported here: importing locust monkey-patches the standard library (gevent)."""
LOCUST_PREFIX = "locust"
"""locust writes <prefix>_stats.csv, _stats_history.csv, _failures.csv and _exceptions.csv."""


def run(paths: Paths, delay_ms: float = 0) -> None:
    if importlib.util.find_spec("locust") is None:
        raise UserError("locust is not installed in this environment; run `uv sync` (it is a dev dependency)")
    if not (paths.model / "MLmodel").is_file():
        raise UserError(f"{paths.model}: no trained model; run `repro` first")
    settings = load_settings(paths.params)
    contract = load_contract(paths.contract)
    config = settings.loadtest
    records = sample_records(
        read_split(paths.test_split), request_columns(contract), config.payload_rows, seed=0
    )
    paths.loadtest.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as tmp:
        payloads = Path(tmp) / "payloads.json"
        payloads.write_text(json.dumps(records), encoding="utf-8")
        model = paths.model.relative_to(paths.root).as_posix()
        log = paths.loadtest / "service.log"
        with process.running_service(paths.root, model, config.startup_timeout_s, delay_ms, log) as url:
            run_locust(url, payloads, paths.loadtest, config)

    stats = read_stats(paths.loadtest / f"{LOCUST_PREFIX}_stats.csv")
    results = slo.verdicts(stats, config.slo)
    write_json(paths.loadtest_summary, slo.report(stats, config.slo, results))
    print(
        f"loadtest: {stats.requests} requests, {stats.rps:.0f} RPS, p50 {stats.p50_ms:.0f} ms, "
        f"p95 {stats.p95_ms:.0f} ms, p99 {stats.p99_ms:.0f} ms, failure ratio {stats.failure_ratio:.4f}"
    )
    failed = [verdict for verdict in results if not verdict.passed]
    for verdict in failed:
        print(f"loadtest: {verdict.message}", file=sys.stderr)
    if failed:
        raise StageError(1)


def run_locust(url: str, payloads: Path, reports: Path, config: LoadtestSettings) -> None:
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", url,
        "--users", str(config.users), "--spawn-rate", str(config.spawn_rate),
        "--run-time", f"{config.duration_s}s",
        "--stop-timeout", "5", "--csv", str(reports / LOCUST_PREFIX), "--html", str(reports / "report.html"),
        "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    env = {**environment(), "LOADTEST_PAYLOADS": str(payloads)}
    try:
        # locust exits 1 when any request failed; the SLOs judge that, so its exit code is not used.
        subprocess.run(
            command, env=env, timeout=config.duration_s + 60, check=False, stdout=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise UserError(f"locust did not finish within {config.duration_s + 60} s") from None


def read_stats(path: Path) -> slo.LoadStats:
    """The Aggregated row of locust's stats CSV."""
    if not path.is_file():
        raise UserError(f"{path}: locust wrote no statistics; see its output above")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    total = rows.get("Aggregated")
    if total is None:
        raise UserError(f"{path}: no Aggregated row")
    return slo.LoadStats(
        requests=int(total["Request Count"]),
        failures=int(total["Failure Count"]),
        rps=float(total["Requests/s"]),
        p50_ms=_number(total["50%"]),
        p95_ms=_number(total["95%"]),
        p99_ms=_number(total["99%"]),
    )


def _number(text: str) -> float:
    return float(text) if text not in ("", "N/A") else 0.0
