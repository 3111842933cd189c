"""Rollouts on Kubernetes: the overlay (deploy/kubernetes/overlays/<overlay>) rendered with
`kubectl kustomize`, given the new image, applied with `kubectl apply`, waited for with
`kubectl rollout status`, smoke-tested through its Service; and undone when anything fails.

Strategies: rolling (the Deployment updated in place, maxUnavailable 0), blue-green (the idle colour's
Deployment brought up beside the live one and checked through the preview Service, then the Service's
selector switched to it, and back on failure), canary (a second Deployment beside the stable one, taking a
share of traffic by replica count, checked through the preview Service, then promoted or removed).
"""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Callable
from typing import Any

import yaml

from ..config import PROJECT, Paths
from ..errors import DeployError
from ..io.datasets import GoldenCase
from ..settings import DeploySettings
from .local import smoke_test
from .service import ServiceClient

Say = Callable[[str], None]
COLOURS = ("blue", "green")
VERSION = "model-version"
"""The annotation on a Deployment naming the model version it serves."""


def kubectl(*arguments: str, stdin: str | None = None) -> str:
    try:
        result = subprocess.run(
            ["kubectl", *arguments], input=stdin, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise DeployError("kubectl is not installed: the kubernetes target needs it") from None
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise DeployError(
            f"kubectl {arguments[0]} failed: {lines[-1] if lines else f'exit code {result.returncode}'}"
        )
    return result.stdout


def rendered(paths: Paths, config: DeploySettings) -> list[dict[str, Any]]:
    overlay = paths.kubernetes / "overlays" / config.kubernetes.overlay
    if not overlay.is_dir():
        raise DeployError(f"{paths.shown(overlay)}: no such overlay (deploy.kubernetes.overlay)")
    return [doc for doc in yaml.safe_load_all(kubectl("kustomize", str(overlay))) if doc]


def one(docs: list[dict[str, Any]], kind: str, name: str = PROJECT) -> dict[str, Any]:
    for doc in docs:
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    raise DeployError(f"the overlay renders no {kind} named {name}")


def with_image(
    deployment: dict[str, Any], image: str, version: str, name: str, labels: dict[str, str]
) -> dict[str, Any]:
    """A copy of the Deployment named `name`, its pods labelled `labels` too, running image."""
    changed = copy.deepcopy(deployment)
    changed["metadata"]["name"] = name
    changed["metadata"].setdefault("annotations", {})[VERSION] = version
    changed["spec"]["selector"]["matchLabels"].update(labels)
    changed["spec"]["template"]["metadata"]["labels"].update(labels)
    for container in changed["spec"]["template"]["spec"]["containers"]:
        container["image"] = image
    return changed


def apply(docs: list[dict[str, Any]]) -> None:
    kubectl("apply", "-f", "-", stdin=yaml.safe_dump_all(docs))


def wait(namespace: str, name: str, timeout_s: int) -> None:
    kubectl("rollout", "status", f"deployment/{name}", "-n", namespace, f"--timeout={timeout_s}s")


def smoke(url: str, setting: str, cases: list[GoldenCase], version: str) -> None:
    if not url:
        raise DeployError(f"deploy.kubernetes.{setting} is not set: no address to smoke-test the rollout at")
    smoke_test(ServiceClient(url.rstrip("/")), cases, version)


def annotation(namespace: str, name: str) -> str | None:
    found = kubectl("get", "deployment", name, "-n", namespace, "--ignore-not-found", "-o", "json")
    return json.loads(found)["metadata"].get("annotations", {}).get(VERSION) if found.strip() else None


def live_colour(namespace: str) -> str | None:
    """The colour the Service sends traffic to (blue-green); None before the first blue-green rollout."""
    found = kubectl("get", "service", PROJECT, "-n", namespace, "--ignore-not-found", "-o", "json")
    return json.loads(found or "{}").get("spec", {}).get("selector", {}).get("colour")


def serving(paths: Paths, config: DeploySettings) -> str | None:
    """The model version the target serves now, from its Deployments' annotation; None: nothing yet."""
    namespace = one(rendered(paths, config), "Deployment")["metadata"].get("namespace", "default")
    if config.strategy != "blue-green":
        return annotation(namespace, PROJECT)
    colour = live_colour(namespace)
    return annotation(namespace, f"{PROJECT}-{colour}") if colour else None


def roll_out(
    paths: Paths, config: DeploySettings, image: str, version: str, cases: list[GoldenCase], say: Say
) -> str | None:
    """Serve version from image by the configured strategy; the version served before (None: nothing)."""
    docs = rendered(paths, config)
    deployment, service = one(docs, "Deployment"), one(docs, "Service")
    namespace = deployment["metadata"].get("namespace", "default")
    settings = config.kubernetes
    others = [doc for doc in docs if doc["kind"] != "Deployment"]
    if config.strategy == "rolling":
        before = annotation(namespace, PROJECT)
        apply([*others, with_image(deployment, image, version, PROJECT, {})])
        say(f"applied {config.kubernetes.overlay}: deployment/{PROJECT} -> {image}")
        try:
            wait(namespace, PROJECT, settings.rollout_timeout_s)
            smoke(settings.url, "url", cases, version)
        except DeployError:
            kubectl("rollout", "undo", f"deployment/{PROJECT}", "-n", namespace)
            say(f"rollout undone: deployment/{PROJECT}")
            raise
        return before
    if config.strategy == "canary":
        return canary(deployment, others, namespace, image, version, cases, config, say)
    return blue_green(deployment, service, others, namespace, image, version, cases, config, say)


def blue_green(
    deployment: dict[str, Any],
    service: dict[str, Any],
    others: list[dict[str, Any]],
    namespace: str,
    image: str,
    version: str,
    cases: list[GoldenCase],
    config: DeploySettings,
    say: Say,
) -> str | None:
    colour = live_colour(namespace)
    idle = COLOURS[1] if colour == COLOURS[0] else COLOURS[0]
    before = annotation(namespace, f"{PROJECT}-{colour}") if colour else None
    preview = copy.deepcopy(service)
    preview["metadata"]["name"] = f"{PROJECT}-preview"
    preview["spec"]["selector"]["colour"] = idle
    switched = copy.deepcopy(service)
    switched["spec"]["selector"]["colour"] = idle
    kept = [doc for doc in others if doc["kind"] != "Service"]
    apply([*kept, preview, with_image(deployment, image, version, f"{PROJECT}-{idle}", {"colour": idle})])
    say(f"{PROJECT}-{idle} -> {image}, beside {PROJECT}-{colour or '(none)'}")
    wait(namespace, f"{PROJECT}-{idle}", config.kubernetes.rollout_timeout_s)
    smoke(config.kubernetes.preview_url, "preview_url", cases, version)
    apply([switched])
    say(f"service/{PROJECT} -> {idle}")
    try:
        smoke(config.kubernetes.url, "url", cases, version)
    except DeployError:
        if colour:
            back = copy.deepcopy(service)
            back["spec"]["selector"]["colour"] = colour
            apply([back])
            say(f"service/{PROJECT} back -> {colour}")
        raise
    return before


def canary(
    deployment: dict[str, Any],
    others: list[dict[str, Any]],
    namespace: str,
    image: str,
    version: str,
    cases: list[GoldenCase],
    config: DeploySettings,
    say: Say,
) -> str | None:
    before = annotation(namespace, PROJECT)
    replicas = deployment["spec"].get("replicas", 1)
    share = config.canary.share
    canary_deployment = with_image(deployment, image, version, f"{PROJECT}-canary", {"track": "canary"})
    canary_deployment["spec"]["replicas"] = max(1, round(replicas * share / (1 - share)))
    apply([canary_deployment])
    say(f"{PROJECT}-canary: {canary_deployment['spec']['replicas']} pod(s) of {image} beside {replicas}")
    try:
        wait(namespace, f"{PROJECT}-canary", config.kubernetes.rollout_timeout_s)
        smoke(config.kubernetes.preview_url, "preview_url", cases, version)
    except DeployError:
        kubectl("delete", "deployment", f"{PROJECT}-canary", "-n", namespace, "--ignore-not-found")
        say(f"canary removed: deployment/{PROJECT}-canary")
        raise
    apply([*others, with_image(deployment, image, version, PROJECT, {})])
    try:
        wait(namespace, PROJECT, config.kubernetes.rollout_timeout_s)
        smoke(config.kubernetes.url, "url", cases, version)
    except DeployError:
        kubectl("rollout", "undo", f"deployment/{PROJECT}", "-n", namespace)
        raise
    finally:
        kubectl("delete", "deployment", f"{PROJECT}-canary", "-n", namespace, "--ignore-not-found")
    say(f"canary promoted: deployment/{PROJECT} -> {image}; deployment/{PROJECT}-canary removed")
    return before


def undo(paths: Paths, config: DeploySettings, say: Say) -> None:
    """The previous rollout back (the `rollback` stage): rollout undo, or the Service's colour back."""
    docs = rendered(paths, config)
    namespace = one(docs, "Deployment")["metadata"].get("namespace", "default")
    if config.strategy == "blue-green":
        live = json.loads(kubectl("get", "service", PROJECT, "-n", namespace, "-o", "json"))
        colour = live["spec"]["selector"].get("colour", COLOURS[0])
        other = COLOURS[1] if colour == COLOURS[0] else COLOURS[0]
        kubectl("patch", "service", PROJECT, "-n", namespace, "--type", "merge", "-p",
                json.dumps({"spec": {"selector": {"colour": other}}}))  # fmt: skip
        say(f"service/{PROJECT} -> {other}")
        return
    kubectl("rollout", "undo", f"deployment/{PROJECT}", "-n", namespace)
    wait(namespace, PROJECT, config.kubernetes.rollout_timeout_s)
    say(f"rollout undone: deployment/{PROJECT}")
