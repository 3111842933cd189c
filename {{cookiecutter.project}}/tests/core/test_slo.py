"""SLO checks: pass within the limits, one message per missed SLO, and no requests fail them all."""

from __future__ import annotations

from {{ cookiecutter.package }}.artefacts import LoadTest
from {{ cookiecutter.package }}.core.slo import LoadStats, check_slos
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
