"""The pipeline report: every stage's results as one typed Report (verdict first, one Part per stage), and
that report as Markdown for a pull-request comment or a CI summary.

Pure: the report stage reads the artefacts and JUnit files and hands them here as Results.
A stage without results is a Part that reads "not run" and names the stage that stopped the pipeline.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from typing import Literal

from ..artefacts import (
    Comparison,
    Deployment,
    DriftCheck,
    Evaluation,
    LoadTest,
    Promotion,
    Score,
    Validation,
)
from .charts import Bars, Chart, Curve, Matrix, Series, mermaid, table_rows
from .drift import Shift

Status = Literal["passed", "failed", "skipped", "not run"]
MARKS: dict[Status, str] = {"passed": "✅", "failed": "❌", "skipped": "⏭️", "not run": "⚪"}
MARKDOWN_LIMIT = 60_000
"""GitHub refuses comments over 65,536 characters; GitLab notes allow 1,000,000."""


@dataclass(frozen=True)
class JUnitSummary:
    tests: int
    failures: int
    errors: int
    skipped: int
    seconds: float
    failed: list[str] = field(default_factory=list)
    suites: dict[str, int] = field(default_factory=dict)
    """Tests per module (the JUnit classname without its test function)."""

    @property
    def passed(self) -> int:
        return self.tests - self.failures - self.errors - self.skipped

    @property
    def ok(self) -> bool:
        return self.failures == 0 and self.errors == 0


def summarise_junit(xml_text: str) -> JUnitSummary:
    """Counts, tests per module and failing test ids from a pytest JUnit XML report (xunit1 or xunit2)."""
    root = ET.fromstring(xml_text)
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    failed: list[str] = []
    modules: dict[str, int] = {}
    for case in root.iter("testcase"):
        module = case.get("classname", "") or "(no module)"
        modules[module] = modules.get(module, 0) + 1
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(f"{case.get('classname', '')}::{case.get('name', '')}".lstrip(":"))
    return JUnitSummary(
        tests=sum(int(suite.get("tests", 0)) for suite in suites),
        failures=sum(int(suite.get("failures", 0)) for suite in suites),
        errors=sum(int(suite.get("errors", 0)) for suite in suites),
        skipped=sum(int(suite.get("skipped", 0)) for suite in suites),
        seconds=round(sum(float(suite.get("time", 0)) for suite in suites), 1),
        failed=failed,
        suites=dict(sorted(modules.items())),
    )


# -- the report's building blocks ------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    caption: str = ""


Block = str | Table | Bullets | Chart
"""A paragraph (inline `code` allowed), a table, a list or a chart."""


@dataclass(frozen=True)
class Part:
    """One stage's results: its status, one line for reviewers, and the details behind it."""

    stage: str
    title: str
    status: Status
    headline: str
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Context:
    """Where the report comes from: shown under the verdict."""

    project: str
    commit: str | None = None
    """The commit under review: a pull or merge request's head, else the one checked out."""
    branch: str | None = None
    run_url: str | None = None
    tested: str | None = None
    """The merge commit the run checked out and tested, when it is not `commit` (GitHub pull request runs,
    GitLab merged-results pipelines: the change merged into its target)."""


@dataclass(frozen=True)
class Report:
    context: Context
    verdict: Status
    headline: str
    parts: tuple[Part, ...]

    @property
    def title(self) -> str:
        return f"{MARKS[self.verdict]} {self.context.project} pipeline: {self.headline}"


@dataclass(frozen=True)
class Results:
    """What the stages left behind; None where a stage wrote nothing."""

    drift: DriftCheck | None = None
    """The scheduled run's drift check; None in a push or change-request pipeline."""
    validation: Validation | None = None
    unit_tests: JUnitSummary | None = None
    evaluation: Evaluation | None = None
    model_tests: JUnitSummary | None = None
    loadtest: LoadTest | None = None
    comparison: Comparison | None = None
    promotion: Promotion | None = None
    deployment: Deployment | None = None
    curves: tuple[Curve, ...] = ()
    """The evaluation's ROC and precision-recall curves (HTML only)."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Stages that do not run in this pipeline, and why (promote off the default branch, the stages of a
    scheduled run that found no retraining needed)."""
    unreadable: dict[str, str] = field(default_factory=dict)
    """Stages whose results are damaged (a file cut short, an edited artefact), with the one-line reason: each
    such part fails, and the rest of the report is made all the same."""


# -- one part per stage ----------------------------------------------------------------------------------


def _shift_table(shifts: tuple[Shift, ...], caption: str) -> Table:
    return Table(
        ("column", "statistic", "value", "limit", ""),
        tuple(
            (
                shift.column,
                shift.statistic,
                f"{shift.value:.4f}",
                f"{shift.limit:g}",
                "✅" if shift.ok else "❌",
            )
            for shift in shifts
        ),
        caption,
    )


def drift_part(drift: DriftCheck) -> Part:
    verdict = "retraining needed" if drift.retrain else "no retraining needed"
    blocks: list[Block] = [
        Bullets(drift.reasons, "Why:"),
        f"Data: {drift.rows} rows of `{drift.data}`; {drift.refreshed}",
    ]
    if drift.reference:
        blocks.append(f"Reference: {drift.reference}")
    drifted = tuple(shift for shift in drift.shifts if not shift.ok)
    if drift.shifts:
        blocks.append(_shift_table(drifted or drift.shifts, "Drifted columns:" if drifted else "Columns:"))
    return Part("drift", "Drift check", "passed", f"{verdict}: {'; '.join(drift.reasons)}", tuple(blocks))


def validation_part(validation: Validation) -> Part:
    failed = [outcome for outcome in validation.expectations if not outcome.success]
    checks = len(validation.expectations)
    if validation.valid:
        headline = f"{validation.rows} rows of `{validation.data}` keep the contract ({checks} checks)"
    else:
        headline = f"`{validation.data}` breaks the contract: {len(validation.problems)} problem(s)"
    blocks: list[Block] = []
    if validation.problems:
        blocks.append(Bullets(tuple(validation.problems), "Problems:"))
    if failed:
        blocks.append(
            Table(
                ("column", "expectation", "expected", "observed", "unexpected"),
                tuple(
                    (
                        outcome.column or "(table)",
                        outcome.expectation,
                        outcome.expected,
                        _short(str(outcome.observed)),
                        _unexpected(outcome.unexpected_count, outcome.unexpected_examples),
                    )
                    for outcome in failed
                ),
                "Failed expectations:",
            )
        )
    if validation.value_skew:
        blocks.append(_shift_table(validation.value_skew, "Drift from the reference:"))
    blocks += [f"Note: {note}" for note in validation.notes]
    return Part(
        "validate", "Data validation", "passed" if validation.valid else "failed", headline, tuple(blocks)
    )


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unexpected(count: int | None, examples: tuple[str, ...]) -> str:
    if count is None:
        return ""
    shown = ", ".join(examples[:3])
    return f"{count} (e.g. {_short(shown, 40)})" if shown else str(count)


def tests_part(stage: str, title: str, summary: JUnitSummary) -> Part:
    headline = (
        f"{summary.passed} passed, {summary.failures} failed, {summary.errors} errors, "
        f"{summary.skipped} skipped in {summary.seconds:.1f} s"
    )
    blocks: list[Block] = []
    if summary.failed:
        blocks.append(Bullets(tuple(f"`{test}`" for test in summary.failed), "Failing:"))
    if summary.suites:
        blocks.append(
            Table(
                ("module", "tests"),
                tuple((f"`{name}`", str(count)) for name, count in summary.suites.items()),
            )
        )
    return Part(stage, title, "passed" if summary.ok else "failed", headline, tuple(blocks))


def training_part(evaluation: Evaluation, curves: tuple[Curve, ...] = ()) -> Part:
    primary = evaluation.primary_metric
    model = evaluation.model
    score = f"{primary} {evaluation.primary:.4f}"
    headline = f"{model.name} version {model.version}: {score} on {evaluation.rows} test rows"
    blocks: list[Block] = [
        Table(("metric", "test"), tuple((name, f"{value:.4f}") for name, value in evaluation.test.items())),
    ]
    for column, segments in evaluation.slices.items():
        blocks.append(
            Table(
                (column, "rows", primary, "accuracy"),
                tuple(
                    (
                        segment,
                        f"{scores['rows']:.0f}",
                        _four(scores.get(primary)),
                        _four(scores.get("accuracy")),
                    )
                    for segment, scores in segments.items()
                ),
                f"Per `{column}`:",
            )
        )
        blocks.append(
            Bars(
                f"{primary} per {column} (test set)",
                primary,
                tuple(segments),
                (Series(primary, tuple(float(scores.get(primary, 0.0)) for scores in segments.values())),),
                in_markdown=False,
            )
        )
    confusion = evaluation.confusion
    blocks.append(
        Matrix(
            f"Confusion matrix at threshold {evaluation.threshold:g}",
            ("negative", "positive"),
            ((confusion.tn, confusion.fp), (confusion.fn, confusion.tp)),
        )
    )
    return Part("repro", "Training", "passed", headline, (*blocks, *curves))


def _four(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def loadtest_part(loadtest: LoadTest) -> Part:
    stats = loadtest.stats
    headline = (
        f"{stats.rps:.0f} RPS, p50 {stats.p50_ms:.0f} ms, p95 {stats.p95_ms:.0f} ms, "
        f"p99 {stats.p99_ms:.0f} ms, "
        f"failure ratio {stats.failure_ratio:.4f}"
    )
    missed = [check.message for check in loadtest.checks if not check.passed]
    if missed:
        headline = f"SLO missed: {'; '.join(missed)}"
    latency = Bars(
        "Latency against its SLOs",
        "ms",
        ("p95", "p99"),
        (Series("measured", (stats.p95_ms, stats.p99_ms)),),
        Series("SLO", (loadtest.slo.p95_ms, loadtest.slo.p99_ms)),
    )
    checks = Table(
        ("SLO", "limit", "measured", ""),
        tuple(
            (check.slo, f"{check.limit:g}", f"{check.measured:g}", "✅" if check.passed else "❌")
            for check in loadtest.checks
        ),
    )
    return Part(
        "loadtest",
        "Load test",
        "passed" if loadtest.passed else "failed",
        headline,
        (f"{stats.requests} requests, {stats.failures} failed.", checks, latency),
    )


DECISION_HEADLINES = {
    "promote": "🏆 promote: the challenger beats the champion",
    "keep": "⏸️ keep: the champion stays",
    "first": "🥇 first: no champion yet; the challenger clears the floors",
}


def _signed(value: float | None) -> str:
    return "" if value is None else f"{value:+.4f}"


def _score_row(label: str, score: Score) -> tuple[str, ...]:
    if score.delta is None:
        return (label, "", _four(score.challenger), "", "")
    return (
        label,
        _four(score.champion),
        _four(score.challenger),
        _signed(score.delta),
        f"{_signed(score.ci_low)} to {_signed(score.ci_high)}",
    )


def comparison_part(comparison: Comparison) -> Part:
    """The comparison for reviewers: the decision and its reasons first, then the numbers behind it.
    Every decision is a normal outcome: "keep" passes too."""
    champion, challenger = comparison.champion, comparison.challenger
    against = f"champion version {champion.version}" if champion else "no champion"
    boot = comparison.bootstrap
    primary = comparison.primary_metric
    scores = Table(
        ("metric", "champion", "challenger", "delta", f"{boot.confidence:.0%} interval"),
        tuple(_score_row(name, score) for name, score in comparison.scores.items())
        + tuple(
            _score_row(f"{column}={segment}: {primary}", scores[primary])
            for column, segments in comparison.slices.items()
            for segment, scores in segments.items()
        ),
    )
    blocks: list[Block] = [
        f"Challenger version {challenger.version} against {against}, both on the same "
        f"{comparison.holdout.rows} holdout rows ({comparison.holdout.data_version}).",
        Bullets(tuple(comparison.reasons)),
        scores,
    ]
    deltas = [
        (f"{column}={segment}", scores[primary].delta)
        for column, segments in comparison.slices.items()
        for segment, scores in segments.items()
    ]
    if deltas and all(delta is not None for _, delta in deltas):
        blocks.append(
            Bars(
                f"{primary}: challenger minus champion, per slice",
                f"delta {primary}",
                tuple(label for label, _ in deltas),
                (Series(f"delta {primary}", tuple(float(delta or 0) for _, delta in deltas)),),
            )
        )
    blocks.append(
        Table(
            ("cost", "champion", "challenger"),
            tuple(
                (label, str(getattr(champion, key)) if champion else "", str(getattr(challenger, key)))
                for key, label in (
                    ("row_ms", "ms per row, one at a time"),
                    ("batch_row_ms", "ms per row in a batch"),
                    ("size_mb", "size, MB"),
                )
            ),
        )
    )
    blocks.append(
        f"Intervals: paired bootstrap, {boot.resamples} resamples, seed {boot.seed}. "
        "Rules: `compare:` in params.yaml."
    )
    return Part(
        "compare", "Champion vs challenger", "passed", DECISION_HEADLINES[comparison.decision], tuple(blocks)
    )


def promotion_part(promotion: Promotion) -> Part:
    if promotion.promoted:
        headline = f"champion -> version {promotion.version}"
    else:
        headline = f"version {promotion.version} not promoted: {promotion.reason}"
    return Part("promote", "Promotion", "passed", headline, (promotion.reason,) if promotion.promoted else ())


def deployment_part(deployment: Deployment) -> Part:
    where = f"{deployment.target}, {deployment.strategy}"
    status: Status
    if deployment.outcome == "rolled_back":
        status, headline = "failed", f"rolled back to version {deployment.after} ({where})"
    elif deployment.outcome == "failed":
        status, headline = "failed", f"failed, rolling back too: version {deployment.after} serves ({where})"
    elif deployment.outcome == "skipped":
        status, headline = (
            "skipped",
            f"nothing deployed: {'; '.join(deployment.reasons) or 'nothing to deploy'}",
        )
    elif deployment.outcome == "unchanged":
        status, headline = "passed", f"version {deployment.after} already serves ({where})"
    else:
        status, headline = (
            "passed",
            f"version {deployment.before or '(none)'} -> {deployment.after} ({where})",
        )
    blocks: list[Block] = []
    if deployment.reasons and deployment.outcome != "skipped":
        blocks.append(Bullets(tuple(deployment.reasons), "Why:"))
    if deployment.steps:
        blocks.append(Bullets(tuple(deployment.steps), "Steps (smoke tests included):"))
    if deployment.image:
        blocks.append(
            f"Image `{deployment.image}`" + (f" (`{deployment.digest}`)" if deployment.digest else "")
        )
    return Part("deploy", "Deployment", status, headline, tuple(blocks))


STAGES = (
    ("validate", "Data validation"),
    ("test", "Unit tests"),
    ("repro", "Training"),
    ("model-tests", "Model tests"),
    ("loadtest", "Load test"),
    ("compare", "Champion vs challenger"),
    ("promote", "Promotion"),
    ("deploy", "Deployment"),
)
"""The report's parts, in the pipeline's order (the stages that leave results)."""


def build(results: Results, context: Context) -> Report:
    """Every stage's part, in order; the first failed part is the verdict's reason."""
    found: dict[str, Part | None] = {
        "validate": validation_part(results.validation) if results.validation else None,
        "test": tests_part("test", "Unit tests", results.unit_tests) if results.unit_tests else None,
        "repro": training_part(results.evaluation, results.curves) if results.evaluation else None,
        "model-tests": (
            tests_part("model-tests", "Model tests", results.model_tests) if results.model_tests else None
        ),
        "loadtest": loadtest_part(results.loadtest) if results.loadtest else None,
        "compare": comparison_part(results.comparison) if results.comparison else None,
        "promote": promotion_part(results.promotion) if results.promotion else None,
        "deploy": deployment_part(results.deployment) if results.deployment else None,
    }
    parts: list[Part] = [drift_part(results.drift)] if results.drift else []
    if "drift" in results.unreadable:
        parts = [Part("drift", "Drift check", "failed", f"results unreadable: {results.unreadable['drift']}")]
    stopped: str | None = None
    how = "at"
    for stage, title in STAGES:
        part = found[stage]
        if stage in results.unreadable:
            part = Part(stage, title, "failed", f"results unreadable: {results.unreadable[stage]}")
        if stage in results.skipped:  # what an earlier run left here is not this pipeline's
            part = Part(stage, title, "skipped", f"skipped: {results.skipped[stage]}")
        elif part is None:
            if stopped:
                part = Part(stage, title, "not run", f"not run: the pipeline stopped {how} `{stopped}`")
            else:
                stopped, how = stage, "before"
                part = Part(
                    stage, title, "not run", f"not run: no results; the pipeline stopped before `{stage}`"
                )
        elif part.status == "failed" and not stopped:
            stopped = stage
        parts.append(part)
    if results.drift and not results.drift.retrain and not stopped:
        headline = f"no retraining needed: {'; '.join(results.drift.reasons)}"
        return Report(context, "passed", headline, tuple(parts))
    return Report(context, *_verdict(parts, stopped, how), tuple(parts))


def _verdict(parts: list[Part], stopped: str | None, how: str) -> tuple[Status, str]:
    by_stage = {part.stage: part for part in parts}
    if stopped and how == "before":
        return "failed", f"stopped before {stopped}: no results from it or from a stage before it"
    if stopped:
        return "failed", f"stopped at {stopped}: {by_stage[stopped].headline}"
    outcome = [by_stage["compare"].headline]
    if by_stage["deploy"].status != "skipped":
        outcome.append(f"deployed {by_stage['deploy'].headline}")
    return "passed", "; ".join(outcome)


# -- Markdown ---------------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(headers: tuple[str, ...] | list[str], rows) -> str:
    align = ["---", *("---:" if _numeric(rows, i) else "---" for i in range(1, len(headers)))]
    lines = [
        "| " + " | ".join(_cell(header) for header in headers) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(_cell(value) for value in row) + " |" for row in rows),
    ]
    return "\n".join(lines)


def _numeric(rows, column: int) -> bool:
    return any(re.fullmatch(r"[-+]?[\d.]+(e[-+]?\d+)?", row[column] or "") for row in rows)


def block_markdown(block: Block) -> str:
    if isinstance(block, str):
        return block
    if isinstance(block, Table):
        table = markdown_table(block.headers, block.rows)
        return f"{block.caption}\n\n{table}" if block.caption else table
    if isinstance(block, Bullets):
        items = "\n".join(f"- {item}" for item in block.items)
        return f"{block.caption}\n\n{items}" if block.caption else items
    if isinstance(block, Bars):
        if not block.in_markdown:
            return ""
        headers, rows = table_rows(block)
        return f"{mermaid(block)}\n\n{markdown_table(headers, rows)}"
    if isinstance(block, Matrix):
        headers = ("actual \\ predicted", *block.labels)
        rows = [
            (label, *(str(count) for count in row))
            for label, row in zip(block.labels, block.counts, strict=True)
        ]
        return f"{block.title}:\n\n{markdown_table(headers, rows)}"
    return ""  # curves: in the HTML report only


def part_markdown(part: Part, details: bool = True) -> str:
    head = f"### {MARKS[part.status]} {part.title}\n\n{part.headline}"
    body = "\n\n".join(text for text in (block_markdown(block) for block in part.blocks) if text)
    if not body:
        return head
    if not details:
        return f"{head}\n\n{body}"
    return f"{head}\n\n<details><summary>Details</summary>\n\n{body}\n\n</details>"


def _context_line(context: Context) -> str:
    bits = []
    if context.commit:
        tested = f" (tested merged into its target: `{context.tested[:12]}`)" if context.tested else ""
        bits.append(f"commit `{context.commit[:12]}`{tested}")
    if context.branch:
        bits.append(f"branch `{context.branch}`")
    if context.run_url:
        bits.append(f"[pipeline run]({context.run_url})")
    return " · ".join(bits)


def to_markdown(report: Report, limit: int = MARKDOWN_LIMIT) -> str:
    """The verdict as the first line, a table of the stages, then each part with its details folded.
    Over `limit` characters, the longest details are cut, each with a note, until it fits."""
    parts = list(report.parts)

    def render() -> str:
        overview = markdown_table(
            ("stage", "result"), [(f"{MARKS[part.status]} `{part.stage}`", part.headline) for part in parts]
        )
        context = _context_line(report.context)
        return (
            "\n\n".join(
                [
                    f"## {report.title}",
                    *([context] if context else []),
                    overview,
                    *(part_markdown(part) for part in parts),
                ]
            )
            + "\n"
        )

    note = "Details cut to keep this comment under GitHub's size limit: see the HTML report (report.html)."
    text = render()
    uncut = [i for i, part in enumerate(parts) if part.blocks]
    while len(text) > limit and uncut:
        longest = max(uncut, key=lambda i: len(part_markdown(parts[i])))
        uncut.remove(longest)
        parts[longest] = replace(parts[longest], blocks=(note,))
        text = render()
    return text if len(text) <= limit else text[: limit - 40] + "\n\n(cut at the size limit)\n"


def comparison_markdown(comparison: Comparison) -> str:
    """reports/compare.md: the compare stage's own part, unfolded."""
    return part_markdown(comparison_part(comparison), details=False) + "\n"
