"""The MLflow model registry: who the champion is, its model, and moving the aliases.

The `champion` alias names the production model; promotion moves it and points `previous` at the
version it replaces, so a rollback is one alias move. Works the same on the embedded store and on a
tracking server (MLFLOW_TRACKING_URI).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.models import Model
from sklearn.pipeline import Pipeline

from ..config import MODEL_NAME, Paths
from ..errors import RegistryError
from . import tracking

CHAMPION = "champion"
PREVIOUS = "previous"


@dataclass(frozen=True)
class Version:
    version: str
    run_id: str
    tags: dict[str, str]


@dataclass(frozen=True)
class Loaded:
    """A model ready to score, with the input schema it was registered with."""

    model: Pipeline
    inputs: dict[str, str]
    size_bytes: int


def _unreachable(uri: str, error: Exception) -> RegistryError:
    return RegistryError(
        f"MLflow registry {tracking.redact(uri)} cannot be used: {tracking.first_line(error)}"
    )


def version_with_alias(paths: Paths, alias: str) -> Version | None:
    """The version an alias points at; None when the alias (or the registered model) does not exist."""
    uri = tracking.tracking_uri(paths)
    tracking.connect(paths)
    client = mlflow.MlflowClient()
    try:
        model = client.get_registered_model(MODEL_NAME)
        if alias not in model.aliases:
            return None
        found = client.get_model_version(MODEL_NAME, model.aliases[alias])
    except MlflowException as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise _unreachable(uri, error) from None
    except OSError as error:
        raise _unreachable(uri, error) from None
    return Version(version=str(found.version), run_id=found.run_id or "", tags=dict(found.tags))


def champion(paths: Paths) -> Version | None:
    return version_with_alias(paths, CHAMPION)


def load_folder(folder: Path) -> Loaded:
    """A saved MLflow model folder: the scikit-learn pipeline and its input schema."""
    info = Model.load(str(folder))
    inputs = info.signature.inputs.to_dict() if info.signature else []
    return Loaded(
        model=mlflow.sklearn.load_model(str(folder)),
        inputs={column.get("name", "?"): column.get("type", "?") for column in inputs},
        size_bytes=sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()),
    )


def load_version(paths: Paths, version: Version) -> Loaded:
    """Download a registered version's model and load it; a RegistryError when that fails."""
    tracking.connect(paths)
    uri = f"models:/{MODEL_NAME}/{version.version}"
    with tempfile.TemporaryDirectory(prefix="champion-") as folder:
        try:
            local = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=folder)
            return load_folder(Path(local))
        except Exception as error:
            raise RegistryError(
                f"champion {uri} cannot be loaded: {tracking.first_line(error)}; "
                "nothing was promoted (restore its artifacts, or move the alias to a usable version)"
            ) from None


def tag(paths: Paths, version: str, tags: dict[str, str]) -> None:
    uri = tracking.tracking_uri(paths)
    tracking.connect(paths)
    client = mlflow.MlflowClient()
    try:
        for key, value in tags.items():
            client.set_model_version_tag(MODEL_NAME, version, key, value)
    except MlflowException as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise RegistryError(
                f"{MODEL_NAME} version {version} is not in the MLflow registry {tracking.redact(uri)}: "
                "train and compare must use the same store (MLFLOW_TRACKING_URI)"
            ) from None
        raise _unreachable(uri, error) from None


def promote(paths: Paths, version: str) -> str | None:
    """Point `champion` at version and `previous` at the version it replaces; returns that one."""
    current = champion(paths)
    client = mlflow.MlflowClient()
    try:
        if current is not None and current.version != version:
            client.set_registered_model_alias(MODEL_NAME, PREVIOUS, current.version)
        client.set_registered_model_alias(MODEL_NAME, CHAMPION, version)
    except MlflowException as error:
        raise _unreachable(tracking.tracking_uri(paths), error) from None
    return current.version if current is not None else None
