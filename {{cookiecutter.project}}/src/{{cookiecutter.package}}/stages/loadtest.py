"""loadtest: locust against the service; fails when an SLO (params.yaml) is missed.

By default it starts the service with the trained model on a free local port and stops it afterwards;
with --url it load-tests a service that is already running (a staging deployment, say). Writes
locust's CSV stats and HTML report to reports/loadtest/ and the figures to reports/loadtest.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from ..artefacts import LoadTest
from ..config import Paths
from ..core.payloads import sample_records
from ..core.slo import LoadStats, check_slos, load_stats
from ..errors import StageError, UserError
from ..io.datasets import read_split
from ..io.model_files import require_trained
from ..io.tools import environment
from ..serving import process
from ..settings import LoadtestSettings, load_checked

READS = ("repro",)
LOCUSTFILE = Path(__file__).resolve().parents[1] / "serving" / "locustfile.py"
"""Not imported here: importing locust monkey-patches the standard library (gevent)."""
LOCUST_PREFIX = "locust"
"""locust writes <prefix>_stats.csv, _stats_history.csv, _failures.csv and _exceptions.csv (every second,
while it runs: the last write can miss the end of the run) and <prefix>.json (once, after it stopped: the
figures the gate reads)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="load-test the service at this URL instead of starting one")


def outputs(paths: Paths) -> list[Path]:
    return [paths.loadtest_reports, paths.loadtest]


def run(paths: Paths, url: str | None = None) -> None:
    if importlib.util.find_spec("locust") is None:
        raise UserError("locust is not installed in this environment; run `uv sync` (it is a dev dependency)")
    settings, contract = load_checked(paths)
    config = settings.loadtest
    if url is None:
        require_trained(paths)

    target_service = service(paths, config, url)  # checked before anything is written
    records = sample_records(
        read_split(paths.test_split), contract.input_columns(), config.payload_rows, seed=0
    )
    paths.loadtest_reports.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, target_service as target:
        payloads = Path(tmp) / "payloads.json"
        payloads.write_text(json.dumps(records), encoding="utf-8")
        run_locust(target, payloads, paths.loadtest_reports, config)

    stats = read_stats(paths.loadtest_reports / f"{LOCUST_PREFIX}.json")
    result = LoadTest(stats=stats, slo=config.slo, checks=tuple(check_slos(stats, config.slo)))
    result.write(paths.loadtest)
    print(
        f"loadtest: {stats.requests} requests, {stats.rps:.0f} RPS, p50 {stats.p50_ms:.0f} ms, "
        f"p95 {stats.p95_ms:.0f} ms, p99 {stats.p99_ms:.0f} ms, failure ratio {stats.failure_ratio:.4f}"
    )
    missed = [check for check in result.checks if not check.passed]
    for check in missed:
        print(f"loadtest: {check.message}", file=sys.stderr)
    if missed:
        raise StageError(1)


def service(paths: Paths, config: LoadtestSettings, url: str | None) -> AbstractContextManager[str]:
    """The service to load-test: the one at url, or `serve` with the trained model (stopped after)."""
    if url is not None:
        process.check_ready(url.rstrip("/"))
        return nullcontext(url.rstrip("/"))
    model = paths.shown(paths.model)
    return process.running_service(
        paths.root, model, config.startup_timeout_s, paths.loadtest_reports / "service.log"
    )


def run_locust(url: str, payloads: Path, reports: Path, config: LoadtestSettings) -> None:
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", url,
        "--users", str(config.users), "--spawn-rate", str(config.spawn_rate),
        "--run-time", f"{config.duration_s}s",
        "--stop-timeout", "5", "--csv", str(reports / LOCUST_PREFIX), "--html", str(reports / "report.html"),
        "--json-file", str(reports / LOCUST_PREFIX), "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    env = {**environment(), "LOADTEST_PAYLOADS": str(payloads)}
    (reports / f"{LOCUST_PREFIX}.json").unlink(missing_ok=True)  # never the figures of an earlier run
    try:
        # locust exits 1 when any request failed; the SLOs judge that, so its exit code is not used.
        subprocess.run(
            command, env=env, timeout=config.duration_s + 60, check=False, stdout=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise UserError(f"locust did not finish within {config.duration_s + 60} s") from None


def read_stats(path: Path) -> LoadStats:
    """locust's final statistics (--json-file), every endpoint together."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: locust wrote no statistics; see its output above") from None
    except (OSError, ValueError) as error:
        raise UserError(f"{path}: locust's statistics cannot be read ({error})") from None
    return load_stats(entries)
