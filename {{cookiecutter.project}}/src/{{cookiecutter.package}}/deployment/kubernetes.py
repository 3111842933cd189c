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
from dataclasses import dataclass
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
"""The annotation on a Deployment's pod template naming the model version its pods serve."""


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
    """A copy of the Deployment named `name`, its pods labelled `labels` too, running image. The model version
    is annotated on the pod template, which `rollout undo` puts back with the image (not the Deployment's
    own metadata, which it leaves: an undone rollout would go on naming the version it undid)."""
    changed = copy.deepcopy(deployment)
    changed["metadata"]["name"] = name
    changed["spec"]["template"]["metadata"].setdefault("annotations", {})[VERSION] = version
    changed["spec"]["selector"]["matchLabels"].update(labels)
    changed["spec"]["template"]["metadata"]["labels"].update(labels)
    for container in changed["spec"]["template"]["spec"]["containers"]:
        container["image"] = image
    return changed


def apply(docs: list[dict[str, Any]]) -> None:
    """Every document through the API server's checks first (a dry run): one it refuses (an admission
    webhook, RBAC on the autoscaler) changes nothing, where a plain apply would still apply the others, the
    Deployment among them, and leave its rollout under way with no one to undo it."""
    text = yaml.safe_dump_all(docs)
    try:
        kubectl("apply", "--dry-run=server", "-f", "-", stdin=text)
    except DeployError as refused:
        raise DeployError(f"{refused} (in a server-side dry run: nothing was applied)") from None
    kubectl("apply", "-f", "-", stdin=text)


def wait(namespace: str, name: str, timeout_s: int) -> None:
    kubectl("rollout", "status", f"deployment/{name}", "-n", namespace, f"--timeout={timeout_s}s")


def smoke(url: str, setting: str, cases: list[GoldenCase], version: str) -> None:
    if not url:
        raise DeployError(f"deploy.kubernetes.{setting} is not set: no address to smoke-test the rollout at")
    smoke_test(ServiceClient(url.rstrip("/")), cases, version)


def live(namespace: str, name: str) -> tuple[str | None, str | None]:
    """A Deployment's model version (its annotation) and image; (None, None) when there is none."""
    found = kubectl("get", "deployment", name, "-n", namespace, "--ignore-not-found", "-o", "json")
    if not found.strip():
        return None, None
    return version_and_image(json.loads(found))


def version_and_image(deployment: dict[str, Any]) -> tuple[str | None, str | None]:
    """A Deployment's model version and image, both from its pod template, which every rollback restores;
    the version from the Deployment's own annotations when the template has none (a rollout by an earlier
    version of this project, which annotated there)."""
    template = deployment["spec"]["template"]
    [container, *_] = template["spec"]["containers"]
    version = (template["metadata"].get("annotations") or {}).get(VERSION)
    earlier = (deployment["metadata"].get("annotations") or {}).get(VERSION)
    return version or earlier, container.get("image")


def live_colour(namespace: str) -> str | None:
    """The colour the Service sends traffic to (blue-green); None before the first blue-green rollout."""
    found = kubectl("get", "service", PROJECT, "-n", namespace, "--ignore-not-found", "-o", "json")
    return json.loads(found or "{}").get("spec", {}).get("selector", {}).get("colour")


def serving(paths: Paths, config: DeploySettings) -> tuple[str | None, str | None]:
    """The model version the target serves now (its pods' annotation), and its image; None: none."""
    namespace = one(rendered(paths, config), "Deployment")["metadata"].get("namespace", "default")
    if config.strategy != "blue-green":
        return live(namespace, PROJECT)
    colour = live_colour(namespace)
    return live(namespace, f"{PROJECT}-{colour}") if colour else (None, None)


def roll_out(
    paths: Paths, config: DeploySettings, image: str, version: str, cases: list[GoldenCase], say: Say
) -> None:
    """Serve version from image by the configured strategy; a DeployError after putting back what served."""
    docs = rendered(paths, config)
    rollout = Rollout(one(docs, "Deployment"), one(docs, "Service"), docs, image, version, cases, config, say)
    {"rolling": rollout.rolling, "canary": rollout.canary, "blue-green": rollout.blue_green}[
        config.strategy
    ]()


@dataclass(frozen=True)
class Rollout:
    """One rollout of the rendered overlay with a new image, by each strategy."""

    deployment: dict[str, Any]
    service: dict[str, Any]
    docs: list[dict[str, Any]]
    image: str
    version: str
    cases: list[GoldenCase]
    config: DeploySettings
    say: Say

    @property
    def namespace(self) -> str:
        return self.deployment["metadata"].get("namespace", "default")

    @property
    def others(self) -> list[dict[str, Any]]:
        """Everything the overlay renders but the Deployment (the Service, autoscaler, disruption budget)."""
        return [doc for doc in self.docs if doc["kind"] != "Deployment"]

    def wait(self, name: str) -> None:
        wait(self.namespace, name, self.config.kubernetes.rollout_timeout_s)

    def smoke(self, setting: str) -> None:
        smoke(getattr(self.config.kubernetes, setting), setting, self.cases, self.version)

    def update_in_place(self) -> None:
        """The Deployment on the new image, waited for and checked through the Service; undone on failure."""
        apply([*self.others, with_image(self.deployment, self.image, self.version, PROJECT, {})])
        self.say(f"applied {self.config.kubernetes.overlay}: deployment/{PROJECT} -> {self.image}")
        try:
            self.wait(PROJECT)
            self.smoke("url")
        except DeployError:
            kubectl("rollout", "undo", f"deployment/{PROJECT}", "-n", self.namespace)
            self.say(f"rollout undone: deployment/{PROJECT}")
            raise

    def rolling(self) -> None:
        self.update_in_place()

    def blue_green(self) -> None:
        """The idle colour brought up and checked through the preview Service, then the Service switched."""
        colour = live_colour(self.namespace)
        idle = COLOURS[1] if colour == COLOURS[0] else COLOURS[0]
        preview = copy.deepcopy(self.service)
        preview["metadata"]["name"] = f"{PROJECT}-preview"
        preview["spec"]["selector"]["colour"] = idle
        kept = [doc for doc in self.others if doc["kind"] != "Service"]
        apply([*kept, preview, with_image(self.deployment, self.image, self.version, f"{PROJECT}-{idle}",
                                          {"colour": idle})])  # fmt: skip
        self.say(f"{PROJECT}-{idle} -> {self.image}, beside {PROJECT}-{colour or '(none)'}")
        self.wait(f"{PROJECT}-{idle}")
        self.smoke("preview_url")
        self.select(idle)
        try:
            self.smoke("url")
        except DeployError:
            if colour:
                self.select(colour)
            raise

    def select(self, colour: str) -> None:
        switched = copy.deepcopy(self.service)
        switched["spec"]["selector"]["colour"] = colour
        apply([switched])
        self.say(f"service/{PROJECT} -> {colour}")

    def canary(self) -> None:
        """A second Deployment takes a share of the Service's traffic by replica count, is checked, then the
        stable Deployment is updated and the canary removed (also when anything fails). After a good rollout,
        a canary the cluster will not delete is said, not a failure: its pods run the stable image. After a
        failed one, the failure says that the canary still takes its share of the traffic."""
        name, replicas = f"{PROJECT}-canary", self.deployment["spec"].get("replicas", 1)
        pods = with_image(self.deployment, self.image, self.version, name, {"track": "canary"})
        share = self.config.canary.share
        pods["spec"]["replicas"] = max(1, round(replicas * share / (1 - share)))
        apply([pods])
        self.say(f"{name}: {pods['spec']['replicas']} pod(s) of {self.image} beside {replicas}")
        try:
            self.wait(name)
            self.smoke("preview_url")
            self.update_in_place()
        except DeployError as failure:
            if not self.remove(name):
                raise DeployError(f"{failure}; deployment/{name} still takes its share of traffic") from None
            raise
        self.remove(name)

    def remove(self, name: str) -> bool:
        """Delete a Deployment; whether it is gone (a refusal is said, for a person to delete it)."""
        try:
            kubectl("delete", "deployment", name, "-n", self.namespace, "--ignore-not-found")
        except DeployError as error:
            self.say(f"deployment/{name} not removed ({error}): delete it by hand")
            return False
        self.say(f"deployment/{name} removed")
        return True


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
