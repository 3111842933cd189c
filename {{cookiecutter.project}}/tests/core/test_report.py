"""JUnit XML, metrics, the load test and the comparison render as Markdown for reviewers."""

from {{ cookiecutter.package }}.core.report import (
    compare_markdown,
    junit_markdown,
    loadtest_markdown,
    metrics_markdown,
    pipeline_markdown,
    summarise_junit,
)

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


def test_metrics_markdown_shows_primary_metric_and_every_slice():
    metrics = {
        "primary_metric": "roc_auc",
        "threshold": 0.5,
        "rows": 10,
        "model": {"name": "m", "version": "3"},
        "test": {"roc_auc": 0.91, "accuracy": 0.8},
        "slices": {
            "sex": {
                "Female": {"rows": 4, "roc_auc": 0.9, "accuracy": 0.75},
                "Male": {"rows": 6, "roc_auc": 0.92, "accuracy": 0.8333},
            }
        },
    }
    text = metrics_markdown(metrics)
    assert "**roc_auc 0.9100**" in text
    assert "| Female | 4 | 0.9000 | 0.7500 |" in text
    assert "| Male | 6 | 0.9200 | 0.8333 |" in text


def test_empty_report_says_what_to_do():
    assert "run the pipeline first" in pipeline_markdown([])


def compare_report(decision: str, champion: dict | None) -> dict:
    delta = {"champion": 0.92, "challenger": 0.93, "delta": 0.01, "ci_low": 0.004, "ci_high": 0.016}
    metrics = {"roc_auc": delta if champion else {"challenger": 0.93}}
    cost = {"version": "2", "row_ms": 5.1, "batch_row_ms": 0.012, "size_mb": 0.7}
    return {
        "decision": decision,
        "reasons": ["roc_auc +0.0100 (interval +0.0040 to +0.0160) meets the rule"],
        "primary_metric": "roc_auc",
        "holdout": {"rows": 6513, "data_version": "md5:abc"},
        "challenger": cost,
        "champion": champion,
        "bootstrap": {"resamples": 1000, "confidence": 0.95, "seed": 0},
        "metrics": metrics,
        "slices": {"sex": {"Female": metrics}},
    }


def test_compare_markdown_leads_with_the_decision_and_its_reasons():
    champion = {"version": "1", "row_ms": 5.0, "batch_row_ms": 0.011, "size_mb": 0.69}
    markdown = compare_markdown(compare_report("promote", champion))
    lines = markdown.splitlines()
    assert lines[0] == "### Champion vs challenger: 🏆 promote: the challenger beats the champion"
    assert "- roc_auc +0.0100 (interval +0.0040 to +0.0160) meets the rule" in lines
    assert "| roc_auc | 0.9200 | 0.9300 | +0.0100 | +0.0040 to +0.0160 |" in lines
    assert "| sex=Female: roc_auc | 0.9200 | 0.9300 | +0.0100 | +0.0040 to +0.0160 |" in lines
    assert "| ms per row, one at a time | 5.0 | 5.1 |" in lines


def test_compare_markdown_without_a_champion_shows_the_challenger_alone():
    markdown = compare_markdown(compare_report("first", None))
    assert "against no champion" in markdown
    assert "| roc_auc | | 0.9300 | | |" in markdown.splitlines()


def test_loadtest_markdown_marks_each_slo():
    loadtest = {
        "requests": 9000, "rps": 900.4, "p50_ms": 4, "passed": False,
        "verdicts": [
            {"slo": "p95 latency", "limit": 100, "measured": 12, "passed": True},
            {"slo": "throughput", "limit": 1000, "measured": 900.4, "passed": False},
        ],
    }  # fmt: skip
    lines = loadtest_markdown(loadtest).splitlines()
    assert lines[0] == "### ❌ Load test"
    assert "| p95 latency | 100 | 12 | ✅ |" in lines
    assert "| throughput | 1000 | 900.4 | ❌ |" in lines
