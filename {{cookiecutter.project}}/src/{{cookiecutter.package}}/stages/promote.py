"""promote: move the champion alias to the compared challenger if compare said so; default branch only.

Moves the registry's `champion` alias to the challenger and `previous` to the version it replaces
(a rollback moves them back). Refuses on pull/merge requests and other branches, when compare has
not run for this model, and when the champion moved since compare ran.
"""

from __future__ import annotations

from pathlib import Path

from ..artefacts import Comparison, Promotion, TrainedModel
from ..config import DEFAULT_BRANCH, Paths
from ..errors import UserError
from ..io import mlflow_store, registry
from ..io.versions import git_branch, off_default_branch

READS = ("repro", "compare")


def outputs(paths: Paths) -> list[Path]:
    return [paths.promotion, paths.mlruns]


def require_default_branch(paths: Paths, stage: str) -> None:
    """Refuse, in one line, to touch production from a pull request or another branch."""
    if reason := off_default_branch(paths.root, DEFAULT_BRANCH):
        raise UserError(f"{stage}: refused {reason}: only the {DEFAULT_BRANCH} branch changes production")


def run(paths: Paths) -> None:
    require_default_branch(paths, "promote")
    comparison, trained = Comparison.read(paths.comparison), TrainedModel.read(paths.trained)
    version = comparison.challenger.version
    if version != trained.version:
        raise UserError(
            f"{paths.comparison}: compares version {version}, but the trained model is version "
            f"{trained.version}; run compare again"
        )
    if not comparison.promotes:
        reason = f"compare decided {comparison.decision} for version {version}"
        Promotion(version=version, promoted=False, reason=reason).write(paths.promotion)
        print(f"promote: nothing to promote: {reason}")
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
    reason = f"compare decided {comparison.decision}: champion -> version {version}{kept}"
    Promotion(version=version, promoted=True, reason=reason).write(paths.promotion)
    print(f"promote: champion -> version {version}{kept} ({mlflow_store.where(paths)})")
