"""JUnit XML and metrics render as a Markdown summary that names failing tests."""

from {{ cookiecutter.package }}.core.report import (
    junit_markdown,
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
