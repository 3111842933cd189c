"""JUnit XML, the evaluation, the load test and the comparison render as Markdown for reviewers."""

from {{ cookiecutter.package }}.artefacts import Comparison, Evaluation, LoadTest
from {{ cookiecutter.package }}.core.report import (
    comparison_markdown,
    evaluation_markdown,
    junit_markdown,
    loadtest_markdown,
    pipeline_markdown,
    summarise_junit,
)
from {{ cookiecutter.package }}.core.slo import LoadStats, SloCheck
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
    assert not summary.ok


def test_failing_tests_are_listed_in_the_markdown():
    text = junit_markdown("unit", summarise_junit(JUNIT))
    assert text.startswith("### ❌ Tests: unit")
    assert "`tests.test_b::test_broken`" in text


def test_evaluation_markdown_shows_primary_metric_and_every_slice():
    evaluation = Evaluation(
        primary_metric="roc_auc",
        threshold=0.5,
        rows=10,
        model={"name": "m", "version": "3"},
        test={"roc_auc": 0.91, "accuracy": 0.8},
        confusion={"tn": 4, "fp": 1, "fn": 1, "tp": 4},
        slices={
            "sex": {
                "Female": {"rows": 4, "roc_auc": 0.9, "accuracy": 0.75},
                "Male": {"rows": 6, "roc_auc": 0.92, "accuracy": 0.8333},
            }
        },
    )
    text = evaluation_markdown(evaluation)
    assert "### Model: m version 3" in text
    assert "**roc_auc 0.9100**" in text
    assert "| Female | 4 | 0.9000 | 0.7500 |" in text
    assert "| Male | 6 | 0.9200 | 0.8333 |" in text


def test_empty_report_says_what_to_do():
    assert "run the pipeline first" in pipeline_markdown([])


def comparison(decision: str, champion: dict | None) -> Comparison:
    delta = {"champion": 0.92, "challenger": 0.93, "delta": 0.01, "ci_low": 0.004, "ci_high": 0.016}
    scores = {"roc_auc": {**(delta if champion else {"challenger": 0.93}), "higher_is_better": True}}
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
        slices={"sex": {"Female": scores}},
    )


def test_comparison_markdown_leads_with_the_decision_and_its_reasons():
    champion = {"name": "m", "version": "1", "row_ms": 5.0, "batch_row_ms": 0.011, "size_mb": 0.69}
    markdown = comparison_markdown(comparison("promote", champion))
    lines = markdown.splitlines()
    assert lines[0] == "### Champion vs challenger: 🏆 promote: the challenger beats the champion"
    assert "- roc_auc +0.0100 (interval +0.0040 to +0.0160) meets the rule" in lines
    assert "| roc_auc | 0.9200 | 0.9300 | +0.0100 | +0.0040 to +0.0160 |" in lines
    assert "| sex=Female: roc_auc | 0.9200 | 0.9300 | +0.0100 | +0.0040 to +0.0160 |" in lines
    assert "| ms per row, one at a time | 5.0 | 5.1 |" in lines


def test_comparison_markdown_without_a_champion_shows_the_challenger_alone():
    markdown = comparison_markdown(comparison("first", None))
    assert "against no champion" in markdown
    assert "| roc_auc | | 0.9300 | | |" in markdown.splitlines()


def test_loadtest_markdown_marks_each_slo():
    loadtest = LoadTest(
        stats=LoadStats(requests=9000, failures=0, rps=900.4, p50_ms=4, p95_ms=12, p99_ms=20),
        slo=SloSettings(),
        checks=(
            SloCheck("p95 latency", 12, 100, True, ""),
            SloCheck("throughput", 900.4, 1000, False, "throughput 900.4 RPS < 1000 RPS"),
        ),
    )
    lines = loadtest_markdown(loadtest).splitlines()
    assert lines[0] == "### ❌ Load test"
    assert "| p95 latency | 100 | 12 | ✅ |" in lines
    assert "| throughput | 1000 | 900.4 | ❌ |" in lines
