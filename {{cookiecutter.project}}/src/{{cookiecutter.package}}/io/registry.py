"""The MLflow model registry: versions and their aliases, tags and models; the one home of registry access.

The `champion` alias names the production model; promotion moves it and points `previous` at the
version it replaces, so a rollback is one alias move. Works the same on the embedded store and on a
tracking server (MLFLOW_TRACKING_URI).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mlflow
from mlflow.exceptions import MlflowException

from ..artefacts import TrainedModel
from ..config import MODEL_NAME, Paths
from ..errors import RegistryError, UserError
from . import mlflow_store, model_files
from .datasets import read_profile

CHAMPION = "champion"
PREVIOUS = "previous"
REGISTRY_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[\w-]+)|/(?P<version>\d+))$")


@dataclass(frozen=True)
class Version:
    version: str
    run_id: str
    tags: dict[str, str]
    created: float | None = None
    """When it was registered, in seconds since the epoch."""


@dataclass(frozen=True)
class ModelReference:
    """A model to serve, resolved: what /health reports, and where to load it from."""

    name: str
    version: str
    alias: str | None
    uri: str
    """A local MLflow model folder, or models:/<name>/<version>."""


def _unusable(paths: Paths, error: BaseException) -> RegistryError:
    return RegistryError(
        f"MLflow registry {mlflow_store.where(paths)} cannot be used: {mlflow_store.first_line(error)}"
    )


def version_with_alias(paths: Paths, alias: str) -> Version | None:
    """The version an alias points at; None when the alias, the registered model or the store do not exist."""
    if not mlflow_store.exists(paths):
        return None  # nothing registered yet, and a lookup does not make a store
    client = mlflow_store.client(paths)
    try:
        model = client.get_registered_model(MODEL_NAME)
        if alias not in model.aliases:
            return None
        found = client.get_model_version(MODEL_NAME, model.aliases[alias])
    except MlflowException as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise _unusable(paths, error) from None
    except OSError as error:
        raise _unusable(paths, error) from None
    created = found.creation_timestamp / 1000 if found.creation_timestamp else None
    return Version(str(found.version), found.run_id or "", dict(found.tags), created)


def is_registered(paths: Paths, trained: TrainedModel) -> bool:
    """Whether the store holds the trained model: its registered version, made by its run."""
    if not mlflow_store.exists(paths):
        return False
    client = mlflow_store.client(paths)
    try:
        return client.get_model_version(trained.registered_model, trained.version).run_id == trained.run_id
    except MlflowException as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            return False
        raise _unusable(paths, error) from None


def champion(paths: Paths) -> Version | None:
    return version_with_alias(paths, CHAMPION)


def previous(paths: Paths) -> Version | None:
    return version_with_alias(paths, PREVIOUS)


def roll_back(paths: Paths) -> tuple[str, str]:
    """Point `champion` back at `previous` and drop `previous` (one step back, not a history); returns
    (the version that was champion, the one that is now). A RegistryError when there is no previous."""
    current, earlier = champion(paths), previous(paths)
    if earlier is None:
        raise RegistryError(f"{MODEL_NAME} has no previous version to roll back to (no `{PREVIOUS}` alias)")
    client = mlflow.MlflowClient()
    try:
        client.set_registered_model_alias(MODEL_NAME, CHAMPION, earlier.version)
        client.delete_registered_model_alias(MODEL_NAME, PREVIOUS)
        if current is not None:
            client.set_model_version_tag(MODEL_NAME, current.version, "rolled_back", "true")
    except MlflowException as error:
        raise _unusable(paths, error) from None
    return (current.version if current else "(none)"), earlier.version


def load_version(paths: Paths, version: Version) -> model_files.LoadedModel:
    """Download a registered version's model and load it; a RegistryError when that fails."""
    mlflow_store.connect(paths)
    uri = f"models:/{MODEL_NAME}/{version.version}"
    with tempfile.TemporaryDirectory(prefix="champion-") as folder:
        try:
            local = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=folder)
            return model_files.load(Path(local))
        except Exception as error:
            raise RegistryError(
                f"champion {uri} cannot be loaded: {mlflow_store.first_line(error)}; "
                "nothing was promoted (restore its artifacts, or move the alias to a usable version)"
            ) from None


REFERENCE = "reference/profile.json"
"""In a training run's artifacts: the profile of the data it trained on, which drift is measured against."""


def training_reference(paths: Paths, version: Version) -> dict | None:
    """The profile a version's training run logged (REFERENCE); None for a run that logged none."""
    mlflow_store.connect(paths)
    try:
        return mlflow.artifacts.load_dict(f"runs:/{version.run_id}/{REFERENCE}")
    except MlflowException as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise _unusable(paths, error) from None
    except OSError:
        return None


def champion_reference(paths: Paths) -> tuple[Version | None, dict | None, str | None]:
    """The champion, the profile of the data it was trained on and where that came from: its run's REFERENCE,
    else (a run that logged none) data/reference.json; (None, None, None) when there is no champion."""
    found = champion(paths)
    if found is None:
        return None, None, None
    reference = training_reference(paths, found)
    if reference is not None:
        return (
            found,
            reference,
            f"champion version {found.version}'s training data (MLflow run {found.run_id})",
        )
    if paths.reference.is_file():
        logged = read_profile(paths.reference)
        return (
            found,
            logged,
            f"{paths.shown(paths.reference)} (version {found.version}'s run logged no profile)",
        )
    return found, None, None


EXPORTED = "registered-version"
"""In a folder `export` made: the registered version the model there is a copy of."""


def export(paths: Paths, version: str, folder: Path) -> Path:
    """A copy of a registered version's model in folder/v<version>/, for a process that must not depend on
    this project's store later (the local deploy target's service: CI jobs clean their workspace)."""
    target = folder / f"v{version}"
    if (target / EXPORTED).is_file():
        return target
    mlflow_store.connect(paths)
    folder.mkdir(parents=True, exist_ok=True)
    uri = f"models:/{MODEL_NAME}/{version}"
    with tempfile.TemporaryDirectory(prefix=".export-", dir=folder) as staging:
        try:
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=staging))
        except Exception as error:
            raise RegistryError(f"{uri} cannot be downloaded: {mlflow_store.first_line(error)}") from None
        (local / EXPORTED).write_text(version)
        shutil.rmtree(target, ignore_errors=True)
        local.rename(target)
    target.chmod(0o755)  # the download may be the staging folder itself, made owner-only by mkdtemp
    return target


def tag(paths: Paths, version: str, tags: dict[str, str]) -> None:
    client = mlflow_store.client(paths)
    try:
        for key, value in tags.items():
            client.set_model_version_tag(MODEL_NAME, version, key, value)
    except MlflowException as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise RegistryError(
                f"{MODEL_NAME} version {version} is not in the MLflow registry {mlflow_store.where(paths)}: "
                "train and compare must use the same store (MLFLOW_TRACKING_URI)"
            ) from None
        raise _unusable(paths, error) from None


def promote(paths: Paths, version: str) -> str | None:
    """Point `champion` at version and `previous` at the version it replaces; returns that one."""
    current = champion(paths)
    client = mlflow.MlflowClient()
    try:
        if current is not None and current.version != version:
            client.set_registered_model_alias(MODEL_NAME, PREVIOUS, current.version)
        client.set_registered_model_alias(MODEL_NAME, CHAMPION, version)
    except MlflowException as error:
        raise _unusable(paths, error) from None
    return current.version if current is not None else None


def resolve(paths: Paths, model: str) -> ModelReference:
    """A model folder or registry URI, checked and named with its version; a one-line error otherwise."""
    match = REGISTRY_URI.match(model)
    if model.startswith("models:/") and not match:
        raise UserError(f"--model {model}: expected models:/<name>@<alias> or models:/<name>/<version>")
    if match:
        return _registered(paths, match["name"], match["alias"], match["version"])
    folder = Path(model) if Path(model).is_absolute() else paths.root / model
    if not (folder / "MLmodel").is_file():
        raise UserError(f"--model {model}: no MLflow model there; run `repro` first or pass a registry URI")
    return ModelReference(MODEL_NAME, _folder_version(paths, folder), None, str(folder))


def load(reference: ModelReference) -> model_files.LoadedModel:
    """The referenced model, from its folder or downloaded from the registry."""
    if reference.uri.startswith("models:/"):
        with tempfile.TemporaryDirectory(prefix="served-") as folder:
            return model_files.load(Path(mlflow.artifacts.download_artifacts(reference.uri, dst_path=folder)))
    return model_files.load(Path(reference.uri))


def _registered(paths: Paths, name: str, alias: str | None, version: str | None) -> ModelReference:
    wanted = f"models:/{name}{'@' + alias if alias else '/' + str(version)}"
    if not mlflow_store.exists(paths):
        raise UserError(
            f"--model {wanted}: no MLflow store at {paths.shown(paths.mlruns)}/ yet; run `repro` first"
        )
    client = mlflow_store.client(paths)
    try:
        found = (
            client.get_model_version_by_alias(name, alias)
            if alias
            else client.get_model_version(name, version)
        )
    except MlflowException as error:
        raise UserError(
            f"--model {wanted}: not in {mlflow_store.where(paths)} ({mlflow_store.first_line(error)})"
        ) from None
    return ModelReference(name, str(found.version), alias, f"models:/{name}/{found.version}")


def _folder_version(paths: Paths, folder: Path) -> str:
    """The registry version train recorded for models/model (models/run.json), or the one an export
    names, else "local"."""
    if (folder / EXPORTED).is_file():
        return (folder / EXPORTED).read_text().strip()
    if folder.resolve() == paths.model.resolve() and paths.trained.is_file():
        return TrainedModel.read(paths.trained).version
    return "local"
