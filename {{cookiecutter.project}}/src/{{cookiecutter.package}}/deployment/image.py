"""The service's container image: built from the project's Dockerfile (the model baked in), tagged with the
git commit and the model version, pushed to the registry, and tagged `champion` once the rollout succeeded.

The registry and its credentials come from the environment CI gives the deploy job (DEPLOY_REGISTRY,
DEPLOY_REGISTRY_USER, DEPLOY_REGISTRY_PASSWORD; DEPLOY_REGISTRY_INSECURE=1 for a plain-HTTP registry) or
from deploy.image in params.yaml. DEPLOY_CA_BUNDLE names an extra CA bundle handed to the build as a
secret (for TLS-intercepting proxies); it is never copied into a layer.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..artefacts import TrainedModel
from ..config import Paths
from ..errors import DeployError, RegistryError
from ..io import registry as registry_access
from ..io.versions import git_commit
from ..settings import DeploySettings

Say = Callable[[str], None]


def registry(config: DeploySettings) -> str:
    """Where the image goes, in lowercase: image references allow no capitals, and a GitHub owner's name
    (ghcr.io/${{ '{{' }} github.repository_owner {{ '}}' }}) may have them; host names ignore case."""
    found = os.environ.get("DEPLOY_REGISTRY") or config.image.registry
    if not found:
        raise DeployError("no registry to push the image to: set deploy.image.registry or DEPLOY_REGISTRY")
    return found.rstrip("/").lower()


def builder() -> str:
    """podman, else docker: the first on PATH."""
    for tool in ("podman", "docker"):
        if found := shutil.which(tool):
            return found
    raise DeployError("neither podman nor docker is installed: the image cannot be built")


def run(command: list[str], what: str, stdin: str | None = None) -> str:
    result = subprocess.run(command, input=stdin, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise DeployError(f"{what} failed: {lines[-1] if lines else f'exit code {result.returncode}'}")
    return result.stdout


def tls(tool: str) -> list[str]:
    insecure = os.environ.get("DEPLOY_REGISTRY_INSECURE") == "1" and Path(tool).name == "podman"
    return ["--tls-verify=false"] if insecure else []


def models_for_image(paths: Paths, version: str) -> Path:
    """The folder the image's models/ is copied from: models/ when its model is the version to deploy (trained
    here), else models/.image/ with a copy from the registry (a CI deploy job gets the store, not the training
    outputs). models/ itself is left as it is: a model trained here since the champion stays."""
    image = paths.models / ".image"
    shutil.rmtree(image, ignore_errors=True)  # what a deploy that was killed mid-build left
    if (
        paths.model.is_dir()
        and paths.trained.is_file()
        and TrainedModel.read(paths.trained).version == version
    ):
        return paths.models
    try:
        exported = registry_access.export(paths, version, image)
    except RegistryError as error:
        raise DeployError(str(error)) from None
    exported.rename(image / "model")
    return image


def build_and_push(paths: Paths, config: DeploySettings, version: str, say: Say) -> dict[str, str]:
    """Build and push the image of this model version; {"image": reference, "digest": sha256:...}."""
    tool, place = builder(), registry(config)
    models = models_for_image(paths, version)
    try:
        commit = (git_commit(paths.root) or "unknown").removesuffix("-dirty")[:12]
        reference = f"{place}/{config.image.repository}:{commit}-v{version}"
        if user := os.environ.get("DEPLOY_REGISTRY_USER"):
            login = [tool, "login", *tls(tool), "--username", user, "--password-stdin", place.split("/")[0]]
            run(login, f"logging in to {place}", stdin=os.environ.get("DEPLOY_REGISTRY_PASSWORD", ""))
        command = [tool, "build", "--tag", reference, "--file", str(paths.root / "Dockerfile")]
        command += ["--build-arg", f"MODELS={models.relative_to(paths.root)}"]
        if Path(tool).name == "podman":
            command += ["--format", "docker"]  # keeps HEALTHCHECK, which the OCI format has no field for
        if config.image.base:
            command += ["--build-arg", f"PYTHON_IMAGE={config.image.base}"]
        if bundle := os.environ.get("DEPLOY_CA_BUNDLE"):
            command += ["--secret", f"id=ca,src={bundle}"]
        say(f"building {reference}")
        run([*command, str(paths.root)], f"{Path(tool).name} build")
    finally:
        if models != paths.models:
            shutil.rmtree(models, ignore_errors=True)
    say(f"pushing {reference}")
    digest = push(tool, reference)
    return {"image": reference, "digest": digest}


def push(tool: str, reference: str) -> str:
    """Push, and the digest the registry now holds the image under."""
    with tempfile.TemporaryDirectory() as folder:
        if Path(tool).name == "podman":
            digest_file = Path(folder) / "digest"
            run(
                [tool, "push", *tls(tool), "--digestfile", str(digest_file), reference],
                f"pushing {reference}",
            )
            return digest_file.read_text().strip()
    run([tool, "push", reference], f"pushing {reference}")
    [found] = json.loads(run([tool, "image", "inspect", reference], "reading the digest"))
    return found["RepoDigests"][0].rsplit("@", 1)[-1]


def mark_champion(reference: str, config: DeploySettings, say: Say) -> None:
    """Move the registry's `champion` tag to the image that now serves."""
    tool = builder()
    champion = f"{reference.rsplit(':', 1)[0]}:champion"
    run([tool, "tag", reference, champion], f"tagging {champion}")
    push(tool, champion)
    say(f"{champion} -> {reference}")
