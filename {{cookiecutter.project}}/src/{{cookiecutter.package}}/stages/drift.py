"""drift: the scheduled run's first stage: refresh the data, check it, and decide whether to retrain.

The data is refreshed (params.yaml drift.refresh, else `dvc update` of imported data and `dvc pull`),
validated as a push's validate does, and compared column by column (PSI and missing rates, as `validate` does)
with the profile of the data the champion was trained on, which its MLflow run logged. Retraining is
needed when a column drifted past the limits in params.yaml (drift:), when the champion is older than
drift.max_age_days or what the deployed local service served with the champion is off (`monitor` on its
prediction log, when there is one), each only when the data changed (retraining on the same data would give
the same model), or when there is no champion yet; reports/drift.json says which and why. When it is
needed, DVC-tracked data is pushed to the DVC remote, and data/reference.json becomes the new data's profile,
the reference of the model trained next.
Exit 0 either way ("no retraining needed" is a normal outcome); 1 when the new data fails validate's checks
(the contract, value skew against data/reference.json): what stops a push stops an unattended retrain.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..artefacts import DriftCheck, Monitoring
from ..config import Paths
from ..contract import Contract
from ..core.drift import decide, profile, shifts
from ..errors import UserError
from ..io import mlflow_store, registry, remote
from ..io.datasets import read_raw
from ..io.files import write_json
from ..io.versions import data_version
from ..settings import Settings, load_checked
from . import monitor, validate

READS: tuple[str, ...] = ()
DAY = 86_400


def outputs(paths: Paths) -> list[Path]:
    return [paths.drift, paths.validation, paths.reference]


def run(paths: Paths) -> DriftCheck:
    settings, contract = load_checked(paths)
    limits = settings.drift
    paths.drift.unlink(missing_ok=True)  # a failed check leaves no earlier decision behind
    if not mlflow_store.exists(paths):
        # An evicted CI cache or a missing MLFLOW_TRACKING_URI: never train and deploy a "first" model then.
        raise UserError(
            f"no MLflow store at {mlflow_store.where(paths)}: the scheduled run needs the champion's store "
            "(the CI cache the default branch saved, or MLFLOW_TRACKING_URI); nothing was retrained"
        )
    refreshed = remote.refresh(paths, limits.refresh)
    print(f"drift: {refreshed}")
    # As a push's validate: the contract, and value skew against data/reference.json. Data a push would not
    # let through is not retrained on unattended (a corrupted export looks like drift, and the new model would
    # be compared on that same data).
    validate.check(paths)
    frame = read_raw(paths.raw_data, contract)

    champion, reference, source = registry.champion_reference(paths)
    found = []
    served = None
    if reference is not None:
        found = shifts(reference, frame, contract, limits.psi_max, limits.missing_increase_max)
        served = served_data(paths, settings, contract, reference, source or "", champion.version)
    age = (time.time() - champion.created) / DAY if champion and champion.created else None
    version = champion.version if champion else None
    decision = decide(
        version,
        age,
        found,
        limits.max_age_days,
        measured=reference is not None,
        served=served.problems if served else (),
        data_changed=champion is None or champion.tags.get("data_version") != data_version(paths.raw_data),
    )

    check = DriftCheck(
        retrain=decision.retrain,
        reasons=decision.reasons,
        data=paths.shown(paths.raw_data),
        rows=len(frame),
        refreshed=refreshed,
        champion=champion.version if champion else None,
        champion_age_days=round(age, 3) if age is not None else None,
        reference=source,
        shifts=tuple(found),
        served=served,
    )
    if decision.retrain:
        # The data the next model is trained on goes to the DVC remote: its data version can be pulled later.
        print(f"drift: {remote.push(paths)}")
        write_json(paths.reference, {"data": paths.raw_data.name, **profile(frame, contract)})
    check.write(paths.drift)
    verdict = "retraining needed" if decision.retrain else "no retraining needed"
    print(f"drift: {verdict}: {'; '.join(decision.reasons)} ({paths.shown(paths.drift)})")
    return check


def served_data(
    paths: Paths, settings: Settings, contract: Contract, reference: dict, source: str, version: str
) -> Monitoring | None:
    """`monitor`'s verdict on what the deployed local service served with the champion (its prediction log),
    when there are enough such records: served data off past the monitor: limits is a reason to retrain."""
    log = monitor.deployed_log(paths, settings)
    if log is None:
        print("drift: served data not checked: no deployed local service's prediction log here")
        return None
    try:
        served = monitor.assess(settings, contract, log, reference, source, version=version)
    except UserError as error:
        print(f"drift: served data not checked: {error}")
        return None
    print(f"drift: served data: {monitor.summary(served) if served.ok else '; '.join(served.problems)}")
    return served
