"""Turn the pipeline's results (JUnit XML, metrics) into Markdown for CI summaries and reviews."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field


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


def metrics_markdown(metrics: dict) -> str:
    primary = metrics["primary_metric"]
    model = metrics["model"]
    lines = [
        f"### Model: {model['name']} version {model['version']}",
        "",
        f"Test set: {metrics['rows']} rows, threshold {metrics['threshold']}; "
        f"primary metric **{primary} {metrics['test'][primary]:.4f}**.",
        "",
        "| metric | test |",
        "| --- | ---: |",
        *(f"| {name} | {value:.4f} |" for name, value in metrics["test"].items()),
    ]
    for column, segments in metrics.get("slices", {}).items():
        lines += [
            "",
            f"Per `{column}`:",
            "",
            f"| {column} | rows | {primary} | accuracy |",
            "| --- | ---: | ---: | ---: |",
            *(
                f"| {segment} | {scores['rows']} | {scores.get(primary, float('nan')):.4f} "
                f"| {scores['accuracy']:.4f} |"
                for segment, scores in segments.items()
            ),
        ]
    return "\n".join(lines)


def pipeline_markdown(sections: list[str]) -> str:
    body = "\n\n".join(sections) if sections else "No results yet: run the pipeline first."
    return f"## Pipeline report\n\n{body}\n"


def loadtest_markdown(loadtest: dict) -> str:
    """reports/loadtest.json as a table: each SLO, its limit, what was measured."""
    mark = "✅" if loadtest["passed"] else "❌"
    lines = [
        f"### {mark} Load test",
        "",
        f"{loadtest['requests']} requests, {loadtest['rps']:.0f} RPS, p50 {loadtest['p50_ms']:.0f} ms.",
        "",
        "| SLO | limit | measured | |",
        "| --- | ---: | ---: | --- |",
        *(
            f"| {v['slo']} | {v['limit']:g} | {v['measured']:g} | {'✅' if v['passed'] else '❌'} |"
            for v in loadtest["verdicts"]
        ),
    ]
    return "\n".join(lines)


VERDICTS = {
    "promote": "🏆 promote: the challenger beats the champion",
    "keep": "⏸️ keep: the champion stays",
    "first": "🥇 first: no champion yet; the challenger clears the floors",
}


def _number(value: float | None, signed: bool = False) -> str:
    if value is None:
        return ""
    return f"{value:+.4f}" if signed else f"{value:.4f}"


def _delta_rows(label: str, deltas: dict) -> list[str]:
    rows = []
    for name, value in deltas.items():
        if "delta" in value:
            interval = f"{_number(value['ci_low'], True)} to {_number(value['ci_high'], True)}"
            rows.append(
                f"| {label}{name} | {_number(value['champion'])} | {_number(value['challenger'])} "
                f"| {_number(value['delta'], True)} | {interval} |"
            )
        else:
            rows.append(f"| {label}{name} | | {_number(value['challenger'])} | | |")
    return rows


def compare_markdown(report: dict) -> str:
    """compare.json for reviewers: the decision and its reasons first, then the numbers behind it."""
    champion, challenger = report["champion"], report["challenger"]
    against = f"champion version {champion['version']}" if champion else "no champion"
    boot = report["bootstrap"]
    lines = [
        f"### Champion vs challenger: {VERDICTS[report['decision']]}",
        "",
        f"Challenger version {challenger['version']} against {against}, both on the same "
        f"{report['holdout']['rows']} holdout rows ({report['holdout']['data_version']}).",
        "",
        *(f"- {reason}" for reason in report["reasons"]),
        "",
        f"| metric | champion | challenger | delta | {boot['confidence']:.0%} interval |",
        "| --- | ---: | ---: | ---: | --- |",
        *_delta_rows("", report["metrics"]),
    ]
    primary = report["primary_metric"]
    for column, segments in report["slices"].items():
        for segment, deltas in segments.items():
            lines += _delta_rows(f"{column}={segment}: ", {primary: deltas[primary]})
    lines += ["", "| cost | champion | challenger |", "| --- | ---: | ---: |"]
    for key, label in (
        ("row_ms", "ms per row, one at a time"),
        ("batch_row_ms", "ms per row in a batch"),
        ("size_mb", "size, MB"),
    ):
        lines.append(f"| {label} | {champion[key] if champion else ''} | {challenger[key]} |")
    lines += [
        "",
        f"Intervals: paired bootstrap, {boot['resamples']} resamples, seed {boot['seed']}. "
        "Rules: `compare:` in params.yaml.",
    ]
    return "\n".join(lines)
