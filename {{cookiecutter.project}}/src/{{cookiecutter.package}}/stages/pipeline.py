"""pipeline: every CI stage, in CI's order; what CI runs, one job per stage, runs here in one go.

`--scheduled` is the scheduled pipeline (continuous training): `drift` first, then, only when it finds
retraining needed, the stages that retrain, compare and deploy; otherwise it ends green with the reasons.

ORDER is the one definition of the CI stages: GitHub, GitLab and Jenkins run exactly these, one job
each, and a test checks that they do. Each stage module says what it reads from earlier stages (READS)
and hands on to later ones (outputs); `pipeline --plan` prints both, which is what the CI definitions'
artifact lists must carry. SCHEDULED is the scheduled pipeline's order; the three CI systems run it as one
job, `pipeline --scheduled`, because only drift's outcome says which of its stages run.

A run starts by removing the results an earlier run left for the report (`--clear` does only that: Jenkins
runs it first, as its workspace outlives a build; GitHub's and GitLab's jobs start from a clean checkout).
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
from pathlib import Path
from types import ModuleType

from ..artefacts import DriftCheck
from ..config import DEFAULT_BRANCH, Paths
from ..errors import StageError, UserError
from ..io.versions import off_default_branch

ORDER = (
    "validate", "lint", "test", "repro", "model-tests", "loadtest", "compare", "promote", "deploy", "report",
)  # fmt: skip
SCHEDULED = (
    "drift", "validate", "repro", "model-tests", "loadtest", "compare", "promote", "deploy", "report",
)  # fmt: skip
"""The scheduled run: no lint or test (its commit's code passed them when it was pushed)."""
ALWAYS = ("report",)
"""Stages that run also after an earlier stage failed: the report says where the pipeline stopped."""
DEFAULT_BRANCH_ONLY = ("promote", "deploy")
"""Stages that run only for the default branch: never for a pull request or another branch."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument(
        "--list",
        dest="show",
        action="store_const",
        const="list",
        help="print the CI stages in order and exit",
    )
    shown.add_argument(
        "--plan",
        dest="show",
        action="store_const",
        const="plan",
        help="print each CI stage, what it reads and hands on, as JSON, and exit",
    )
    shown.add_argument(
        "--clear",
        dest="show",
        action="store_const",
        const="clear",
        help="remove the results an earlier run left for the report (not the model, data or MLflow store) "
        "and exit; a CI whose workspace outlives a build (Jenkins) runs it first",
    )
    parser.add_argument(
        "--scheduled",
        action="store_true",
        help="the scheduled pipeline: drift first, and retraining only when it finds it needed",
    )


def stage(name: str) -> ModuleType:
    return importlib.import_module(f"{__package__}.{name.replace('-', '_')}")


def plan(paths: Paths, order: tuple[str, ...] = ORDER) -> list[dict[str, object]]:
    """Each stage of order: the earlier stages it reads from, and the paths it hands on."""
    return [
        {
            "stage": name,
            "default_branch_only": name in DEFAULT_BRANCH_ONLY,
            "reads": list(stage(name).READS),
            "outputs": [paths.shown(path) for path in stage(name).outputs(paths)],
        }
        for name in order
    ]


def earlier_results(paths: Paths) -> tuple[Path, ...]:
    """What the stages leave in reports/ for the report, but repro's DVC outputs: DVC keeps those while the
    model they describe is current (repro's marker, reports/repro.json, goes: the report takes them as this
    run's only beside it). reports/validation.json is a DVC output too, but validate writes it again first in
    every run (the same bytes for the same data: repro then skips). A test checks this list against the
    stages' outputs."""
    return (
        paths.drift, paths.validation, paths.data_docs, paths.junit / "unit.xml", paths.junit / "model.xml",
        paths.reproduced, paths.loadtest, paths.loadtest_reports, paths.comparison, paths.comparison_markdown,
        paths.promotion, paths.deploy_report, paths.report_markdown, paths.report_html,
    )  # fmt: skip


def clear(paths: Paths) -> list[Path]:
    """A new run starts without an earlier run's results, so that its report tells its own story: a stage
    that failed before writing, or never ran, would otherwise show an older run's figures. Returns what it
    removed."""
    found = [path for path in earlier_results(paths) if path.exists()]
    for path in found:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    return found


def run(paths: Paths, show: str | None = None, scheduled: bool = False) -> None:
    order = SCHEDULED if scheduled else ORDER
    if show == "list":
        print("\n".join(order))
        return
    if show == "plan":
        print(json.dumps(plan(paths, order), indent=2))
        return
    cleared = clear(paths)
    if show == "clear":
        print(f"pipeline: removed {', '.join(map(paths.shown, cleared)) or 'nothing: no earlier results'}")
        return
    for name in order:
        if name in DEFAULT_BRANCH_ONLY and (reason := off_default_branch(paths.root, DEFAULT_BRANCH)):
            print(f"==> {name}: skipped {reason}", flush=True)
            continue
        if name in ALWAYS:
            continue
        print(f"==> {name}", flush=True)
        try:
            outcome = stage(name).run(paths)
        except (UserError, StageError):
            finish(paths)
            raise
        if isinstance(outcome, DriftCheck) and not outcome.retrain:
            finish(paths)
            print(f"==> pipeline: no retraining needed: {'; '.join(outcome.reasons)}")
            return
    finish(paths)
    print(f"==> pipeline: {len(order)} stages done ({', '.join(order)})")


def finish(paths: Paths) -> None:
    """The stages that run whatever happened before them (the report)."""
    for name in ALWAYS:
        print(f"==> {name}", flush=True)
        stage(name).run(paths)
