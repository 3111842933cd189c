"""deploy: put the champion into service, smoke-test it, and roll back by itself; default branch only.

It runs after every gate passed and promote moved the champion alias; when compare decided `keep` there is
nothing to deploy, which it says. deploy.target (params.yaml) is where: `local`, a long-running service on
this machine (started if none runs), or `kubernetes` (deploy/kubernetes/, through kubectl); deploy.strategy
is how: blue-green, canary, or (kubernetes) rolling. Any failure rolls back: the model served before serves,
the champion alias back to `previous` (unless the promoted version is what still serves), exit 1 with the
reason; reports/deploy.json tells it all. A failure once the new version serves (the registry refusing the
image's `champion` tag) first puts the target back as the `rollback` stage does; when even that fails, the
outcome is `failed` and the alias stays on the version that serves.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..artefacts import Deployment, Promotion
from ..config import Paths
from ..deployment import image, kubernetes, local
from ..deployment.service import LocalService
from ..errors import DeployError, UserError
from ..io import registry
from ..io.datasets import read_golden
from ..settings import load_checked
from .promote import require_default_branch
from .rollback import serve_again

READS = ("promote",)


def outputs(paths: Paths) -> list[Path]:
    return [paths.deploy_report]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stop",
        action="store_true",
        help="stop the local target's service (the one deploy started) and exit; deploys nothing",
    )


def run(paths: Paths, stop: bool = False) -> None:
    settings, contract = load_checked(paths)
    config = settings.deploy
    if stop:
        service = LocalService(paths, config.local)
        stopped = service.stop()
        print(f"deploy: {'stopped the service on' if stopped else 'no service runs on'} {service.url}")
        return
    require_default_branch(paths, "deploy")
    promotion = Promotion.read(paths.promotion)
    steps: list[str] = []

    def say(line: str) -> None:
        print(f"deploy: {line}", flush=True)
        steps.append(line)

    def report(outcome: str, before: str | None, after: str | None, **more: object) -> None:
        Deployment(
            outcome=outcome,
            target=config.target,
            strategy=config.strategy,
            before=before,
            after=after,
            steps=tuple(steps),
            **more,
        ).write(paths.deploy_report)

    if not promotion.promoted:
        say(f"nothing to deploy: {promotion.reason}")
        report("skipped", None, None, reasons=(promotion.reason,))
        return
    champion = registry.champion(paths)
    version = promotion.version
    if champion is None or champion.version != version:
        raise UserError(
            f"deploy: the champion is version {champion.version if champion else '(none)'}, not the promoted "
            f"version {version}; run compare and promote again"
        )
    cases = read_golden(paths.golden, contract)
    built: dict[str, str] = {}
    service = LocalService(paths, config.local)
    if config.target == "local":
        service.require_folder()
    before: str | None = None
    before_image: str | None = None
    serves = False
    try:
        if config.target == "local":
            before = local.serving(service)
        else:
            before, before_image = kubernetes.serving(paths, config)
        if config.target == "kubernetes" or config.image.push:
            built = image.build_and_push(paths, config, version, say)
        if config.target == "local":
            local.roll_out(service, version, cases, config, say)
            serves = before != version
        else:
            kubernetes.roll_out(paths, config, built["image"], version, cases, say)
            serves = before_image != built["image"]  # the same image again makes no new rollout to undo
        if built:
            image.mark_champion(built["image"], config, say)
    except DeployError as failure:
        say(f"failed: {failure}")
        if serves:  # a failure once the new version served (the registry refused the tag): the target first
            try:
                if config.target == "kubernetes" and before is None:
                    raise DeployError("the cluster served nothing before: no rollout to undo")
                serve_again(paths, config, before, cases, say)
            except DeployError as again:  # the new version serves on, and the alias stays on it
                say(f"putting back what served before failed: {again}")
                report("failed", before, version, reasons=(str(failure), str(again)), **built)
                raise DeployError(
                    f"deploy: version {version} serves, but {failure}; "
                    f"putting back what served before failed: {again}"
                ) from None
        if before != version:  # the alias names what serves
            roll_back(paths, say)
        report("rolled_back", before, before, reasons=(str(failure),), **built)
        raise DeployError(f"deploy: version {version} rolled back: {failure}") from None
    say(f"version {version} serves ({config.target}, {config.strategy})")
    report("deployed" if before != version else "unchanged", before, version, **built)


def roll_back(paths: Paths, say: local.Say) -> None:
    """After a failed deploy, the target serving what it did before: the champion alias back to `previous`."""
    try:
        was, now = registry.roll_back(paths)
    except UserError as error:
        say(f"the alias stays: {error}")
        return
    say(f"rolled back: champion -> version {now} (was {was})")
