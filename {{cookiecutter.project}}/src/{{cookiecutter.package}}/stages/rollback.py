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
from ..io.datasets import GoldenCase, read_golden
from ..settings import DeploySettings, load_checked
from .promote import require_default_branch

READS: tuple[str, ...] = ()


def outputs(paths: Paths) -> list[Path]:
    return [paths.deploy_report]


def serve_again(
    paths: Paths, config: DeploySettings, version: str | None, cases: list[GoldenCase], say: local.Say
) -> str | None:
    """The target serves version again, the last rollout undone; what it served until now (local).
    Local: version loaded beside the current model, smoke-tested and swapped in, no request dropped (None: no
    version served before, the service is stopped); kubernetes: `kubectl rollout undo`, or the Service's
    colour back."""
    if config.target == "kubernetes":
        kubernetes.undo(paths, config, say)
        return None
    service = LocalService(paths, config.local)
    if version is None:
        service.stop()
        say(f"service on {service.url} stopped: no version served before")
        return None
    blue_green = config.model_copy(update={"strategy": "blue-green"})
    return local.roll_out(service, version, cases, blue_green, say)


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

    served = serve_again(paths, config, earlier.version, read_golden(paths.golden, contract), say)
    if config.target == "kubernetes":  # kubectl does not say which version served: the champion did
        served = current.version if current else None
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
