"""report: gather earlier stages' results into reports/summary.md, which CI shows to reviewers."""

from __future__ import annotations

from ..config import Paths
from ..core.report import (
    compare_markdown,
    junit_markdown,
    loadtest_markdown,
    metrics_markdown,
    pipeline_markdown,
    summarise_junit,
)
from ..io.files import read_json, write_atomic


def sections(paths: Paths) -> list[str]:
    found = [
        junit_markdown(xml.stem, summarise_junit(xml.read_text(encoding="utf-8")))
        for xml in sorted(paths.junit.glob("*.xml"))
    ]
    if paths.metrics.is_file():
        found.append(metrics_markdown(read_json(paths.metrics)))
    if paths.loadtest_summary.is_file():
        found.append(loadtest_markdown(read_json(paths.loadtest_summary)))
    if paths.compare.is_file():
        found.append(compare_markdown(read_json(paths.compare)))
    return found


def run(paths: Paths) -> None:
    markdown = pipeline_markdown(sections(paths))
    write_atomic(paths.summary, lambda tmp: tmp.write_text(markdown, encoding="utf-8"))
    print(markdown)
