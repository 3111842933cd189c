"""The pipeline's results (JUnit XML and the stages' artefacts) as Markdown for CI summaries and reviews."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from ..artefacts import Comparison, Evaluation, LoadTest, Score


@dataclass(frozen=True)
class JUnitSummary:
    tests: int
    failures: int
    errors: int
    skipped: int
    seconds: float
    failed: list[str] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return self.tests - self.failures - self.errors - self.skipped

    @property
    def ok(self) -> bool:
        return self.failures == 0 and self.errors == 0


def summarise_junit(xml_text: str) -> JUnitSummary:
    """Counts and failing test ids from a pytest JUnit XML report (xunit1 or xunit2)."""
    root = ET.fromstring(xml_text)
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    failed = []
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(f"{case.get('classname', '')}::{case.get('name', '')}".lstrip(":"))
    return JUnitSummary(
        tests=sum(int(suite.get("tests", 0)) for suite in suites),
        failures=sum(int(suite.get("failures", 0)) for suite in suites),
        errors=sum(int(suite.get("errors", 0)) for suite in suites),
        skipped=sum(int(suite.get("skipped", 0)) for suite in suites),
        seconds=round(sum(float(suite.get("time", 0)) for suite in suites), 1),
        failed=failed,
    )


def junit_markdown(name: str, summary: JUnitSummary) -> str:
    mark = "✅" if summary.ok else "❌"
    lines = [
        f"### {mark} Tests: {name}",
        "",
        "| passed | failed | errors | skipped | time |",
        "| ---: | ---: | ---: | ---: | ---: |",
        f"| {summary.passed} | {summary.failures} | {summary.errors} | {summary.skipped} "
        f"| {summary.seconds:.1f} s |",
    ]
    if summary.failed:
        lines += ["", "Failing:", *(f"- `{test}`" for test in summary.failed)]
    return "\n".join(lines)


def evaluation_markdown(evaluation: Evaluation) -> str:
    primary = evaluation.primary_metric
    model = evaluation.model
    lines = [
        f"### Model: {model.name} version {model.version}",
        "",
        f"Test set: {evaluation.rows} rows, threshold {evaluation.threshold}; "
        f"primary metric **{primary} {evaluation.primary:.4f}**.",
        "",
        "| metric | test |",
        "| --- | ---: |",
        *(f"| {name} | {value:.4f} |" for name, value in evaluation.test.items()),
    ]
    for column, segments in evaluation.slices.items():
        lines += [
            "",
            f"Per `{column}`:",
            "",
            f"| {column} | rows | {primary} | accuracy |",
            "| --- | ---: | ---: | ---: |",
            *(
                f"| {segment} | {scores['rows']:.0f} | {scores.get(primary, float('nan')):.4f} "
                f"| {scores['accuracy']:.4f} |"
                for segment, scores in segments.items()
            ),
        ]
    return "\n".join(lines)


def pipeline_markdown(sections: list[str]) -> str:
    body = "\n\n".join(sections) if sections else "No results yet: run the pipeline first."
    return f"## Pipeline report\n\n{body}\n"


def loadtest_markdown(loadtest: LoadTest) -> str:
    """The load test as a table: each SLO, its limit, what was measured."""
    mark = "✅" if loadtest.passed else "❌"
    stats = loadtest.stats
    lines = [
        f"### {mark} Load test",
        "",
        f"{stats.requests} requests, {stats.rps:.0f} RPS, p50 {stats.p50_ms:.0f} ms.",
        "",
        "| SLO | limit | measured | |",
        "| --- | ---: | ---: | --- |",
        *(
            f"| {check.slo} | {check.limit:g} | {check.measured:g} | {'✅' if check.passed else '❌'} |"
            for check in loadtest.checks
        ),
    ]
    return "\n".join(lines)


DECISION_HEADLINES = {
    "promote": "🏆 promote: the challenger beats the champion",
    "keep": "⏸️ keep: the champion stays",
    "first": "🥇 first: no champion yet; the challenger clears the floors",
}


def _number(value: float | None, signed: bool = False) -> str:
    if value is None:
        return ""
    return f"{value:+.4f}" if signed else f"{value:.4f}"


def _score_rows(label: str, scores: dict[str, Score]) -> list[str]:
    rows = []
    for name, score in scores.items():
        if score.delta is None:
            rows.append(f"| {label}{name} | | {_number(score.challenger)} | | |")
            continue
        interval = f"{_number(score.ci_low, True)} to {_number(score.ci_high, True)}"
        rows.append(
            f"| {label}{name} | {_number(score.champion)} | {_number(score.challenger)} "
            f"| {_number(score.delta, True)} | {interval} |"
        )
    return rows


def comparison_markdown(comparison: Comparison) -> str:
    """The comparison for reviewers: the decision and its reasons first, then the numbers behind it."""
    champion, challenger = comparison.champion, comparison.challenger
    against = f"champion version {champion.version}" if champion else "no champion"
    boot = comparison.bootstrap
    lines = [
        f"### Champion vs challenger: {DECISION_HEADLINES[comparison.decision]}",
        "",
        f"Challenger version {challenger.version} against {against}, both on the same "
        f"{comparison.holdout.rows} holdout rows ({comparison.holdout.data_version}).",
        "",
        *(f"- {reason}" for reason in comparison.reasons),
        "",
        f"| metric | champion | challenger | delta | {boot.confidence:.0%} interval |",
        "| --- | ---: | ---: | ---: | --- |",
        *_score_rows("", comparison.scores),
    ]
    primary = comparison.primary_metric
    for column, segments in comparison.slices.items():
        for segment, scores in segments.items():
            lines += _score_rows(f"{column}={segment}: ", {primary: scores[primary]})
    lines += ["", "| cost | champion | challenger |", "| --- | ---: | ---: |"]
    for key, label in (
        ("row_ms", "ms per row, one at a time"),
        ("batch_row_ms", "ms per row in a batch"),
        ("size_mb", "size, MB"),
    ):
        lines.append(
            f"| {label} | {getattr(champion, key) if champion else ''} | {getattr(challenger, key)} |"
        )
    lines += [
        "",
        f"Intervals: paired bootstrap, {boot.resamples} resamples, seed {boot.seed}. "
        "Rules: `compare:` in params.yaml.",
    ]
    return "\n".join(lines)
