"""Whether a canary replaces the stable model: the two versions' figures, read from the service's
metrics, against the limits in params.yaml (deploy.canary)."""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import CanarySettings


@dataclass(frozen=True)
class VersionFigures:
    """What one model version did during the canary window."""

    version: str
    requests: int
    errors: int
    seconds: float
    """Time spent predicting, summed over its requests."""

    @property
    def error_ratio(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    @property
    def mean_ms(self) -> float:
        return 1000 * self.seconds / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class CanaryVerdict:
    promote: bool
    reasons: tuple[str, ...]


def judge(canary: VersionFigures, stable: VersionFigures, limits: CanarySettings) -> CanaryVerdict:
    """Promote when the canary answered enough requests, few enough of them failed, and it was not slow."""
    failures = []
    if canary.requests < limits.requests:
        failures.append(
            f"the canary answered {canary.requests} requests, fewer than the {limits.requests} "
            "it needs to be judged (deploy.canary.requests)"
        )
    if canary.error_ratio > limits.max_error_ratio:
        failures.append(
            f"canary version {canary.version} failed {canary.error_ratio:.2%} of its requests, "
            f"above {limits.max_error_ratio:.2%} (deploy.canary.max_error_ratio)"
        )
    if stable.requests and canary.requests and canary.mean_ms > limits.max_latency_factor * stable.mean_ms:
        failures.append(
            f"canary version {canary.version} took {canary.mean_ms:.2f} ms a request, more than "
            f"{limits.max_latency_factor:g} x the stable model's {stable.mean_ms:.2f} ms "
            "(deploy.canary.max_latency_factor)"
        )
    if failures:
        return CanaryVerdict(False, tuple(failures))
    return CanaryVerdict(
        True,
        (
            f"canary version {canary.version}: {canary.requests} requests, {canary.error_ratio:.2%} failed, "
            f"{canary.mean_ms:.2f} ms a request (stable: {stable.mean_ms:.2f} ms)",
        ),
    )
