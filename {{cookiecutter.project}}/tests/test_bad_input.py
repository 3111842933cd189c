"""Bad input, tried as a careless or hostile user would: one line naming what is wrong and where, the right
exit code, no traceback, and nothing lost, overwritten or written elsewhere.

Every case runs against one trained project: its models/, reports/, data/ and MLflow store (files,
aliases and versions) are fingerprinted before and after each case.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from {{ cookiecutter.package }}.cli import main
from {{ cookiecutter.package }}.config import PROJECT, Paths

pytestmark = pytest.mark.xdist_group("bad-input")


def fingerprint(paths: Paths) -> dict[str, object]:
    """What a bad input must not change: every output file's hash, the registry's aliases and versions,
    and what lies beside the project (nothing may be written outside it). `validate --data` reports on the
    file it was given in reports/checked/: that is its output, not the pipeline's."""
    found: dict[str, object] = {
        str(path.relative_to(paths.root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for folder in (paths.models, paths.root / "reports", paths.root / "data", paths.mlruns)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != "mlflow.db" and "checked" not in path.relative_to(paths.root).parts
    }
    with closing(sqlite3.connect(paths.mlruns / "mlflow.db")) as store:
        found["aliases"] = sorted(store.execute("SELECT alias, version FROM registered_model_aliases"))
        found["versions"] = store.execute("SELECT count(*) FROM model_versions").fetchone()[0]
    found["beside"] = sorted(path.name for path in paths.root.parent.iterdir())
    return found


@pytest.fixture(scope="module")
def trained(build_project: Callable[[str, Callable[[Paths], None]], Paths]) -> Paths:
    """A project with its data split, a model trained, evaluated, compared and promoted (no DVC run needed:
    every case must stop before DVC would run), that every case leaves as it found it."""

    def train(_: Paths) -> None:
        for stage in ("validate", "prepare", "train", "evaluate", "compare", "promote"):
            assert main([stage]) == 0, stage

    return build_project("bad-input", train)


def one_line(arguments: tuple[str, ...], code: int, capsys) -> str:
    """Run the CLI; check its exit code and that it said what is wrong in one line (on stderr: details, such
    as each broken data check, go to stdout), no traceback. Returns the line, then what went to stdout."""
    capsys.readouterr()
    try:
        returned = main(list(arguments))
    except SystemExit as exit_:  # argparse's usage errors
        returned = exit_.code
    printed = capsys.readouterr()
    assert returned == code, printed.err
    lines = printed.err.strip().splitlines()
    assert len(lines) == 1, printed.err
    assert lines[0].startswith("error: "), printed.err
    assert "Traceback" not in printed.err + printed.out
    return f"{lines[0]}\n{printed.out}"


@pytest.fixture
def inside(trained: Paths, leave_ci, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """The trained project as the working folder, its embedded store in use, outside CI."""
    leave_ci(monkeypatch, trained.root)
    return trained


@pytest.fixture
def attempt(inside: Paths, capsys) -> Callable[..., str]:
    """attempt(*arguments, code=...): the one-line error of the CLI run in the trained project, which must
    be exactly as it was before."""

    def run(*arguments: str, code: int) -> str:
        before = fingerprint(inside)
        said = one_line(arguments, code, capsys)
        assert fingerprint(inside) == before
        return said

    return run


# --- params.yaml: every case through `repro`, which once deleted the model before failing ------------------

PARAMS = {
    "negative-iterations": (
        ("max_iter: 200", "max_iter: -5"),
        "train.model.max_iter: Input should be greater",
    ),
    "unknown-key": (("learning_rate:", "learnin_rate:"), "train.model.learnin_rate: unknown key"),
    "text-for-a-number": (
        ("test_size: 0.2", "test_size: twenty"),
        "prepare.test_size: Input should be a valid",
    ),
    "fraction-out-of-range": (
        ("test_size: 0.2", "test_size: 1.5"),
        "prepare.test_size: Input should be less",
    ),
    "threshold-zero": (("threshold: 0.5", "threshold: 0"), "evaluate.threshold: Input should be greater"),
    "unknown-model": (("kind: hist_gradient_boosting", "kind: xgboost"), "train.model: Input tag 'xgboost'"),
    "missing-seed": (
        ("  seed: 42            # makes the split reproducible\n", ""),
        "prepare.seed: Field required",
    ),
    "duplicate-key": (
        ("  max_iter: 200\n", "  max_iter: 200\n    max_iter: 300\n"),
        "duplicate key 'max_iter'",
    ),
    "bad-yaml": (("test_size: 0.2", "test_size: [0.2"), "params.yaml: line"),
    "drop-unknown": (
        ("drop: [fnlwgt, education]", "drop: [fnlwgt, salary]"),
        "cannot drop unknown column(s): salary",
    ),
    "drop-everything": (
        (
            "drop: [fnlwgt, education]",
            "drop: [age, workclass, fnlwgt, education, education_num, marital_status, occupation, "
            "relationship, race, sex, capital_gain, capital_loss, hours_per_week, native_country]",
        ),
        "features.drop: drops every feature",
    ),
    "slo-negative": (("p95_ms: 100", "p95_ms: -1"), "loadtest.slo.p95_ms: Input should be greater"),
    "seed-negative": (("  seed: 42", "  seed: -1"), "prepare.seed: Input should be greater than or equal"),
    "seed-too-large": (("seed: 0  ", "seed: 4294967296  "), "compare.seed: Input should be less than"),
    "rule-unknown": (
        ("rule: improve", "rule: better"),
        "compare.rule: Input should be 'improve' or 'non_inferior'",
    ),
}


@pytest.mark.parametrize(("change", "problem"), list(PARAMS.values()), ids=list(PARAMS))
def test_bad_params_stop_repro_before_it_touches_anything(trained, attempt, change, problem):
    original = trained.params.read_text()
    old, new = change
    assert old in original
    trained.params.write_text(original.replace(old, new, 1))
    try:
        said = attempt("repro", code=2)
    finally:
        trained.params.write_text(original)
    assert said.startswith(f"error: {trained.params}: ")
    assert problem in said


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "expected a mapping of keys to values at the top level"),
        ("- a list\n", "expected a mapping of keys to values at the top level"),
        (b"\xff\xfe binary", "cannot be read"),
        ("? [a, b]\n: 1\n", "line 1: a key must be a single value, not a list or a mapping"),
    ],
    ids=["empty", "a-list", "not-utf8", "a-list-as-key"],
)
def test_an_unreadable_params_file_is_one_line(trained, attempt, content, problem):
    original = trained.params.read_bytes()
    trained.params.write_bytes(content.encode() if isinstance(content, str) else content)
    try:
        line = attempt("train", code=2)
    finally:
        trained.params.write_bytes(original)
    assert problem in line


def test_a_store_that_cannot_be_used_leaves_the_registered_model_in_place(
    trained, attempt, monkeypatch, tmp_path
):
    """train fits a new model, then cannot register it (its sqlite store cannot be made under a file): models/
    still holds the registered model and its run.json, so that evaluate never scores one model on another's
    run, and the error is one line."""
    original = trained.params.read_text()
    trained.params.write_text(original.replace("max_iter: 200", "max_iter: 20", 1))
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{not_a_folder}/mlflow.db")
    try:
        said = attempt("train", code=2)
    finally:
        trained.params.write_text(original)
    assert said.startswith(f"error: MLflow store sqlite:///{not_a_folder}/mlflow.db is not usable: "), said


@pytest.mark.parametrize("content", ['{"rows": 3000, "columns": {"age": {"mi', "[]"], ids=["cut-off", "list"])
def test_a_damaged_reference_profile_is_one_line_and_the_data_docs_stay(trained, attempt, content):
    original = trained.reference.read_bytes()
    trained.reference.write_text(content)
    try:
        said = attempt("validate", code=2)
    finally:
        trained.reference.write_bytes(original)
    assert said.startswith(f"error: {trained.reference}: not a data profile ("), said
    assert "write it again with `{{ cookiecutter.project }} profile`" in said


@pytest.mark.parametrize("stage", ["evaluate", "compare"])
def test_a_damaged_trained_model_is_one_line(trained, attempt, stage):
    pickled = trained.model / "model.pkl"
    original = pickled.read_bytes()
    pickled.write_bytes(original[: len(original) // 2])  # a copy cut short
    try:
        said = attempt(stage, code=2)
    finally:
        pickled.write_bytes(original)
    assert said.startswith(f"error: {trained.model}: the trained model cannot be loaded ("), said


# --- data files: `validate --data` reports apart and never overwrites the pipeline's own report ------------


def header(paths: Paths) -> str:
    return paths.raw_data.read_text().splitlines()[0]


DATA: dict[str, tuple[Callable[[Path, Paths], None], int, str]] = {
    "missing": (lambda path, _: None, 2, "data file not found"),
    "directory": (lambda path, _: path.mkdir(), 2, "is a directory, not a data file"),
    "empty": (lambda path, _: path.write_bytes(b""), 1, "the file is empty"),
    "binary": (
        lambda path, _: path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00"),
        1,
        "binary content, not CSV text",
    ),
    "latin-1": (
        lambda path, _: path.write_bytes("age,name\n39,Zo\xeb\n".encode("latin-1")),
        1,
        "not UTF-8 text (byte 0xeb at offset 14)",
    ),
    "semicolons": (
        lambda path, _: path.write_text("age;workclass\n39;State-gov\n"),
        1,
        "semicolon-delimited",
    ),
    "header-only": (lambda path, paths: path.write_text(header(paths) + "\n"), 1, "rows: expected at least"),
    "huge-header": (
        lambda path, paths: path.write_text(header(paths) + "," + "x" * 10_000_000 + "\n"),
        1,
        "characters)",
    ),
}


@pytest.mark.parametrize(("make", "code", "problem"), list(DATA.values()), ids=list(DATA))
def test_a_bad_data_file_is_one_line_and_the_pipelines_report_stays(
    trained, attempt, tmp_path, make, code, problem
):
    path = tmp_path / "batch.csv"
    make(path, trained)
    said = attempt("validate", "--data", str(path), code=code)
    assert problem in said
    assert len(said) < 2000  # a 10 MB header is not echoed back


# --- the command line ---------------------------------------------------------------------------------------

CLI = {
    "unknown-stage": (("deploy-everything",), "invalid choice: 'deploy-everything'"),
    "unknown-option": (("repro", "--fast"), "unrecognized arguments: --fast"),
    "option-without-value": (("serve", "--port"), "argument --port: expected one argument"),
    "port-not-a-number": (("serve", "--port", "http"), "argument --port: invalid int value: 'http'"),
    "port-out-of-range": (("serve", "--port", "70000"), "--port 70000: not a TCP port"),
    "model-folder-missing": (
        ("serve", "--model", "models/nope"),
        "--model models/nope: no MLflow model there",
    ),
    "model-uri-malformed": (("serve", "--model", "models:/x@"), "expected models:/<name>@<alias>"),
    "alias-unknown": (("serve", "--model", f"models:/{PROJECT}@nobody"), f"models:/{PROJECT}@nobody: not in"),
    "load-test-nowhere": (("loadtest", "--url", "http://127.0.0.1:9"), "the service at http://127.0.0.1:9"),
}


@pytest.mark.parametrize(("arguments", "problem"), list(CLI.values()), ids=list(CLI))
def test_command_line_misuse_is_one_line(attempt, arguments, problem):
    assert problem in attempt(*arguments, code=2)


def test_promote_on_a_pull_request_is_refused(attempt, monkeypatch):
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    assert "refused in a GitHub pull request" in attempt("promote", code=2)


@pytest.mark.parametrize(
    "arguments", [("compare",), ("serve", "--model", f"models:/{PROJECT}@champion")], ids=["compare", "serve"]
)
def test_a_damaged_mlflow_store_is_one_line_naming_it(inside, capsys, arguments):
    trained = inside
    database = trained.mlruns / "mlflow.db"
    original, comparison = database.read_bytes(), trained.comparison.read_bytes()
    database.write_bytes(b"this is not a database" * 100)
    try:
        said = one_line(arguments, 2, capsys)
        assert database.read_bytes() == b"this is not a database" * 100  # left for the user to restore
    finally:
        database.write_bytes(original)
    assert said.startswith(f"error: {database}: not a usable MLflow store")
    assert trained.comparison.read_bytes() == comparison  # the last comparison is still there
