"""promote: move the champion alias to the compared challenger if compare said so; default branch only.

Moves the registry's `champion` alias to the challenger and `previous` to the version it replaces
(a rollback moves them back). Refuses on pull/merge requests and other branches, when compare has
not run for this model, and when the champion moved since compare ran.
"""

from __future__ import annotations

from pathlib import Path

from ..artefacts import Comparison, TrainedModel
from ..config import DEFAULT_BRANCH, Paths
from ..errors import UserError
from ..io import mlflow_store, registry
from ..io.versions import change_request, git_branch

READS = ("repro", "compare")


def outputs(paths: Paths) -> list[Path]:
    return []


def check_branch(paths: Paths) -> None:
    if request := change_request():
        raise UserError(f"promote: refused in a {request}: only the {DEFAULT_BRANCH} branch promotes")
    branch = git_branch(paths.root)
    if branch != DEFAULT_BRANCH:
        raise UserError(
            f"promote: refused on branch {branch or '(none)'}: only the {DEFAULT_BRANCH} branch promotes"
        )


def run(paths: Paths) -> None:
    check_branch(paths)
    comparison, trained = Comparison.read(paths.comparison), TrainedModel.read(paths.trained)
    version = comparison.challenger.version
    if version != trained.version:
        raise UserError(
            f"{paths.comparison}: compares version {version}, but the trained model is version "
            f"{trained.version}; run compare again"
        )
    if not comparison.promotes:
        print(f"promote: nothing to promote: compare decided {comparison.decision} for version {version}")
        return
    compared = comparison.champion.version if comparison.champion else None
    current = registry.champion(paths)
    if (current.version if current else None) != compared:
        raise UserError(
            f"promote: the champion is now version {current.version if current else '(none)'}, "
            f"not the version {compared or '(none)'} compare measured against; run compare again"
        )
    previous = registry.promote(paths, version)
    registry.tag(paths, version, {"promoted_from": git_branch(paths.root) or DEFAULT_BRANCH})
    kept = f"; previous -> version {previous}" if previous else ""
    print(f"promote: champion -> version {version}{kept} ({mlflow_store.where(paths)})")
