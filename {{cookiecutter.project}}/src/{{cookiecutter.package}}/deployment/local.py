"""Rollouts on the local target: the champion loaded into the running service beside the model it serves,
checked, given a share of requests (canary) and swapped in atomically; or withdrawn, or swapped back.

No request is dropped: the swap is one assignment in the service, requests in flight finish on the model
they started with, and the model replaced stays loaded until the rollout is over.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families

from ..core.canary import CanaryVerdict, VersionFigures, judge
from ..errors import DeployError
from ..io.datasets import GoldenCase
from ..settings import DeploySettings
from . import smoke
from .service import LocalService, ServiceClient, client_version

Say = Callable[[str], None]


def smoke_test(client: ServiceClient, cases: list[GoldenCase], version: str, route: str = "/predict") -> None:
    status, answer = client.call("POST", route, smoke.payload(cases))
    if found := smoke.problems(status, answer, cases, version):
        raise DeployError(f"version {version} failed its smoke test: {'; '.join(found)}")


def start(
    service: LocalService, version: str, cases: list[GoldenCase], settings: DeploySettings, say: Say
) -> None:
    """No service runs: start one with this version, and smoke-test it (stopped again if it fails)."""
    say(f"no service runs on {service.url}: starting one with version {version}")
    client = service.start(service.model(version), settings.smoke.timeout_s)
    try:
        smoke_test(client, cases, version)
    except DeployError:
        service.stop()
        raise


def stage(client: ServiceClient, model: str, version: str, cases: list[GoldenCase], timeout_s: float) -> None:
    """Load version (from the folder model) beside the stable model and smoke-test it on its own; it takes
    no request yet."""
    client.admin("PUT", "/candidate", {"model": model})
    deadline = time.monotonic() + timeout_s
    while (candidate := client.admin("GET", "/models")["candidate"])["state"] == "loading":
        if time.monotonic() > deadline:
            client.admin("DELETE", "/candidate")
            raise DeployError(
                f"version {version} did not load within {timeout_s:g} s (deploy.smoke.timeout_s)"
            )
        time.sleep(0.05)
    if candidate["state"] == "failed":
        client.admin("DELETE", "/candidate")
        raise DeployError(f"version {version} failed to load in the service: {candidate['error']}")
    try:
        smoke_test(client, cases, version, route="/admin/candidate/predict")
    except DeployError:
        client.admin("DELETE", "/candidate")
        raise


def swap(client: ServiceClient, version: str, cases: list[GoldenCase]) -> None:
    """Make the staged candidate the stable model; swap back when it fails the smoke test in place."""
    client.admin("POST", "/promote")
    try:
        if (serving := client.serving()) != version:
            raise DeployError(f"/ready names version {serving} after the swap, not {version}")
        smoke_test(client, cases, version)
    except DeployError:
        client.admin("POST", "/revert")
        raise
    client.admin("DELETE", "/previous")


def canary(
    client: ServiceClient, version: str, stable: str, settings: DeploySettings, say: Say
) -> CanaryVerdict:
    """Give the candidate its share of requests until it has answered enough of them or the window ends;
    judge it on what the service's metrics say the two versions did meanwhile."""
    limits = settings.canary
    before = figures(client.metrics())
    client.admin("PUT", "/share", {"share": limits.share})
    say(f"canary: version {version} takes {limits.share:.0%} of requests for up to {limits.window_s:g} s")
    deadline = time.monotonic() + limits.window_s
    while True:
        now = figures(client.metrics())
        answered = _since(now, before, version)
        if answered.requests >= limits.requests or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    verdict = judge(answered, _since(now, before, stable), limits)
    if not verdict.promote:
        client.admin("DELETE", "/candidate")
    return verdict


def figures(metrics: str) -> dict[str, VersionFigures]:
    """Requests, errors and prediction time of every model version, from the service's Prometheus text."""
    requests: dict[str, int] = {}
    errors: dict[str, int] = {}
    seconds: dict[str, float] = {}
    for family in text_string_to_metric_families(metrics):
        for sample in family.samples:
            version = sample.labels.get("version")
            if version is None:
                continue
            if sample.name == "model_requests_total":
                requests[version] = requests.get(version, 0) + int(sample.value)
                if sample.labels.get("outcome") == "error":
                    errors[version] = errors.get(version, 0) + int(sample.value)
            elif sample.name == "model_request_duration_seconds_sum":
                seconds[version] = sample.value
    return {
        version: VersionFigures(version, count, errors.get(version, 0), seconds.get(version, 0.0))
        for version, count in requests.items()
    }


def _since(now: dict[str, VersionFigures], before: dict[str, VersionFigures], version: str) -> VersionFigures:
    current = now.get(version, VersionFigures(version, 0, 0, 0.0))
    earlier = before.get(version, VersionFigures(version, 0, 0, 0.0))
    return VersionFigures(
        version,
        current.requests - earlier.requests,
        current.errors - earlier.errors,
        current.seconds - earlier.seconds,
    )


def roll_out(
    service: LocalService, version: str, cases: list[GoldenCase], settings: DeploySettings, say: Say
) -> str | None:
    """Serve version on the local target by the configured strategy; the version served before (None when
    no service ran). A DeployError leaves the service serving what it served before."""
    if service.pid() is None:
        if port_answers(service):
            raise DeployError(
                f"{service.url} answers, but not a service deploy started "
                f"(no {service.paths.shown(service.pid_file)}); stop it, or set deploy.local.port"
            )
        start(service, version, cases, settings, say)
        return None
    client = service.client()
    before = client.serving()
    if before == version:
        say(f"the service on {service.url} already serves version {version}")
        return before
    say(f"the service on {service.url} serves version {before}: loading version {version} beside it")
    stage(client, service.model(version), version, cases, settings.smoke.timeout_s)
    say(f"version {version} loaded and passed its smoke test ({len(cases)} golden cases)")
    if settings.strategy == "canary":
        verdict = canary(client, version, before or "", settings, say)
        for reason in verdict.reasons:
            say(f"canary: {reason}")
        if not verdict.promote:
            raise DeployError(f"canary withdrawn: {'; '.join(verdict.reasons)}")
    swap(client, version, cases)
    service.prune(version)
    say(f"swapped: version {version} serves every request (version {before} unloaded)")
    return before


def serving(service: LocalService) -> str | None:
    """The version the local target serves now; None when no service runs (or it is not ready)."""
    return client_version(service.client()) if service.pid() is not None else None


def port_answers(service: LocalService) -> bool:
    try:
        with socket.create_connection((service.settings.host, service.settings.port), timeout=2):
            return True
    except OSError:
        return False
