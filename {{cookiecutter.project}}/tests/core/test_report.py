"""The pipeline report: JUnit XML and every stage's artefact in one Report, as Markdown (golden files in
golden/, for a passing run, a validation failure, a keep decision, an SLO miss and a rollback) and HTML.

UPDATE_GOLDEN=1 pytest tests/core/test_report.py rewrites the golden files; review their diff."""

import os
import re
from dataclasses import replace
from pathlib import Path

import pytest

from {{ cookiecutter.package }}.artefacts import Comparison, Deployment, Evaluation, LoadTest, Promotion, Validation
from {{ cookiecutter.package }}.core.charts import Curve
from {{ cookiecutter.package }}.core.report import (
    Context,
    Results,
    build,
    comparison_markdown,
    summarise_junit,
    to_markdown,
)
from {{ cookiecutter.package }}.core.report_html import to_html
from {{ cookiecutter.package }}.core.slo import LoadStats, check_slos
from {{ cookiecutter.package }}.settings import SloSettings

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="1" skipped="1" tests="4" time="1.25">
<testcase classname="tests.test_a" name="test_ok" time="0.1"/>
<testcase classname="tests.test_a" name="test_ok_too" time="0.1"/>
<testcase classname="tests.test_a" name="test_skipped" time="0">
  <skipped message="later"/></testcase>
<testcase classname="tests.test_b" name="test_broken" time="0.2">
  <failure message="assert 1 == 2"/></testcase>
</testsuite></testsuites>"""


def test_junit_counts_and_failing_ids():
    summary = summarise_junit(JUNIT)
    assert (summary.tests, summary.passed, summary.failures, summary.skipped) == (4, 2, 1, 1)
    assert summary.failed == ["tests.test_b::test_broken"]
    assert summary.suites == {"tests.test_a": 3, "tests.test_b": 1}
    assert not summary.ok


def comparison(decision: str, champion: dict | None) -> Comparison:
    delta = {"champion": 0.92, "challenger": 0.93, "delta": 0.01, "ci_low": 0.004, "ci_high": 0.016}
    scores = {"roc_auc": {**(delta if champion else {"challenger": 0.93}), "higher_is_better": True}}
    female = {
        "roc_auc": {**delta, "delta": -0.004, "ci_low": -0.012, "ci_high": 0.003, "higher_is_better": True}
    }
    cost = {"name": "m", "version": "2", "row_ms": 5.1, "batch_row_ms": 0.012, "size_mb": 0.7}
    rules = {
        "primary": "roc_auc", "rule": "improve", "min_delta": 0.002, "margin": 0.005, "max_slice_drop": 0.01,
        "max_latency_factor": 2.0, "primary_floor": 0.85, "slice_floor": 0.85,
    }  # fmt: skip
    return Comparison(
        decision=decision,
        reasons=("roc_auc +0.0100 (interval +0.0040 to +0.0160) meets the rule",),
        primary_metric="roc_auc",
        holdout={"rows": 6513, "data_version": "md5:abc", "threshold": 0.5},
        challenger=cost,
        champion=champion,
        bootstrap={"resamples": 1000, "confidence": 0.95, "seed": 0},
        rules=rules,
        scores=scores,
        slices={"sex": {"Female": female if champion else scores, "Male": scores}},
    )


CHAMPION = {"name": "m", "version": "1", "row_ms": 5.0, "batch_row_ms": 0.011, "size_mb": 0.69}


def test_comparison_markdown_leads_with_the_decision_and_its_reasons():
    lines = comparison_markdown(comparison("promote", CHAMPION)).splitlines()
    assert lines[0] == "### ✅ Champion vs challenger"
    assert lines[2] == "🏆 promote: the challenger beats the champion"
    assert "- roc_auc +0.0100 (interval +0.0040 to +0.0160) meets the rule" in lines
    assert "| roc_auc | 0.9200 | 0.9300 | +0.0100 | +0.0040 to +0.0160 |" in lines
    assert "| sex=Male: roc_auc | 0.9200 | 0.9300 | +0.0100 | +0.0040 to +0.0160 |" in lines
    assert "| ms per row, one at a time | 5.0 | 5.1 |" in lines


def test_comparison_markdown_without_a_champion_shows_the_challenger_alone():
    markdown = comparison_markdown(comparison("first", None))
    assert "against no champion" in markdown
    assert "| roc_auc |  | 0.9300 |  |  |" in markdown.splitlines()
    assert "xychart-beta" not in markdown  # no deltas to chart


VALID = {
    "valid": True, "data": "data/raw/adult.csv", "rows": 32561, "inputs": {"data": "md5:1"}, "problems": (),
    "expectations": (
        {"phase": "schema", "expectation": "expect_column_to_exist", "column": "age", "success": True,
         "expected": "a column age", "observed": "present"},
    ),
    "value_skew": ({"column": "age", "statistic": "psi", "value": 0.01, "limit": 0.2},),
}  # fmt: skip
UNIT = summarise_junit(JUNIT.replace('failures="1"', 'failures="0"').replace("<failure", "<skipped"))
MODEL = summarise_junit(
    '<testsuite name="pytest" errors="0" failures="0" skipped="0" tests="2" time="30.5">'
    '<testcase classname="tests.model.test_quality" name="test_beats_a_baseline"/>'
    '<testcase classname="tests.model.test_training" name="test_loss_decreases"/></testsuite>'
)
SLO = SloSettings()


def evaluation() -> Evaluation:
    return Evaluation(
        primary_metric="roc_auc",
        threshold=0.5,
        rows=6513,
        model={"name": "m", "version": "2"},
        test={"roc_auc": 0.93, "accuracy": 0.87},
        confusion={"tn": 4600, "fp": 340, "fn": 520, "tp": 1053},
        slices={"sex": {"Female": {"rows": 2100, "roc_auc": 0.94, "accuracy": 0.92}}},
    )


def loadtest(p95_ms: float = 12) -> LoadTest:
    stats = LoadStats(requests=9000, failures=0, rps=900.4, p50_ms=4, p95_ms=p95_ms, p99_ms=20)
    return LoadTest(stats=stats, slo=SLO, checks=tuple(check_slos(stats, SLO)))


def deployment(outcome: str, after: str, strategy: str = "blue-green", **more) -> Deployment:
    """From version 1 on the local target."""
    return Deployment(outcome=outcome, target="local", strategy=strategy, before="1", after=after, **more)


def passing() -> Results:
    return Results(
        validation=Validation(**VALID),
        unit_tests=UNIT,
        evaluation=evaluation(),
        model_tests=MODEL,
        loadtest=loadtest(),
        comparison=comparison("promote", CHAMPION),
        promotion=Promotion(version="2", promoted=True, reason="compare decided promote"),
        deployment=deployment(
            "deployed", "2", steps=("v2 loaded beside v1", "smoke test: 8 golden records right", "v2 serves")
        ),
        curves=(Curve("ROC curve (test set)", "fpr", "tpr", ((0, 0), (0.1, 0.7), (1, 1)), diagonal=True),),
    )


def invalid_data() -> Results:
    failed = {
        "phase": "values",
        "expectation": "expect_column_values_to_be_in_set",
        "column": "sex",
        "success": False,
        "expected": "one of Female, Male",
        "observed": "5 other values",
        "unexpected_count": 5,
        "unexpected_examples": ("Robot",),
    }
    validation = Validation(
        **{
            **VALID,
            "valid": False,
            "problems": ("sex: expected one of Female, Male; found 5 other values",),
            "expectations": (*VALID["expectations"], failed),
        }
    )
    return Results(validation=validation)


CASES = {
    "passing": passing,
    "invalid-data": invalid_data,
    "kept": lambda: replace(
        passing(),
        comparison=comparison("keep", CHAMPION),
        promotion=Promotion(version="2", promoted=False, reason="compare decided keep"),
        deployment=deployment("skipped", "1", reasons=("compare decided keep",)),
    ),
    "slo-miss": lambda: replace(
        passing(), loadtest=loadtest(p95_ms=180), comparison=None, promotion=None, deployment=None
    ),
    "rolled-back": lambda: replace(
        passing(),
        deployment=deployment(
            "rolled_back",
            "1",
            "canary",
            steps=("canary v2 at share 0.3", "canary: error ratio 0.2 > 0.01"),
            reasons=("canary v2: error ratio 0.2 > 0.01: withdrawn",),
        ),
    ),
}
CONTEXT = Context("demo-project", "0123456789abcdef", "main", "https://ci.example/runs/7")
GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_markdown_report_matches_its_golden_file(case):
    markdown = to_markdown(build(CASES[case](), CONTEXT))
    golden = GOLDEN / f"{case}.md"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(markdown, encoding="utf-8")
    assert markdown == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("case", "first_line"),
    [
        ("passing", "## ✅ demo-project pipeline: 🏆 promote: the challenger beats the champion; "
                    "deployed version 1 -> 2 (local, blue-green)"),
        ("invalid-data", "## ❌ demo-project pipeline: stopped at validate: `data/raw/adult.csv` breaks "
                         "the contract: 1 problem(s)"),
        ("kept", "## ✅ demo-project pipeline: ⏸️ keep: the champion stays"),
        ("slo-miss", "## ❌ demo-project pipeline: stopped at loadtest: SLO missed: "
                     "p95 latency 180 ms > 100 ms"),
        ("rolled-back", "## ❌ demo-project pipeline: stopped at deploy: rolled back to version 1 "
                        "(local, canary)"),
    ],
)  # fmt: skip
def test_the_verdict_is_the_first_line(case, first_line):
    assert to_markdown(build(CASES[case](), CONTEXT)).splitlines()[0] == first_line


def test_a_deploy_that_could_not_roll_back_fails_naming_the_version_that_serves():
    failed = deployment("failed", "2", reasons=("pushing the champion tag failed", "rollout undo failed"))
    report = build(replace(passing(), deployment=failed), CONTEXT)
    assert report.verdict == "failed"
    headline = "failed, rolling back too: version 2 serves (local, blue-green)"
    assert report.title.endswith(f"stopped at deploy: {headline}")


def test_a_stage_without_results_reads_not_run_and_names_where_the_pipeline_stopped():
    report = build(CASES["invalid-data"](), CONTEXT)
    parts = {part.stage: part for part in report.parts}
    assert parts["validate"].status == "failed"
    assert parts["repro"].headline == "not run: the pipeline stopped at `validate`"
    assert [part.stage for part in report.parts] == [
        "validate", "test", "repro", "model-tests", "loadtest", "compare", "promote", "deploy"
    ]  # fmt: skip
    nothing = build(Results(), CONTEXT)
    assert nothing.parts[0].headline == "not run: no results; the pipeline stopped before `validate`"
    assert nothing.parts[1].headline == "not run: the pipeline stopped before `validate`"
    assert nothing.title.endswith("stopped before validate: no results from it or from a stage before it")
    assert nothing.verdict == "failed"
    skipped = dict.fromkeys(("promote", "deploy"), "in a GitHub pull request")
    elsewhere = build(Results(skipped=skipped), CONTEXT)
    assert {part.stage: part.status for part in elsewhere.parts}["deploy"] == "skipped"


def test_a_long_report_is_cut_under_the_limit_with_a_note():
    many = summarise_junit(
        '<testsuite name="pytest" errors="0" failures="400" skipped="0" tests="400" time="1">'
        + "".join(
            f'<testcase classname="tests.test_{i}" name="test_{i}"><failure/></testcase>' for i in range(400)
        )
        + "</testsuite>"
    )
    report = build(replace(passing(), unit_tests=many), CONTEXT)
    assert len(to_markdown(report)) > 20_000
    cut = to_markdown(report, limit=20_000)
    assert len(cut) <= 20_000
    assert "Details cut to keep this comment under GitHub's size limit" in cut
    assert cut.splitlines()[0] == to_markdown(report).splitlines()[0]


def test_the_html_report_is_self_contained_with_svg_charts():
    html = to_html(build(passing(), CONTEXT))
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") == 5  # per-slice scores, confusion matrix, ROC curve, latency, per-slice deltas
    for forbidden in ("<script", "<style", "style=", "<link", "<img", "src=", "@import"):
        assert forbidden not in html
    assert "http://www.w3.org/2000/svg" in html  # the SVG namespace: an identifier, never fetched
    assert all(url.startswith("https://ci.example") for url in re.findall(r'href="(http[^"]+)"', html))
