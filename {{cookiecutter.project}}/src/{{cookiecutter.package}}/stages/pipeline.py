"""pipeline: every CI stage, in CI's order; what CI runs, one job per stage, runs here in one go.

ORDER is the one definition of the CI stages: GitHub, GitLab and Jenkins run exactly these, one job
each, and a test checks that they do. Each stage module says what it reads from earlier stages
(READS) and hands on to later ones (outputs); `pipeline --plan` prints both, which is what the CI
definitions' artifact lists must carry.
"""

from __future__ import annotations

import argparse
import importlib
import json
from types import ModuleType

from ..config import DEFAULT_BRANCH, Paths
from ..errors import StageError, UserError
from ..io.versions import off_default_branch

ORDER = (
    "validate", "lint", "test", "repro", "model-tests", "loadtest", "compare", "promote", "deploy", "report",
)  # fmt: skip
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


def stage(name: str) -> ModuleType:
    return importlib.import_module(f"{__package__}.{name.replace('-', '_')}")


def plan(paths: Paths) -> list[dict[str, object]]:
    """Each CI stage in order: the earlier stages it reads from, and the paths it hands on."""
    return [
        {
            "stage": name,
            "default_branch_only": name in DEFAULT_BRANCH_ONLY,
            "reads": list(stage(name).READS),
            "outputs": [paths.shown(path) for path in stage(name).outputs(paths)],
        }
        for name in ORDER
    ]


def run(paths: Paths, show: str | None = None) -> None:
    if show == "list":
        print("\n".join(ORDER))
        return
    if show == "plan":
        print(json.dumps(plan(paths), indent=2))
        return
    for name in ORDER:
        if name in DEFAULT_BRANCH_ONLY and (reason := off_default_branch(paths.root, DEFAULT_BRANCH)):
            print(f"==> {name}: skipped {reason}", flush=True)
            continue
        if name in ALWAYS:
            continue
        print(f"==> {name}", flush=True)
        try:
            stage(name).run(paths)
        except (UserError, StageError):
            finish(paths)
            raise
    finish(paths)
    print(f"==> pipeline: {len(ORDER)} stages done ({', '.join(ORDER)})")


def finish(paths: Paths) -> None:
    """The stages that run whatever happened before them (the report)."""
    for name in ALWAYS:
        print(f"==> {name}", flush=True)
        stage(name).run(paths)
