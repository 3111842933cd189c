"""monitor: the served data (the sampled prediction log) against the champion's training data.

Training/serving skew per input column (PSI and missing rates, as `validate` and `drift` measure them),
the share of positive predictions against training's, and, with delayed labels
(`--labels FILE`: a CSV with request_id, optional index, and the label column, joined on the log's
request ids), live ROC AUC overall and per slice. Only the records the champion served are judged: the log
also holds what earlier versions and a candidate served (reports/monitor.json counts them all by version).
Limits: `monitor:` in params.yaml. Writes reports/monitor.json; exit 0 when all hold, 1 past a limit (a
scheduled run can then retrain), 2 for usage errors (no log, too few records, an unreadable labels file).
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import orjson
import pandas as pd

from ..artefacts import Monitoring
from ..config import Paths
from ..contract import Contract
from ..core.drift import shifts
from ..core.monitor import LiveQuality, PredictionShare, live_quality, training_share
from ..deployment.service import LocalService
from ..errors import DataError, UserError
from ..io import registry
from ..serving.prediction_log import files
from ..settings import Settings, load_checked

READS: tuple[str, ...] = ()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log",
        type=Path,
        help="the prediction log (default: the deployed local service's, else serve.prediction_log.path)",
    )
    parser.add_argument(
        "--labels", type=Path, help="delayed labels: a CSV with request_id, index (optional) and the label"
    )


def outputs(paths: Paths) -> list[Path]:
    return [paths.monitoring]


UNREADABLE_SHARE_MAX = 0.01
"""Lines that do not parse, as a share of a log's lines, past which it is not a prediction log at all.
Below it they are writes cut off when the service stopped mid-line and started again: left out, counted."""


@dataclass(frozen=True)
class Logged:
    """What a prediction log holds: its usable records, oldest first, and where the lines left out are."""

    records: list[dict]
    skipped: tuple[str, ...]
    """file:line of each line cut off mid-write (the service stopped while writing, then went on)."""


def read_log(path: Path) -> Logged:
    """Every logged record of the log and its rotated files, oldest first. A few lines that do not parse
    are writes cut off by a stop, left out; only such lines, or more than UNREADABLE_SHARE_MAX of them, is a
    one-line error."""
    found = files(path)
    if not found:
        raise UserError(f"{path}: no prediction log there; the service writes it (serve.prediction_log)")
    records, unreadable, count = [], [], 0
    for file in found:
        try:
            data = file.read_bytes()  # decoded line by line: a line cut mid-character spoils only itself
        except OSError as error:
            raise UserError(f"{file}: cannot be read ({error})") from None
        # After the last newline: nothing, or a line the service is still writing (or was stopped writing)
        written = data.split(b"\n")[:-1]
        count += len(written)
        for number, line in enumerate(written, 1):
            entry = _entry(line)
            if entry is None:
                unreadable.append(f"{file}:{number}")
            else:
                records.append({**entry, "file": file.name, "at": f"{file}:{number}"})
    if unreadable and (not records or len(unreadable) > count * UNREADABLE_SHARE_MAX):
        raise UserError(f"{unreadable[0]}: not a prediction log line")
    return Logged(records, tuple(unreadable))


def _entry(line: bytes) -> dict | None:
    """A log line's record, or None when it is not one."""
    try:
        entry = orjson.loads(line)
        usable = (
            isinstance(entry["inputs"], dict)
            and isinstance(entry["probability"], int | float)
            and isinstance(entry["request_id"], str)
            and isinstance(entry["label"], str)
        )
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None
    return entry if usable else None


def numbers_as_numbers(inputs: pd.DataFrame, contract: Contract, logged: list[dict]) -> pd.DataFrame:
    """The logged inputs, the contract's numeric columns as numbers. The service logs only what it validated:
    a value that is not a number was written by something else, a one-line error naming its line."""
    for name in contract.numeric([column for column in inputs.columns if column in contract.columns]):
        values = pd.to_numeric(inputs[name], errors="coerce")
        wrong = (values.isna() & inputs[name].notna()).to_numpy()
        if wrong.any():
            row = int(wrong.argmax())
            value, at = inputs[name].iloc[row], logged[row]["at"]
            raise UserError(f"{at}: {name} {value!r} is not a number: not a line the service wrote")
        inputs[name] = values
    return inputs


def read_labels(path: Path, column: str, classes: tuple[str, str]) -> pd.DataFrame:
    """Delayed labels, one per logged record (request id and index); any other file is a one-line error."""
    try:
        labels = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise UserError(f"--labels {path}: cannot be read ({error})") from None
    missing = {"request_id", column} - set(labels.columns)
    if missing:
        raise UserError(f"--labels {path}: no column {', '.join(sorted(missing))}")
    unknown = sorted(set(labels[column]) - set(classes))
    if unknown:
        raise UserError(f"--labels {path}: unknown label {unknown[0]!r} (expected {' or '.join(classes)})")
    if "index" not in labels:
        labels["index"] = "0"
    whole = labels["index"].str.fullmatch(r"\s*[0-9]{1,9}(\.0*)?\s*").to_numpy()  # 3, or 3.0 as pandas writes
    if not whole.all():
        raise UserError(f"--labels {path}: index: not a whole number in row {int((~whole).argmax()) + 2}")
    labels = labels.assign(index=pd.to_numeric(labels["index"]).astype(int))
    twice = labels.duplicated(["request_id", "index"])
    if twice.any():
        row = labels[twice].iloc[0]
        raise UserError(
            f"--labels {path}: request {row['request_id']} index {row['index']} is labelled twice "
            f"(row {int(twice.argmax()) + 2})"
        )
    return labels


def deployed_log(paths: Paths, settings: Settings) -> Path | None:
    """The deployed local service's prediction log, if any (the kubernetes target's stays in its pods)."""
    if settings.deploy.target != "local":
        return None
    deployed = LocalService(paths, settings.deploy.local).predictions
    return deployed if files(deployed) else None


def default_log(paths: Paths, settings: Settings) -> Path:
    """The deployed local service's prediction log when there is one, else serve.prediction_log.path (where
    `serve` run by hand writes it)."""
    return deployed_log(paths, settings) or paths.root / settings.serve.prediction_log.path


def run(paths: Paths, log: Path | None = None, labels: Path | None = None) -> Monitoring:
    settings, contract = load_checked(paths)
    paths.monitoring.unlink(missing_ok=True)  # a failed run leaves no earlier verdict behind
    champion, reference, source = registry.champion_reference(paths)
    if champion is None or reference is None:
        raise UserError(
            "no champion with a training profile to compare with; run the pipeline on the default branch"
        )
    # The champion's records only: the log also holds what earlier versions and a candidate served.
    log = log or default_log(paths, settings)
    report = assess(settings, contract, log, reference, source or "", labels, version=champion.version)
    report.write(paths.monitoring)
    where = paths.shown(paths.monitoring)
    if report.skipped:
        print(
            f"monitor: left out {len(report.skipped)} line(s) cut off mid-write (the service stopped while "
            f"writing), first {report.skipped[0]}"
        )
    if report.problems:
        for problem in report.problems:
            print(f"monitor: {problem}")
        raise DataError(f"monitor: the served data is off in {len(report.problems)} way(s) (see {where})")
    print(f"monitor: {summary(report)} ({where})")
    return report


def assess(
    settings: Settings,
    contract: Contract,
    path: Path,
    reference: dict,
    source: str,
    labels: Path | None = None,
    version: str | None = None,
) -> Monitoring:
    """The prediction log at path (and its rotated files) against the reference profile of the champion's
    training data, and, with labels, live quality: the verdict, past the limits or not; with version, only the
    records that version served. A log too short for a verdict, or bad labels, is a UserError."""
    limits = settings.monitor
    read = read_log(path)
    logged = read.records
    models = dict(Counter(str(entry.get("model_version")) for entry in logged))
    if version is not None:
        logged = [entry for entry in logged if str(entry.get("model_version")) == version]
    if len(logged) < limits.min_rows:
        served_by = f" served by version {version}" if version is not None else ""
        raise UserError(
            f"{path}: {len(logged)} logged records{served_by}; a verdict needs {limits.min_rows} "
            "(monitor.min_rows)"
        )
    # "" is a missing value to the service (as in the raw data): a category of its own here, it would look
    # like skew, and hide a rise of missing values.
    inputs = numbers_as_numbers(
        pd.DataFrame([entry["inputs"] for entry in logged]).replace({"": None}), contract, logged
    )
    found = shifts(reference, inputs, contract, limits.psi_max, limits.missing_increase_max)
    positive, negative = contract.label.positive, contract.label.negative
    # Both shares at the threshold in params.yaml: the logged label is the one the service had when it ran
    threshold = settings.evaluate.threshold
    served = round(sum(entry["probability"] >= threshold for entry in logged) / len(logged), 6)
    share = None
    baseline = training_share(reference, contract.label.column, positive, threshold)
    if baseline is not None:
        training, kind = baseline
        share = PredictionShare(served, training, limits.prediction_shift_max, kind)

    problems = [shift.breach for shift in found if not shift.ok]
    if share is not None and not share.ok:
        problems.append(
            f"positive predictions {served:.3f} against {share.training:.3f} in training ({share.baseline}): "
            f"{share.shift:.3f} > {share.limit:g}"
        )
    quality: LiveQuality | None = None
    if labels is not None:
        truth = read_labels(labels, contract.label.column, (positive, negative))
        frame = pd.DataFrame(
            {"request_id": [e["request_id"] for e in logged], "index": [e.get("index", 0) for e in logged],
             "probability": [e["probability"] for e in logged], "segment": inputs.get(contract.slice)}
        )  # fmt: skip
        joined = frame.merge(truth, on=["request_id", "index"], how="inner")
        if joined.empty:
            raise UserError(f"--labels {labels}: no request id matches a logged record")
        y_true = (joined[contract.label.column] == positive).to_numpy().astype(int)
        probability = joined["probability"].to_numpy(dtype=float)
        quality = live_quality(y_true, probability, joined["segment"], limits.min_roc_auc, limits.min_labels)
        problems += quality.problems()

    return Monitoring(
        ok=not problems,
        problems=tuple(problems),
        log=tuple(sorted({entry["file"] for entry in logged})),
        rows=len(logged),
        skipped=read.skipped,
        models=models,
        reference=source,
        shifts=tuple(found),
        prediction_share=share,
        quality=quality,
    )


def summary(report: Monitoring) -> str:
    """One line on a verdict that holds."""
    largest = max((s.value for s in report.shifts if s.statistic == "psi"), default=0.0)
    share = report.prediction_share
    positive = ""
    if share:
        positive = f", positive share {share.served:.3f} (training's {share.baseline}: {share.training})"
    quality = report.quality
    scored = ""
    if quality and quality.roc_auc is not None:
        scored = f"; live ROC AUC {quality.roc_auc:.4f} on {quality.rows} labelled"
    elif quality:
        scored = f"; live quality not judged: {quality.rows} labelled records (monitor.min_labels)"
    return f"{report.rows} logged records hold: largest PSI {largest:.3f}{positive}{scored}"
