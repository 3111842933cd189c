"""validate: bad data gets exit 1 and one line naming the problem and the column; good data passes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package }}.cli import main


@pytest.fixture
def good(project) -> pd.DataFrame:
    """The project's 3,000 real rows, as text, exactly as in the file."""
    return pd.read_csv(project.raw_data, dtype=str, keep_default_na=False)


def validate(path: Path, capsys) -> tuple[int, str]:
    code = main(["validate", "--data", str(path)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def write(frame: pd.DataFrame, path: Path, **options) -> Path:
    frame.to_csv(path, index=False, **options)
    return path


def test_the_shipped_data_passes(project, capsys):
    code = main(["validate"])
    out = capsys.readouterr().out
    assert code == 0, out
    report = json.loads(project.validation.read_text())
    assert report["valid"] is True
    assert report["value_skew"], "the reference profile was compared"
    assert (project.data_docs / "index.html").is_file()


def test_missing_file_is_a_usage_error(project, capsys):
    code, out = validate(project.root / "nope.csv", capsys)
    assert code == 2
    assert "data file not found" in out


BROKEN = {
    "missing-column": (lambda f: f.drop(columns=["age"]), "columns: missing age"),
    "extra-column": (lambda f: f.assign(bonus="1"), "columns: unexpected 'bonus'"),
    "text-in-numeric": (
        lambda f: f.assign(age=f["age"].where(f.index != 3, "forty")),
        "age: expected integers; found 1 other value (e.g. 'forty')",
    ),
    "out-of-range": (
        lambda f: f.assign(hours_per_week=f["hours_per_week"].where(f.index > 1, "168")),
        "hours_per_week: expected values from 1.0 to 99.0; found 2 other values",
    ),
    "unseen-category": (
        lambda f: f.assign(sex=f["sex"].where(f.index != 7, "Alien")),
        "sex: expected one of Female, Male; found 1 other value (e.g. 'Alien')",
    ),
    "too-many-nulls": (
        lambda f: f.assign(workclass=f["workclass"].where(f.index % 4 != 0, "")),
        "workclass: expected at most 10% empty; found",
    ),
    "null-in-required": (
        lambda f: f.assign(income=f["income"].where(f.index != 0, "")),
        "income: expected no empty values; found 1 empty value",
    ),
    "header-only": (lambda f: f.head(0), "rows: expected at least 1000 rows"),
    "shifted-numbers": (
        lambda f: f.assign(age=(f["age"].astype(int) + 15).clip(upper=90).astype(str)),
        "age: distribution shifted from the reference (PSI",
    ),
    "shifted-categories": (
        lambda f: f.assign(sex=["Female" if i % 10 else "Male" for i in range(len(f))]),
        "sex: distribution shifted from the reference (PSI",
    ),
}


@pytest.mark.parametrize(("change", "message"), list(BROKEN.values()), ids=list(BROKEN))
def test_broken_data_fails_with_a_clear_line(project, good, tmp_path, capsys, change, message):
    path = write(change(good.copy()), tmp_path / "batch.csv")
    code, out = validate(path, capsys)
    assert code == 1, out
    assert message in out
    assert f"error: {path}: breaks the data contract" in out
    assert "Traceback" not in out
    report_path, docs = project.checked(path)
    report = json.loads(report_path.read_text())
    assert report["valid"] is False
    assert (docs / "index.html").is_file()
    assert not project.validation.exists()  # the pipeline's own report is not touched
    assert any(message.split(";")[0] in problem for problem in report["problems"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary content, not CSV text"),
        ("age,workclass\n30,Caf\xe9\n".encode("latin-1"), "not UTF-8 text (byte 0xe9"),
    ],
    ids=["empty", "binary", "latin-1"],
)
def test_unreadable_files_fail_with_a_clear_line(tmp_path, capsys, content, message, project):
    path = tmp_path / "batch.csv"
    path.write_bytes(content)
    code, out = validate(path, capsys)
    assert code == 1, out
    assert message in out


def test_wrong_delimiter_is_recognised(good, tmp_path, capsys, project):
    code, out = validate(write(good, tmp_path / "batch.csv", sep=";"), capsys)
    assert code == 1
    assert "semicolon-delimited; a comma-separated file is expected" in out


def test_truncated_file_is_caught(project, tmp_path, capsys):
    text = project.raw_data.read_text()
    path = tmp_path / "batch.csv"
    path.write_text(text[: len(text) - 40])  # cut the last row in half
    code, out = validate(path, capsys)
    assert code == 1
    assert "expected no empty values; found 1 empty value" in out


def test_duplicated_identifiers_are_caught_when_the_contract_has_one(project, good, tmp_path, capsys):
    contract = project.contract.read_text().replace(
        "columns:\n", "columns:\n  person_id: {type: integer, min: 1, unique: true}\n", 1
    )
    project.contract.write_text(contract)
    ids = list(range(1, len(good) + 1))
    ids[10] = ids[11]
    code, out = validate(write(good.assign(person_id=[str(i) for i in ids]), tmp_path / "b.csv"), capsys)
    assert code == 1
    assert "person_id: expected unique values; found 2 other values" in out
