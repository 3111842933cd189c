"""SLO checks: pass within the limits, one message per missed SLO, and no requests fail them all."""

from __future__ import annotations

from {{ cookiecutter.package }}.artefacts import LoadTest
from {{ cookiecutter.package }}.core.slo import LoadStats, check_slos, load_stats
from {{ cookiecutter.package }}.settings import SloSettings

SLO = SloSettings(p95_ms=50, p99_ms=100, max_failure_ratio=0.01, min_rps=100)


def test_a_fast_reliable_service_passes_every_slo():
    stats = LoadStats(requests=10_000, failures=0, rps=1000, p50_ms=3, p95_ms=8, p99_ms=12)
    checks = check_slos(stats, SLO)
    assert all(check.passed for check in checks)
    assert LoadTest(stats=stats, slo=SLO, checks=tuple(checks)).passed


def test_each_missed_slo_has_its_own_message():
    stats = LoadStats(requests=400, failures=40, rps=40, p50_ms=200, p95_ms=212, p99_ms=230)
    failed = [check.message for check in check_slos(stats, SLO) if not check.passed]
    assert failed == [
        "p95 latency 212 ms > 50 ms",
        "p99 latency 230 ms > 100 ms",
        "failure ratio 0.1 > 0.01",
        "throughput 40 RPS < 100 RPS",
    ]


def test_a_load_test_without_requests_fails():
    stats = LoadStats(requests=0, failures=0, rps=0, p50_ms=0, p95_ms=0, p99_ms=0)
    assert not any(check.passed for check in check_slos(stats, SLO))


def test_locusts_final_statistics_become_one_load_stats():
    """Two endpoints of locust's --json-file, merged; percentiles over every request's response time."""
    entries = [
        {"name": "/predict", "method": "POST", "num_requests": 90, "num_failures": 1, "start_time": 100.0,
         "last_request_timestamp": 104.0, "response_times": {"5": 50, "10": 35, "40": 5}},
        {"name": "/health", "method": "GET", "num_requests": 10, "num_failures": 0, "start_time": 101.0,
         "last_request_timestamp": 105.0, "response_times": {"2": 9, "200": 1}},
    ]  # fmt: skip
    stats = load_stats(entries)
    assert (stats.requests, stats.failures, stats.rps) == (100, 1, 20.0)
    assert (stats.p50_ms, stats.p95_ms, stats.p99_ms) == (5.0, 40.0, 40.0)
    assert load_stats([]) == LoadStats(requests=0, failures=0, rps=0.0, p50_ms=0.0, p95_ms=0.0, p99_ms=0.0)
