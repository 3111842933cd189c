"""Whether the raw data was already validated as it is now: so that `repro`, after CI's validate job (or a
`validate` run by hand), does not check the same data a second time."""

from __future__ import annotations

from pathlib import Path

from ..artefacts import Validation
from ..config import Paths
from ..errors import UserError
from ..settings import ValidateSettings, load_checked
from .versions import file_md5, params_hash


def inputs(paths: Paths, source: Path, settings: ValidateSettings) -> dict[str, str]:
    """The fingerprint of what a validation of source rests on (the data, the contract, the reference
    profile, the validate settings): equal fingerprints, equal verdicts."""
    found = {"data": file_md5(source), "contract": file_md5(paths.contract)}
    if paths.reference.is_file():
        found["reference"] = file_md5(paths.reference)
    found["settings"] = params_hash(settings.model_dump())
    return found


def is_current(paths: Paths) -> bool:
    """Whether reports/validation.json holds a passing verdict on the raw data as it is now."""
    if not paths.validation.is_file():
        return False
    try:
        validation = Validation.read(paths.validation)
    except UserError:
        return False
    settings, _ = load_checked(paths)
    return validation.valid and validation.inputs == inputs(paths, paths.raw_data, settings.validate_)
