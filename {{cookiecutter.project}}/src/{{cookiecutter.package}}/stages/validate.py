"""validate: check a data file against the contract and the reference profile before anything uses it.

Exit 0 when the data is valid, 1 when it breaks the contract (reports/validation.json and Data Docs
say how), 2 for usage errors such as a missing file.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from ..artefacts import Validation
from ..config import Paths
from ..core.drift import shifts
from ..core.validation_messages import describe, describe_shift
from ..errors import DataError
from ..io import remote
from ..io.datasets import read_profile, read_text, typed
from ..io.expectations import Validator, schema_expectations, value_expectations
from ..io.validated import inputs
from ..settings import load_checked

READS: tuple[str, ...] = ()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, help="the CSV file to check (default: the raw data)")


def outputs(paths: Paths) -> list[Path]:
    return [paths.validation, paths.data_docs]


def run(paths: Paths, data: Path | None = None) -> None:
    """The raw data, reported where the pipeline reads it; another file (--data), reported apart from it."""
    if data is None and "DVC_STAGE" not in os.environ:  # under `dvc repro`, repro has pulled
        load_checked(paths)
        print(f"validate: {remote.pull(paths)}")
    check(paths, data)


def check(paths: Paths, data: Path | None = None) -> None:
    """The contract's checks, and value skew against data/reference.json; a DataError when any fails."""
    settings, contract = load_checked(paths)
    source = data or paths.raw_data
    report, docs = (paths.validation, paths.data_docs) if data is None else paths.checked(data)
    frame = read_text(source)
    reference = read_profile(paths.reference) if paths.reference.is_file() else None

    shutil.rmtree(docs, ignore_errors=True)  # Data Docs show the last validation only
    validator = Validator(docs)
    outcomes = validator.run("schema", frame, schema_expectations(contract, list(frame.columns)))
    found_shifts = []
    notes = []
    if all(outcome.success for outcome in outcomes):
        values = typed(frame, contract)
        outcomes += validator.run("values", values, value_expectations(contract))
        if reference is not None:
            limits = settings.validate_
            found_shifts = shifts(reference, values, contract, limits.psi_max, limits.missing_increase_max)
        else:
            notes.append(f"value skew not checked: no reference profile at {paths.reference.name}")

    validator.build_docs()
    problems = [describe(outcome) for outcome in outcomes if not outcome.success]
    problems += [describe_shift(shift) for shift in found_shifts if not shift.ok]
    Validation(
        valid=not problems,
        data=paths.shown(source),
        rows=len(frame),
        inputs=inputs(paths, source, settings.validate_),
        problems=tuple(problems),
        notes=tuple(notes),
        expectations=tuple(outcomes),
        value_skew=tuple(found_shifts),
    ).write(report)
    checked = len(outcomes) + len(found_shifts)
    for note in notes:
        print(f"validate: note: {note}")
    if problems:
        for problem in problems:
            print(f"validate: {problem}")
        details = f"{paths.shown(report)} and {paths.shown(docs)}/"
        raise DataError(
            f"{source}: breaks the data contract ({len(problems)} of {checked} checks failed; see {details})"
        )
    print(f"validate: {source.name}: {len(frame)} rows pass all {checked} checks ({paths.shown(report)})")
