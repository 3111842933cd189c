"""Artefacts handed between stages: written and read back whole; a missing, corrupt or out-of-date file
is one line naming the file and the command that makes it again."""

from __future__ import annotations

import json

import pytest

from {{ cookiecutter.package }}.artefacts import TrainedModel
from {{ cookiecutter.package }}.errors import UserError

TRAINED = TrainedModel(
    run_id="abc", experiment="m", registered_model="m", version="3", model_uri="models:/m/3"
)


def test_an_artefact_reads_back_what_was_written_with_its_schema_version(tmp_path):
    path = tmp_path / "models" / "run.json"
    TRAINED.write(path)
    assert json.loads(path.read_text())["schema_version"] == 1
    assert TrainedModel.read(path) == TRAINED
    assert [entry.name for entry in path.parent.iterdir()] == ["run.json"]  # no temporary file left


BAD_FILES = {
    "missing": (None, "not found; run `{{ cookiecutter.project }} repro` first"),
    "corrupt": ("{not json", "cannot be read (Expecting property name"),
    "no-version": ('{"run_id": "abc"}', "schema version None, but this code reads version 1"),
    "newer": ('{"schema_version": 2, "run_id": "abc"}', "schema version 2, but this code reads version 1"),
    "incomplete": ('{"schema_version": 1, "run_id": "abc"}', "experiment: field required"),
    "wrong-type": (
        json.dumps({**TRAINED.model_dump(), "run_id": 5}),
        "run_id: input should be a valid string",
    ),
}


@pytest.mark.parametrize(("content", "problem"), list(BAD_FILES.values()), ids=list(BAD_FILES))
def test_a_bad_file_is_one_line_naming_it_and_what_to_run(tmp_path, content, problem):
    path = tmp_path / "run.json"
    if content is not None:
        path.write_text(content)

    with pytest.raises(UserError) as error:
        TrainedModel.read(path)

    message = str(error.value)
    assert message.startswith(f"{path}: ")
    assert problem in message
    assert "`{{ cookiecutter.project }} repro`" in message
    assert "\n" not in message


def test_an_evaluation_without_its_primary_score_is_one_line(tmp_path):
    """Schema-valid, yet the report and compare need the primary metric's score: refused where it is read."""
    from {{ cookiecutter.package }}.artefacts import Evaluation

    path = tmp_path / "evaluation.json"
    path.write_text(json.dumps({
        "schema_version": 1, "primary_metric": "roc_auc", "threshold": 0.5, "rows": 10,
        "model": {"name": "m", "version": "1"}, "test": {"accuracy": 0.9},
        "confusion": {"tn": 1, "fp": 1, "fn": 1, "tp": 1}, "slices": {},
    }))  # fmt: skip

    with pytest.raises(UserError, match=r"json: \(top level\): value error, test has no roc_auc score"):
        Evaluation.read(path)
