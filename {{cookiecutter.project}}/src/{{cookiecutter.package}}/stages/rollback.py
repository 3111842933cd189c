"""rollback: serve the previous champion again, on demand; default branch only.

What deploy does by itself when a rollout fails, asked for by hand: the target serves the version the
registry's `previous` alias names (local: loaded beside the current model, smoke-tested and swapped in,
no request dropped; kubernetes: `kubectl rollout undo`, or the Service's colour back), then the
`champion` alias moves back to it. Refuses, changing nothing, when there is no previous version.
"""

from __future__ import annotations

from pathlib import Path

from ..artefacts import Deployment
from ..config import Paths
from ..deployment import kubernetes, local
from ..deployment.service import LocalService
from ..errors import UserError
from ..io import registry
from ..io.datasets import read_golden
from ..settings import load_checked
from .promote import require_default_branch

READS: tuple[str, ...] = ()


def outputs(paths: Paths) -> list[Path]:
    return [paths.deploy_report]


def run(paths: Paths) -> None:
    settings, contract = load_checked(paths)
    config = settings.deploy
    require_default_branch(paths, "rollback")
    current, earlier = registry.champion(paths), registry.previous(paths)
    if earlier is None:
        raise UserError(
            "rollback: refused: the registry has no previous version (no `previous` alias) to go back to"
        )
    steps: list[str] = []

    def say(line: str) -> None:
        print(f"rollback: {line}", flush=True)
        steps.append(line)

    if config.target == "local":
        blue_green = config.model_copy(update={"strategy": "blue-green"})
        cases = read_golden(paths.golden, contract)
        served = local.roll_out(LocalService(paths, config.local), earlier.version, cases, blue_green, say)
    else:
        served = current.version if current else None
        kubernetes.undo(paths, config, say)
    was, now = registry.roll_back(paths)
    say(f"champion -> version {now} (was {was}); version {now} serves ({config.target})")
    Deployment(
        outcome="rolled_back",
        target=config.target,
        strategy=config.strategy,
        before=served,
        after=now,
        steps=tuple(steps),
        reasons=("asked for: rollback",),
    ).write(paths.deploy_report)
