"""report: every stage's results in one report, reports/report.md and reports/report.html, posted as one
comment on the pull or merge request, updated in place. Runs last, also after a failed stage.

The verdict is the first line; a stage without results reads "not run" and names where the pipeline
stopped. Posting is chosen from the CI environment (GitHub Actions, GitLab CI, Jenkins with CHANGE_URL and a
REPORT_TOKEN); outside CI, without a token, from a fork or on an API error it is skipped with one line
(`--strict`: an API error fails the stage). On GitHub the report is also the job summary.
"""

from __future__ import annotations

import argparse
import csv
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from xml.etree import ElementTree

from ..artefacts import (
    Artefact,
    Comparison,
    Deployment,
    DriftCheck,
    Evaluation,
    LoadTest,
    Promotion,
    Reproduction,
    Validation,
)
from ..config import DEFAULT_BRANCH, PROJECT, Paths
from ..core.charts import Curve
from ..core.report import Context, Report, Results, build, summarise_junit, to_markdown
from ..core.report_html import to_html
from ..errors import PostError, UserError
from ..io import forge
from ..io.files import write_atomic
from ..io.versions import git_branch, git_commit, git_parents, off_default_branch
from .pipeline import DEFAULT_BRANCH_ONLY, ORDER, SCHEDULED

A = TypeVar("A", bound=Artefact)
R = TypeVar("R")
READS = ("validate", "test", "repro", "model-tests", "loadtest", "compare", "promote", "deploy")
MARKER = f"<!-- {PROJECT}-report -->"
"""Hidden in our comment: how the next run finds it (with our author) to update it."""


def outputs(paths: Paths) -> list[Path]:
    return [paths.report_markdown, paths.report_html]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail when the forge refuses the comment (default: one line, and the pipeline goes on)",
    )


def _read(cls: type[A], path: Path) -> A | None:
    return cls.read(path) if path.is_file() else None


def _junit(path: Path):
    if not path.is_file():
        return None
    try:
        return summarise_junit(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ElementTree.ParseError) as error:
        raise UserError(f"{path}: not a JUnit report ({error})") from None


def _curve(path: Path, title: str, x: str, y: str, diagonal: bool = False) -> tuple[Curve, ...]:
    if not path.is_file():
        return ()
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            points = tuple((float(row[x]), float(row[y])) for row in csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, KeyError, TypeError, ValueError) as error:
        raise UserError(f"{path}: not a {title} ({type(error).__name__}: {error})") from None
    return (Curve(title, x, y, points, diagonal),)


def skipped(paths: Paths, drift: DriftCheck | None) -> dict[str, str]:
    """The stages this pipeline does not run, and why."""
    found = {}
    if reason := off_default_branch(paths.root, DEFAULT_BRANCH):
        found |= dict.fromkeys(DEFAULT_BRANCH_ONLY, reason)
    if drift is not None:
        found |= {name: "not part of the scheduled pipeline" for name in ORDER if name not in SCHEDULED}
        if not drift.retrain:
            found |= dict.fromkeys(SCHEDULED[SCHEDULED.index("validate") + 1 :], "no retraining needed")
    return found


def results(paths: Paths) -> Results:
    """What the stages left in reports/ (and models/): missing files are parts that did not run, damaged ones
    parts that failed (the rest of the report is made all the same). repro's scores and curves count only
    beside reports/repro.json: DVC keeps them from an earlier run when repro fails."""
    unreadable: dict[str, str] = {}

    def read(stage: str, reader: Callable[[], R]) -> R | None:
        try:
            return reader()
        except UserError as error:
            unreadable[stage] = str(error)
            return None

    drift = read("drift", lambda: _read(DriftCheck, paths.drift))
    marker = read("repro", lambda: _read(Reproduction, paths.reproduced))
    reproduced = marker is not None

    def evaluation() -> Evaluation | None:
        found = _read(Evaluation, paths.evaluation)
        if found is not None and marker is not None and found.model.version != marker.version:
            raise UserError(
                f"{paths.shown(paths.evaluation)}: the scores of model version {found.model.version}, but "
                f"repro trained version {marker.version} ({paths.shown(paths.reproduced)})"
            )
        return found

    def curves() -> tuple[Curve, ...]:
        roc = _curve(paths.plots / "roc.csv", "ROC curve (test set)", "fpr", "tpr", diagonal=True)
        title = "Precision-recall curve (test set)"
        return (*roc, *_curve(paths.plots / "precision_recall.csv", title, "recall", "precision"))

    return Results(
        drift=drift,
        validation=read("validate", lambda: _read(Validation, paths.validation)),
        unit_tests=read("test", lambda: _junit(paths.junit / "unit.xml")),
        evaluation=read("repro", evaluation) if reproduced else None,
        model_tests=read("model-tests", lambda: _junit(paths.junit / "model.xml")),
        loadtest=read("loadtest", lambda: _read(LoadTest, paths.loadtest)),
        comparison=read("compare", lambda: _read(Comparison, paths.comparison)),
        promotion=read("promote", lambda: _read(Promotion, paths.promotion)),
        deployment=read("deploy", lambda: _read(Deployment, paths.deploy_report)),
        curves=(read("repro", curves) or ()) if reproduced else (),
        skipped=skipped(paths, drift),
        unreadable=unreadable,
    )


def context(paths: Paths, env: dict[str, str]) -> Context:
    if env.get("GITHUB_RUN_ID"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        run_url = f"{server}/{env.get('GITHUB_REPOSITORY', '')}/actions/runs/{env['GITHUB_RUN_ID']}"
    else:
        run_url = env.get("CI_PIPELINE_URL") or env.get("BUILD_URL")
    checked_out, head = git_commit(paths.root), forge.head_commit(env)
    if head is not None and checked_out is not None and head in git_parents(paths.root):
        # The change merged into its target (GitHub's refs/pull/N/merge, GitLab's merged results)
        return Context(PROJECT, head, git_branch(paths.root), run_url, tested=checked_out)
    return Context(PROJECT, checked_out or head, git_branch(paths.root), run_url)


def post(report: Report, markdown: str, env: dict[str, str], strict: bool) -> None:
    """The comment on the pull or merge request, or one line saying why not."""
    thread = forge.thread_from_env(env)
    if isinstance(thread, str):
        if "fork" in thread and env.get("GITHUB_ACTIONS") == "true":
            print(f"::notice title=Pipeline report::{thread}")
        print(f"report: not posted: {thread}")
        return
    try:
        print(f"report: {forge.upsert(thread, markdown, MARKER)}")
    except forge.ForgeError as error:
        if strict:
            raise PostError(f"report: not posted to {thread.name}: {error}") from None
        print(f"report: not posted to {thread.name}: {error}")


def run(paths: Paths, strict: bool = False) -> None:
    env = dict(os.environ)
    report = build(results(paths), context(paths, env))
    markdown = to_markdown(report)
    write_atomic(paths.report_markdown, lambda tmp: tmp.write_text(markdown, encoding="utf-8"))
    html = to_html(report)
    write_atomic(paths.report_html, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    if summary := env.get("GITHUB_STEP_SUMMARY"):
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(markdown)
    print(markdown)
    print(f"report: {paths.shown(paths.report_markdown)}, {paths.shown(paths.report_html)}")
    post(report, markdown, env, strict)
