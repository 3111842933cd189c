"""Value skew: a batch's distributions against a reference profile, by population stability index.

PSI = sum over bins of (batch% - reference%) * ln(batch% / reference%). It is used here because one
statistic covers numeric columns (binned at the reference's deciles) and categories alike, it does
not turn tiny shifts into failures on large batches the way KS or chi-square p-values do, and its
scale is well established: < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 major shift.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..contract import Contract

EPSILON = 1e-4
"""Floor for empty bins, so a bin seen on one side only adds a large but finite term."""
DECILES = np.linspace(0.1, 0.9, 9)


@dataclass(frozen=True)
class Shift:
    column: str
    statistic: str
    value: float
    limit: float

    @property
    def ok(self) -> bool:
        return self.value <= self.limit

    @property
    def breach(self) -> str:
        """One line: what passed its limit (`age: psi 0.310 > 0.1`)."""
        return f"{self.column}: {self.statistic.replace('_', ' ')} {self.value:.3f} > {self.limit:g}"


def profile(frame: pd.DataFrame, contract: Contract) -> dict:
    """Per column: the missing rate and the distribution (decile bins or category frequencies)."""
    columns = {}
    for name, column in contract.columns.items():
        if column.unique or name not in frame:
            continue
        values = frame[name]
        entry: dict = {"missing": round(float(values.isna().mean()), 6)}
        present = values.dropna()
        if column.is_numeric:
            numbers = pd.to_numeric(present).astype(float)
            edges = np.unique(np.quantile(numbers, DECILES)) if len(numbers) else np.array([])
            entry["edges"] = [float(edge) for edge in edges]
            entry["proportions"] = _bin_proportions(numbers, edges)
        else:
            entry["frequencies"] = {
                str(key): round(float(share), 6)
                for key, share in present.astype(str).value_counts(normalize=True).sort_index().items()
            }
        columns[name] = entry
    return {"rows": len(frame), "columns": columns}


def _bin_proportions(numbers: pd.Series, edges: np.ndarray) -> list[float]:
    """Shares of values in (-inf, e1], (e1, e2], ..., (en, inf)."""
    if len(numbers) == 0:
        return [0.0] * (len(edges) + 1)
    bins = np.searchsorted(edges, numbers.to_numpy(), side="left")
    counts = np.bincount(bins, minlength=len(edges) + 1)
    return [round(float(share), 6) for share in counts / counts.sum()]


def psi(reference: list[float], batch: list[float]) -> float:
    expected = np.maximum(np.asarray(reference, dtype=float), EPSILON)
    actual = np.maximum(np.asarray(batch, dtype=float), EPSILON)
    return round(float(np.sum((actual - expected) * np.log(actual / expected))), 6)


def shifts(
    reference: dict, batch: pd.DataFrame, contract: Contract, psi_max: float, missing_max: float
) -> list[Shift]:
    """PSI of every profiled column, and the rise of its missing rate, against their limits."""
    current = profile(batch, contract)["columns"]
    found = []
    for name, ref in reference["columns"].items():
        if name not in current:
            continue
        now = current[name]
        if "edges" in ref:
            numbers = pd.to_numeric(batch[name].dropna()).astype(float)
            proportions = _bin_proportions(numbers, np.asarray(ref["edges"]))
            found.append(Shift(name, "psi", psi(ref["proportions"], proportions), psi_max))
        else:
            categories = sorted(set(ref["frequencies"]) | set(now["frequencies"]))
            found.append(
                Shift(
                    name,
                    "psi",
                    psi(
                        [ref["frequencies"].get(key, 0.0) for key in categories],
                        [now["frequencies"].get(key, 0.0) for key in categories],
                    ),
                    psi_max,
                )
            )
        rise = round(now["missing"] - ref["missing"], 6)
        found.append(Shift(name, "missing_rate_increase", rise, missing_max))
    return found


@dataclass(frozen=True)
class Retraining:
    """The scheduled run's decision: retrain or not, and every reason for it."""

    retrain: bool
    reasons: tuple[str, ...]


def decide(
    champion: str | None,
    age_days: float | None,
    found: list[Shift],
    max_age_days: float,
    measured: bool = True,
    served: tuple[str, ...] = (),
    data_changed: bool = True,
) -> Retraining:
    """Retrain when there is no champion, when a column drifted, when the champion is older than max_age_days
    or the served data is off (`served`: monitor's problems with it) and the data changed since the champion
    was trained (on the same data a retrain gives the same model back, which compare keeps: then each is a
    note), or when drift could not be measured (`measured` False: no profile of the champion's training
    data)."""
    if champion is None:
        return Retraining(True, ("no champion yet: the first model is trained",))
    if not measured:
        unknown = f"no profile of champion version {champion}'s training data: drift not measured"
        return Retraining(True, (unknown,))
    drifted = [shift for shift in found if not shift.ok]
    reasons = [shift.breach for shift in drifted]
    if data_changed:
        reasons += [f"served data: {problem}" for problem in served]
    stale = age_days is not None and age_days > max_age_days
    if stale and data_changed:
        reasons.append(f"champion version {champion} is {age_days:.1f} days old (max {max_age_days:g})")
    if reasons:
        return Retraining(True, tuple(reasons))
    psis = [shift for shift in found if shift.statistic == "psi"]
    largest = max(psis, key=lambda shift: shift.value, default=None)
    calm = (
        f"no column drifted: largest PSI {largest.column} {largest.value:.3f} <= {largest.limit:g}"
        if largest
        else "no column drifted"
    )
    age = f"{age_days:.1f} days old" if age_days is not None else "of unknown age"
    notes = (calm, f"champion version {champion} is {age} (max {max_age_days:g})")
    same_data = (
        f"the data is what version {champion} was trained on: refresh the training data (drift.refresh)"
    )
    if stale:  # and the data did not change
        notes += (f"version {champion} is past max_age_days, but {same_data}",)
    if served:  # and the data did not change
        notes += (f"served data is off ({served[0]}), but {same_data}",)
    return Retraining(False, notes)
