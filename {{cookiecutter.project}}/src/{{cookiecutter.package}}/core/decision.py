"""Whether the challenger replaces the champion: rules from params.yaml applied to measured numbers.

promote: better than the champion by the rules; keep: not (a normal outcome, nothing changes);
first: no champion yet and the challenger clears the absolute floors. Every decision carries its
reasons, one line each, for the report a reviewer reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .compare import Delta

Outcome = Literal["promote", "keep", "first"]
PROMOTING: frozenset[str] = frozenset({"promote", "first"})


@dataclass(frozen=True)
class Rules:
    primary: str
    rule: Literal["improve", "non_inferior"]
    min_delta: float
    margin: float
    max_slice_drop: float
    max_latency_factor: float
    primary_floor: float
    slice_floor: float


@dataclass(frozen=True)
class Evidence:
    """What the decision looks at; champion-side fields are None when there is no champion."""

    challenger_primary: float
    challenger_slices: dict[str, float]
    overall: Delta | None = None
    slices: dict[str, Delta] = field(default_factory=dict)
    latency_factor: float | None = None
    same_version: bool = False


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reasons: tuple[str, ...]

    @property
    def promotes(self) -> bool:
        return self.outcome in PROMOTING


def _signed(value: float) -> str:
    return f"{value:+.4f}"


def _interval(delta: Delta) -> str:
    return f"{_signed(delta.delta)} (interval {_signed(delta.low)} to {_signed(delta.high)})"


def floor_failures(evidence: Evidence, rules: Rules) -> list[str]:
    """The absolute quality floors every challenger must clear, champion or not."""
    failures = []
    if not evidence.challenger_primary >= rules.primary_floor:
        failures.append(
            f"{rules.primary} {evidence.challenger_primary:.4f} is below the floor {rules.primary_floor}"
        )
    for segment, value in evidence.challenger_slices.items():
        if not value >= rules.slice_floor:
            failures.append(
                f"slice {segment}: {rules.primary} {value:.4f} is below the floor {rules.slice_floor}"
            )
    return failures


def primary_verdict(delta: Delta, rules: Rules) -> tuple[bool, str]:
    """Whether the primary metric moved enough, judged on its point delta and its interval."""
    name = rules.primary
    if rules.rule == "improve":
        ok = delta.gain >= rules.min_delta and delta.gain_low > 0
        wanted = f"an improvement of at least {rules.min_delta} with an interval above 0"
    else:
        ok = delta.gain_low >= -rules.margin
        wanted = f"no loss beyond the non-inferiority margin {rules.margin}"
    verb = "meets" if ok else "misses"
    return ok, f"{name} {_interval(delta)} {verb} the rule: {wanted}"


def decide(evidence: Evidence, rules: Rules) -> Decision:
    floors = floor_failures(evidence, rules)
    if evidence.overall is None:
        if floors:
            return Decision("keep", ("no champion yet, and the challenger cannot be the first:", *floors))
        value = f"{rules.primary} {evidence.challenger_primary:.4f}"
        return Decision("first", (f"no champion yet; the challenger clears the floors ({value})",))
    if evidence.same_version:
        return Decision("keep", ("the challenger is already the champion (same registered version)",))

    ok, primary_reason = primary_verdict(evidence.overall, rules)
    failures = [] if ok else [primary_reason]
    for segment, delta in evidence.slices.items():
        if delta.gain < -rules.max_slice_drop:
            failures.append(
                f"slice {segment}: {rules.primary} {_interval(delta)} drops more than {rules.max_slice_drop}"
            )
    if evidence.latency_factor is not None and evidence.latency_factor > rules.max_latency_factor:
        failures.append(
            f"latency per row is {evidence.latency_factor:.2f}x the champion's, "
            f"above the limit {rules.max_latency_factor}x"
        )
    failures += floors
    if failures:
        return Decision("keep", tuple(failures))
    return Decision("promote", (primary_reason, "no slice drops and latency within limits"))
