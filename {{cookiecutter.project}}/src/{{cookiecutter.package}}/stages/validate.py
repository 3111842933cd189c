"""validate: check a data file against the contract and the reference profile before anything uses it.

Exit 0 when the data is valid, 1 when it breaks the contract (reports/validation.json and Data Docs
say how), 2 for usage errors such as a missing file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..config import Paths
from ..contract import load_contract
from ..core.drift import shifts
from ..core.verdict import describe, describe_shift
from ..errors import DataError
from ..io import remote
from ..io.datasets import read_text, typed
from ..io.expectations import Validator, schema_expectations, value_expectations
from ..io.files import read_json, write_json
from ..settings import load_settings


def shown(path: Path, paths: Paths) -> str:
    """A path as the user would write it: relative to the project when inside it."""
    return (
        str(path.resolve().relative_to(paths.root.resolve()))
        if path.resolve().is_relative_to(paths.root.resolve())
        else str(path)
    )


def run(paths: Paths, data: Path | None = None) -> None:
    settings = load_settings(paths.params).validate_
    contract = load_contract(paths.contract)
    if data is None and "DVC_STAGE" not in os.environ:  # under `dvc repro`, repro has pulled
        print(f"validate: {remote.pull(paths)}")
    source = data or paths.raw_data
    frame = read_text(source)

    shutil.rmtree(paths.data_docs, ignore_errors=True)  # Data Docs show the last validation only
    validator = Validator(paths.data_docs)
    outcomes = validator.run("schema", frame, schema_expectations(contract, list(frame.columns)))
    found_shifts = []
    notes = []
    if all(outcome.success for outcome in outcomes):
        values = typed(frame, contract)
        outcomes += validator.run("values", values, value_expectations(contract))
        if paths.reference.is_file():
            reference = read_json(paths.reference)
            found_shifts = shifts(
                reference, values, contract, settings.psi_max, settings.missing_increase_max
            )
        else:
            notes.append(f"value skew not checked: no reference profile at {paths.reference.name}")

    problems = [describe(o.as_dict()) for o in outcomes if not o.success]
    problems += [describe_shift(shift) for shift in found_shifts if not shift.ok]
    write_json(
        paths.validation,
        {
            "valid": not problems,
            "data": shown(source, paths),
            "rows": len(frame),
            "problems": problems,
            "notes": notes,
            "expectations": [outcome.as_dict() for outcome in outcomes],
            "value_skew": [{**shift.__dict__, "success": shift.ok} for shift in found_shifts],
        },
    )
    checked = len(outcomes) + len(found_shifts)
    for note in notes:
        print(f"validate: note: {note}")
    if problems:
        for problem in problems:
            print(f"validate: {problem}")
        details = f"{shown(paths.validation, paths)} and {shown(paths.data_docs, paths)}/"
        raise DataError(
            f"{source}: breaks the data contract ({len(problems)} of {checked} checks failed; see {details})"
        )
    print(f"validate: {source.name}: {len(frame)} rows pass all {checked} checks")
