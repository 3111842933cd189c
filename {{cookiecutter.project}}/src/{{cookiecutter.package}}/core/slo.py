"""The load-test gate: measured service figures against the SLOs in params.yaml."""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import SloSettings


@dataclass(frozen=True)
class LoadStats:
    """What one load test measured, over every request it sent."""

    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def failure_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 1.0


def load_stats(entries: list[dict]) -> LoadStats:
    """Every request of locust's final statistics (its --json-file: one entry per endpoint, response times
    as {milliseconds, rounded: count}) as one LoadStats; percentiles as locust computes them."""
    requests = sum(int(entry["num_requests"]) for entry in entries)
    failures = sum(int(entry["num_failures"]) for entry in entries)
    times: dict[float, int] = {}
    for entry in entries:
        for milliseconds, count in entry["response_times"].items():
            times[float(milliseconds)] = times.get(float(milliseconds), 0) + int(count)
    starts = [float(entry["start_time"]) for entry in entries]
    ends = [float(entry["last_request_timestamp"] or entry["start_time"]) for entry in entries]
    seconds = max(ends, default=0.0) - min(starts, default=0.0)

    def percentile(share: float) -> float:
        """The smallest response time that `share` of the requests did not exceed (0 without requests)."""
        wanted, seen = share * sum(times.values()), 0
        for milliseconds in sorted(times):
            seen += times[milliseconds]
            if seen >= wanted:
                return milliseconds
        return 0.0

    return LoadStats(
        requests=requests,
        failures=failures,
        rps=requests / seconds if seconds > 0 else 0.0,
        p50_ms=percentile(0.50),
        p95_ms=percentile(0.95),
        p99_ms=percentile(0.99),
    )


@dataclass(frozen=True)
class SloCheck:
    """One SLO against what was measured; message says how it was missed."""

    slo: str
    measured: float
    limit: float
    passed: bool
    message: str


def check_slos(stats: LoadStats, slo: SloSettings) -> list[SloCheck]:
    """One check per SLO; a load test that sent no request fails every one."""

    def upper(name: str, measured: float, limit: float, unit: str) -> SloCheck:
        passed = stats.requests > 0 and measured <= limit
        return SloCheck(name, measured, limit, passed, f"{name} {measured:g}{unit} > {limit:g}{unit}")

    ratio = round(stats.failure_ratio, 4)
    rps = round(stats.rps, 1)
    return [
        upper("p95 latency", round(stats.p95_ms), slo.p95_ms, " ms"),
        upper("p99 latency", round(stats.p99_ms), slo.p99_ms, " ms"),
        upper("failure ratio", ratio, slo.max_failure_ratio, ""),
        SloCheck(
            "throughput",
            rps,
            slo.min_rps,
            stats.requests > 0 and rps >= slo.min_rps,
            f"throughput {rps:g} RPS < {slo.min_rps:g} RPS",
        ),
    ]
