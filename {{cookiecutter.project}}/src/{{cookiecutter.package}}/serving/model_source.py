"""Where the served model comes from: a registry URI (models:/name@alias, models:/name/version) through
the project's MLflow store, or a local MLflow model folder (default models/model)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sklearn.pipeline import Pipeline

from ..config import MODEL_NAME, Paths
from ..errors import UserError
from ..io import tracking
from ..io.files import read_json

REGISTRY_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[\w-]+)|/(?P<version>\d+))$")


@dataclass(frozen=True)
class ModelSource:
    """A resolved model: what /health reports, and where to load it from."""

    name: str
    version: str
    alias: str | None
    uri: str


def resolve(paths: Paths, model: str) -> ModelSource:
    """Check that the model exists and find its name and version, cheaply: a one-line error otherwise."""
    match = REGISTRY_URI.match(model)
    if model.startswith("models:/") and not match:
        raise UserError(f"--model {model}: expected models:/<name>@<alias> or models:/<name>/<version>")
    if match:
        return _registered(paths, match["name"], match["alias"], match["version"])
    path = Path(model) if Path(model).is_absolute() else paths.root / model
    if not (path / "MLmodel").is_file():
        raise UserError(f"--model {model}: no MLflow model there; run `repro` first or pass a registry URI")
    return ModelSource(MODEL_NAME, _local_version(paths, path), None, str(path))


def load(source: ModelSource) -> Pipeline:
    import mlflow.sklearn

    return mlflow.sklearn.load_model(source.uri)


def _registered(paths: Paths, name: str, alias: str | None, version: str | None) -> ModelSource:
    import mlflow
    from mlflow.exceptions import MlflowException

    tracking.connect(paths)
    client = mlflow.MlflowClient()
    try:
        found = (
            client.get_model_version_by_alias(name, alias)
            if alias
            else client.get_model_version(name, version)
        )
    except MlflowException as error:
        raise UserError(
            f"--model models:/{name}{'@' + alias if alias else '/' + str(version)}: "
            f"not in {tracking.redact(tracking.tracking_uri(paths))} ({tracking.first_line(error)})"
        ) from None
    return ModelSource(name, str(found.version), alias, f"models:/{name}/{found.version}")


def _local_version(paths: Paths, path: Path) -> str:
    """The registry version train recorded for models/model (models/run.json), else "local"."""
    if path.resolve() == paths.model.resolve() and paths.run_info.is_file():
        return str(read_json(paths.run_info).get("version", "local"))
    return "local"
