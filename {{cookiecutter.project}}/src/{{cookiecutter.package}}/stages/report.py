"""report: gather earlier stages' results into reports/summary.md, which CI shows to reviewers."""

from __future__ import annotations

from pathlib import Path

from ..artefacts import Comparison, Evaluation, LoadTest
from ..config import Paths
from ..core.report import (
    comparison_markdown,
    evaluation_markdown,
    junit_markdown,
    loadtest_markdown,
    pipeline_markdown,
    summarise_junit,
)
from ..io.files import write_atomic

READS = ("validate", "test", "repro", "model-tests", "loadtest", "compare")


def outputs(paths: Paths) -> list[Path]:
    return [paths.summary]


def sections(paths: Paths) -> list[str]:
    found = [
        junit_markdown(xml.stem, summarise_junit(xml.read_text(encoding="utf-8")))
        for xml in sorted(paths.junit.glob("*.xml"))
    ]
    if paths.evaluation.is_file():
        found.append(evaluation_markdown(Evaluation.read(paths.evaluation)))
    if paths.loadtest.is_file():
        found.append(loadtest_markdown(LoadTest.read(paths.loadtest)))
    if paths.comparison.is_file():
        found.append(comparison_markdown(Comparison.read(paths.comparison)))
    return found


def run(paths: Paths) -> None:
    markdown = pipeline_markdown(sections(paths))
    write_atomic(paths.summary, lambda tmp: tmp.write_text(markdown, encoding="utf-8"))
    print(markdown)
