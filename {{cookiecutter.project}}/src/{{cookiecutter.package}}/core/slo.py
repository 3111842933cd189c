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
