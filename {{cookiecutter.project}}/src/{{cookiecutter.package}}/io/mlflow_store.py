"""The MLflow store: an embedded sqlite store in mlruns/ by default, a tracking server when
MLFLOW_TRACKING_URI is set, with no code change. Runs, the registry and model files all go through it."""

from __future__ import annotations

import logging
import os
import sqlite3
import warnings
from contextlib import closing

os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
# An unreachable tracking server fails in about 15 s instead of MLflow's minutes of retries.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "3")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

import mlflow
from mlflow.exceptions import MlflowException
from sqlalchemy.exc import SQLAlchemyError

from ..config import MODEL_NAME, Paths
from ..errors import UserError

KNOWN_NOISE = (
    "Saving scikit-learn models in the pickle or cloudpickle format",  # chosen, see model_files
    "Failed to resolve installed pip version",  # uv environments have no pip
)


class _DropKnownNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(KNOWN_NOISE)


logging.getLogger("mlflow").setLevel(logging.WARNING)
for _name in ("mlflow.sklearn", "mlflow.utils.environment"):
    logging.getLogger(_name).addFilter(_DropKnownNoise())
# The contract's integer columns are never null, so an integer signature is right.
warnings.filterwarnings("ignore", message=r"Hint: Inferred schema contains integer column")


def tracking_uri(paths: Paths) -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{paths.mlruns / 'mlflow.db'}"


def is_embedded() -> bool:
    return not os.environ.get("MLFLOW_TRACKING_URI")


LOCATIONS = (
    ("experiments", "artifact_location"),
    ("runs", "artifact_uri"),
    ("logged_models", "artifact_location"),
    ("model_versions", "storage_location"),
    ("model_versions", "source"),
)
"""Where MLflow's sqlite store keeps absolute paths of artifact folders."""


def relocate(paths: Paths) -> None:
    """Point an embedded store that was moved or copied at its own artifact folder.

    The sqlite store records absolute paths: after `mv`, `cp -a`, or a CI cache restored in another
    build directory they would name the old folder (new model files written there, moved ones not
    found). Every recorded root that is not this mlruns/ is rewritten to it.
    """
    database = paths.mlruns / "mlflow.db"
    if not database.is_file():
        return
    here = str(paths.mlruns.resolve())
    with closing(sqlite3.connect(database)) as db, db:
        try:
            experiments = db.execute("SELECT experiment_id, artifact_location FROM experiments").fetchall()
        except sqlite3.OperationalError:
            return  # a database without MLflow's tables yet: MLflow makes them
        except sqlite3.DatabaseError as error:
            raise UserError(
                f"{database}: not a usable MLflow store ({error}); restore it (from CI's cache or a backup) "
                "or move mlruns/ aside to start a new store"
            ) from None
        roots = {
            location.removesuffix(f"/{experiment}")
            for experiment, location in experiments
            if location and location.endswith(f"/{experiment}")
        }
        for root in roots - {here}:
            for table, column in LOCATIONS:
                db.execute(
                    f"UPDATE {table} SET {column} = ? || substr({column}, ?) "
                    f"WHERE substr({column}, 1, ?) = ? AND substr({column}, ?, 1) IN ('', '/')",
                    (here, len(root) + 1, len(root), root, len(root) + 1),
                )


def exists(paths: Paths) -> bool:
    """Whether there is a store to read: a tracking server, or an embedded store already made."""
    return not is_embedded() or (paths.mlruns / "mlflow.db").is_file()


def connect(paths: Paths) -> str:
    """Point MLflow at the project's store and make sure the experiment exists; returns its id."""
    uri, embedded = tracking_uri(paths), is_embedded()
    if embedded:
        # Artifacts land beside the database, in mlruns/<experiment id>/.
        paths.mlruns.mkdir(parents=True, exist_ok=True)
        relocate(paths)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    if embedded:
        # MLflow also exports the URIs to the environment, for subprocesses. The embedded store is the
        # project's own: left there, they would make this process's next project, and every process it
        # starts, use this project's store as if the user had set a tracking server.
        for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
            if os.environ.get(name) == uri:
                del os.environ[name]
    try:
        experiment = mlflow.get_experiment_by_name(MODEL_NAME)
        if experiment is not None:
            return experiment.experiment_id
        return mlflow.create_experiment(MODEL_NAME)
    except (MlflowException, SQLAlchemyError, OSError, ValueError, ImportError) as error:
        # OSError: a sqlite file that cannot be made; ValueError: a malformed URI; ImportError: no driver for
        # the URI's database (psycopg, pymysql): each a setting to fix, in one line.
        raise UserError(f"MLflow store {redact(uri)} is not usable: {first_line(error)}") from None


def client(paths: Paths) -> mlflow.MlflowClient:
    """A client of the project's store (connected, the experiment made)."""
    connect(paths)
    return mlflow.MlflowClient()


def where(paths: Paths) -> str:
    """The store, safe to print in CI logs."""
    return redact(tracking_uri(paths))


def redact(uri: str) -> str:
    """A tracking URI without credentials."""
    scheme, sep, rest = uri.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return uri


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
