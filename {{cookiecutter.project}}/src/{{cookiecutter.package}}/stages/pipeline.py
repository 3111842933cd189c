"""pipeline: every CI stage, in CI's order; what CI runs, one job per stage, runs here in one go."""

from __future__ import annotations

import importlib

from ..config import DEFAULT_BRANCH, Paths
from ..io.versions import change_request, git_branch

STAGES = ("validate", "lint", "test", "repro", "model-tests", "loadtest", "compare", "report", "promote")
"""The CI stages in order: GitHub, GitLab and Jenkins definitions run exactly these, one a job."""
DEFAULT_BRANCH_ONLY = ("promote",)
"""Stages that run only for the default branch: never for a pull request or another branch."""


def skip_reason(paths: Paths) -> str | None:
    """Why default-branch-only stages do not run here; None when they do."""
    if request := change_request():
        return f"a {request}"
    branch = git_branch(paths.root)
    return None if branch == DEFAULT_BRANCH else f"branch {branch or '(none)'}, not {DEFAULT_BRANCH}"


def run(paths: Paths) -> None:
    for name in STAGES:
        if name in DEFAULT_BRANCH_ONLY and (reason := skip_reason(paths)):
            print(f"==> {name}: skipped on {reason}", flush=True)
            continue
        print(f"==> {name}", flush=True)
        importlib.import_module(f".{name.replace('-', '_')}", __package__).run(paths)
    print(f"==> pipeline: {len(STAGES)} stages done ({', '.join(STAGES)})")
