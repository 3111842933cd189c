"""pipeline: a run's report tells that run's story, whatever an earlier run left in reports/."""

from __future__ import annotations

import pandas as pd
import pytest

from {{ cookiecutter.package }}.cli import main
from {{ cookiecutter.package }}.stages.pipeline import ORDER, SCHEDULED, earlier_results, stage

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("first-champion")]

PASSED_UNIT_TESTS = """<testsuite name="pytest" tests="1" failures="0" errors="0" skipped="0" time="0.1">
<testcase classname="tests.test_cli" name="test_help" time="0.1"/></testsuite>"""


def test_a_damaged_result_fails_its_part_and_the_rest_is_reported(registry, capsys):
    """A unit-test report cut short (the runner was killed): the report names it as the failed part, and still
    shows every other stage's results, so the pull request gets its comment."""
    paths = registry.paths
    assert main(["validate"]) == 0
    paths.junit.mkdir(parents=True, exist_ok=True)
    (paths.junit / "unit.xml").write_text(PASSED_UNIT_TESTS[:60], encoding="utf-8")

    assert main(["report"]) == 0

    report = paths.report_markdown.read_text(encoding="utf-8")
    verdict = report.splitlines()[0]
    assert verdict.startswith("## ❌"), verdict
    assert f"stopped at test: results unreadable: {paths.junit / 'unit.xml'}: not a JUnit report (" in verdict
    assert "### ✅ Champion vs challenger" in report  # compare's results, shown all the same


def test_a_run_that_stops_at_validate_shows_no_earlier_runs_results(registry, capsys):
    """The earlier run: first_champion's compare and promote, and passing unit tests. The data of this
    run breaks its contract: the report says so, and each later stage reads "not run", not earlier figures."""
    paths = registry.paths
    paths.junit.mkdir(parents=True, exist_ok=True)
    (paths.junit / "unit.xml").write_text(PASSED_UNIT_TESTS, encoding="utf-8")
    assert paths.comparison.is_file()
    assert paths.promotion.is_file()
    model = paths.trained.read_bytes()
    pd.read_csv(paths.raw_data).drop(columns=["age"]).to_csv(paths.raw_data, index=False)

    assert main(["pipeline"]) == 1

    report = paths.report_markdown.read_text(encoding="utf-8")
    verdict = report.splitlines()[0]
    assert verdict.startswith("## ❌")
    assert "stopped at validate" in verdict
    for title in ("Unit tests", "Champion vs challenger", "Promotion"):
        assert f"### ⚪ {title}\n\nnot run: the pipeline stopped at `validate`" in report, title
    assert not paths.comparison.exists()
    assert not paths.promotion.exists()
    assert paths.trained.read_bytes() == model  # the model, its store and its champion stay
    assert registry.aliases() == {"champion": "1"}


def test_clear_removes_what_the_stages_leave_for_the_report_but_repros_outputs(project, capsys):
    stages = dict.fromkeys((*ORDER, *SCHEDULED))
    reports = project.root / "reports"
    left = {path for name in stages if name != "repro" for path in stage(name).outputs(project)}
    # repro's DVC outputs stay (DVC keeps them while the model they describe is current); its marker goes
    kept = set(stage("repro").outputs(project)) - {project.reproduced}
    assert set(earlier_results(project)) == {path for path in left if path.is_relative_to(reports)} | {
        project.reproduced
    }
    assert not set(earlier_results(project)) & kept

    assert main(["pipeline", "--clear"]) == 0
    assert capsys.readouterr().out == "pipeline: removed nothing: no earlier results\n"
    project.comparison.parent.mkdir(parents=True, exist_ok=True)
    project.comparison.write_text("{}", encoding="utf-8")
    (project.junit / "unit.xml").parent.mkdir(parents=True)
    (project.junit / "unit.xml").write_text(PASSED_UNIT_TESTS, encoding="utf-8")
    assert main(["pipeline", "--clear"]) == 0
    assert capsys.readouterr().out == "pipeline: removed reports/junit/unit.xml, reports/compare.json\n"
    assert not project.comparison.exists()
