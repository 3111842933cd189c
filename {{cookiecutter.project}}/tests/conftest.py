"""Shared fixtures: the shipped contract and params, samples of the real data, copies of the project.

What is expensive (training a model, running `repro`) happens once per test run, in session-scoped
fixtures; a test that changes such a project works on its own copy.
"""

from __future__ import annotations

import os

# pytest-xdist runs a worker per core: a model's own OpenMP threads would only compete with the other
# worker (HistGradientBoosting trains ten times slower on a busy 2-core machine). Set before scikit-learn
# loads; the subprocesses tests start (dvc, serve, locust) inherit it.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from {{ cookiecutter.package }}.cli import collect_garbage_less_often, main
from {{ cookiecutter.package }}.config import MODEL_NAME, Paths
from {{ cookiecutter.package }}.contract import Contract, load_contract
from {{ cookiecutter.package }}.io import model_files
from {{ cookiecutter.package }}.io.versions import BRANCH_VARIABLES
from {{ cookiecutter.package }}.settings import Settings, load_settings

if TYPE_CHECKING:  # MLflow, pandas, the app: imported by the fixtures that use them, so that a run of a few
    # light tests (CI's test stage, tests/model/) does not pay seconds of imports for the others' fixtures
    import mlflow
    import pandas as pd

    from {{ cookiecutter.package }}.artefacts import Comparison
    from {{ cookiecutter.package }}.io import registry as model_registry
    from {{ cookiecutter.package }}.serving.app import ServedModel

collect_garbage_less_often()  # a test worker imports what the stages import, and more

ROOT = Path(__file__).resolve().parents[1]
PROJECT_FILES = (
    "params.yaml",
    "dvc.yaml",
    ".dvc",
    ".dvcignore",
    "data/contract.yaml",
    "data/reference.json",
    "data/golden.csv",
    "src",
)
CI_CONTEXT = (
    *BRANCH_VARIABLES,
    "GITHUB_EVENT_NAME",
    "CI_MERGE_REQUEST_IID",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA",
    "CHANGE_ID",
)
"""What tells the project which branch or pull request CI builds; tests set it themselves."""


@pytest.fixture(scope="session")
def shipped() -> Paths:
    return Paths(ROOT)


@pytest.fixture(scope="session")
def contract(shipped: Paths) -> Contract:
    return load_contract(shipped.contract)


@pytest.fixture(scope="session")
def settings(shipped: Paths) -> Settings:
    return load_settings(shipped.params)


@pytest.fixture(scope="session")
def raw(shipped: Paths, contract: Contract) -> pd.DataFrame:
    from {{ cookiecutter.package }}.io.datasets import read_raw

    return read_raw(shipped.raw_data, contract)


@pytest.fixture
def sample(raw: pd.DataFrame) -> pd.DataFrame:
    """2,000 real rows, drawn reproducibly."""
    return raw.sample(n=2000, random_state=0).reset_index(drop=True)


def copy_project(target: Path, raw: pd.DataFrame) -> Paths:
    """This project's files and 3,000 rows of its data in target: a git repository on main."""
    for name in PROJECT_FILES:
        source, copy = ROOT / name, target / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__", "cache", "tmp"))
        else:
            shutil.copy2(source, copy)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=target, check=True)  # DVC works inside git
    paths = Paths(target)
    paths.raw_data.parent.mkdir(parents=True)
    raw.sample(n=3000, random_state=1).to_csv(paths.raw_data, index=False)
    return paths


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Paths], Paths]:
    """seed_store(paths): put an empty MLflow store, its schema made, in the project's mlruns/.

    A new sqlite store runs MLflow's migrations, 3 s each time: tests that train start from a copy of one
    migrated store instead, made once per test run by the first xdist worker that needs it.
    """
    import mlflow
    from filelock import FileLock

    run = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        run = run.parent  # this run's folder, which holds each worker's own
    empty = run / "empty-store" / "mlflow.db"
    with FileLock(run / "empty-store.lock"):
        if not empty.is_file():
            empty.parent.mkdir(exist_ok=True)
            migrating = empty.with_suffix(".migrating")  # a failed migration leaves no store to copy
            migrating.unlink(missing_ok=True)
            mlflow.MlflowClient(tracking_uri=f"sqlite:///{migrating}").search_experiments()
            migrating.rename(empty)

    def seed(paths: Paths) -> Paths:
        paths.mlruns.mkdir(parents=True, exist_ok=True)
        shutil.copy2(empty, paths.mlruns / "mlflow.db")
        return paths

    return seed


def outside_ci(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    """Work in root, with the embedded MLflow store, seen as outside CI whatever CI runs these tests."""
    monkeypatch.chdir(root)
    for name in ("MLFLOW_TRACKING_URI", *CI_CONTEXT):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def leave_ci() -> Callable[[pytest.MonkeyPatch, Path], None]:
    """outside_ci(monkeypatch, root), for the fixtures of other conftest files."""
    return outside_ci


@pytest.fixture
def project(tmp_path: Path, raw: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """A copy of this project in tmp_path (3,000 rows of data, its own MLflow store), as cwd."""
    paths = copy_project(tmp_path, raw)
    outside_ci(monkeypatch, tmp_path)
    return paths


@pytest.fixture(scope="session")
def build_project(
    tmp_path_factory: pytest.TempPathFactory, raw: pd.DataFrame, seed_store: Callable[[Paths], Paths]
) -> Callable[[str, Callable[[Paths], None]], Paths]:
    """build_project(name, steps): a project copy with an empty store in which steps(paths) ran, as cwd
    and outside CI; for session fixtures that do something expensive once (`reproduced`)."""

    def build(name: str, steps: Callable[[Paths], None]) -> Paths:
        paths = seed_store(copy_project(tmp_path_factory.mktemp(name), raw))
        with pytest.MonkeyPatch.context() as monkeypatch:
            outside_ci(monkeypatch, paths.root)
            steps(paths)
        return paths

    return build


@pytest.fixture(scope="session")
def reproduced(build_project: Callable[[str, Callable[[Paths], None]], Paths]) -> Paths:
    """A project copy in which `repro` ran once: data validated and split, a model trained, evaluated and
    registered as version 1. Tests read it, or change a copy of it (`copy_of`).

    Made as CI makes it, `validate` first (in this process), then `repro`, which records that validation
    instead of running it again (a validate process imports Great Expectations: 3 s)."""

    def repro(_: Paths) -> None:
        assert main(["validate"]) == 0
        assert main(["repro"]) == 0

    return build_project("reproduced", repro)


@pytest.fixture
def copy_of(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """copy_of(paths): a whole copy of a project (its DVC cache and outputs too) in tmp_path, as cwd."""

    return lambda paths: copy_whole(paths, tmp_path / "copy", monkeypatch)


def copy_whole(paths: Paths, target: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """A whole copy of a project in target, as cwd and outside CI."""
    shutil.copytree(paths.root, target, symlinks=True)
    outside_ci(monkeypatch, target)
    return Paths(target)


@pytest.fixture(scope="session")
def served_project(tmp_path_factory: pytest.TempPathFactory, raw: pd.DataFrame, settings: Settings) -> Paths:
    """A project with a quickly trained model in models/model and a test split, for the service's tests.

    Independent of `repro` (the test stage runs before it in CI): the shipped model settings, 3,000 rows.
    """
    from {{ cookiecutter.package }}.core.models import build_model
    from {{ cookiecutter.package }}.core.scoring import score_quantiles
    from {{ cookiecutter.package }}.io import model_files
    from {{ cookiecutter.package }}.io.datasets import labels, write_split

    paths = Paths(tmp_path_factory.mktemp("served"))
    contract = load_contract(ROOT / "data" / "contract.yaml")
    for name in ("params.yaml", "data/contract.yaml"):
        (paths.root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, paths.root / name)
    shuffled = raw.sample(frac=1.0, random_state=3).reset_index(drop=True)
    train, test = shuffled.iloc[:3000], shuffled.iloc[3000:9000].reset_index(drop=True)
    columns = contract.feature_columns(settings.features.drop)
    model = build_model(
        settings.train.model, contract.numeric(columns), contract.categorical(columns), settings.train.seed
    )
    model.fit(train[columns], labels(train, contract))
    quantiles = score_quantiles(model.predict_proba(train[columns])[:, 1])
    model_files.save(model, train[contract.input_columns()].dropna().head(5), paths.model, quantiles)
    write_split(test, paths.test_split)
    return paths


@pytest.fixture(scope="session")
def reference(served_project: Paths) -> model_registry.ModelReference:
    from {{ cookiecutter.package }}.io import registry as model_registry

    return model_registry.resolve(served_project, "models/model")


@pytest.fixture(scope="session")
def loaded(reference: model_registry.ModelReference) -> model_files.LoadedModel:
    from {{ cookiecutter.package }}.io import registry as model_registry

    return model_registry.load(reference)


@pytest.fixture(scope="session")
def pipeline(loaded: model_files.LoadedModel):
    return loaded.pipeline


@pytest.fixture(scope="session")
def served(
    reference: model_registry.ModelReference, loaded, contract: Contract, settings: Settings
) -> ServedModel:
    """The served project's model as the service serves it (ONNX Runtime, converted once)."""
    from {{ cookiecutter.package }}.serving.app import ServedModel
    from {{ cookiecutter.package }}.serving.backends import choose_backend

    chosen = choose_backend(loaded.pipeline, contract, contract.input_columns())
    return ServedModel.of(reference, chosen, loaded, settings.evaluate.threshold)


@pytest.fixture
def live_app() -> Iterator[Callable[[Any], str]]:
    """live_app(app): the app served by uvicorn on a free 127.0.0.1 port in this process; its base URL.
    Stopped at the end of the test."""
    import threading
    import time

    import uvicorn

    from {{ cookiecutter.package }}.serving.process import HOST, free_port

    started: list[tuple[uvicorn.Server, threading.Thread]] = []

    def serve(app: Any) -> str:
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, name="live-app", daemon=True)
        thread.start()
        started.append((server, thread))
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive(), "the app's server stopped before it started"
            assert time.monotonic() < deadline, "the app's server did not start within 30 s"
            time.sleep(0.05)
        return f"http://{HOST}:{port}"

    yield serve
    for server, thread in started:
        server.should_exit = True
        thread.join(timeout=15)


MODELS = {
    # On the fixture's 3,000 rows: ROC AUC about 0.885 and 0.915, both above the floors.
    "weak": {"kind": "logistic_regression", "C": 0.003},
    "strong": {"kind": "hist_gradient_boosting", "learning_rate": 0.05, "max_iter": 100, "max_leaf_nodes": 8},
    # As good as strong, give or take: what a retrain on the same data gives.
    "retrained": {"kind": "hist_gradient_boosting", "learning_rate": 0.1, "max_iter": 50},
}


@dataclass(frozen=True)
class Registry:
    """The CLI's train, compare and promote on one project, and what its MLflow registry then holds."""

    paths: Paths

    def train(self, model: str) -> str:
        """Train with the named model settings (MODELS); returns the registered version."""
        from {{ cookiecutter.package }}.artefacts import TrainedModel

        params = yaml.safe_load(self.paths.params.read_text())
        params["train"]["model"] = MODELS[model]
        self.paths.params.write_text(yaml.safe_dump(params))
        assert main(["train"]) == 0
        return TrainedModel.read(self.paths.trained).version

    def compare(self) -> Comparison:
        from {{ cookiecutter.package }}.artefacts import Comparison

        assert main(["compare"]) == 0
        return Comparison.read(self.paths.comparison)

    def client(self) -> mlflow.MlflowClient:
        """A client of the project's store, as the stages reach it (a copied store relocated first)."""
        import mlflow

        from {{ cookiecutter.package }}.io import mlflow_store

        mlflow_store.connect(self.paths)
        uri = mlflow_store.tracking_uri(self.paths)
        return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)

    def aliases(self) -> dict[str, str]:
        found = self.client().get_registered_model(MODEL_NAME).aliases
        return {alias: str(version) for alias, version in found.items()}


@pytest.fixture
def prepared(project: Paths, seed_store: Callable[[Paths], Paths]) -> Registry:
    """The project copy with its data split and an empty MLflow store, ready to train."""
    assert main(["prepare"]) == 0
    return Registry(seed_store(project))


@pytest.fixture(scope="session")
def registry_of() -> type[Registry]:
    """Registry(paths), for the fixtures of other conftest files."""
    return Registry


@pytest.fixture(scope="session")
def first_champion(build_project: Callable[[str, Callable[[Paths], None]], Paths]) -> Registry:
    """Made once: the weak model trained (version 1), compared with no champion (first) and promoted.
    Its tests share the xdist group `first-champion`, so that one worker makes it."""

    def first(paths: Paths) -> None:
        assert main(["prepare"]) == 0
        registry = Registry(paths)
        assert registry.train("weak") == "1"
        comparison = registry.compare()
        assert (comparison.decision, comparison.champion) == ("first", None)
        assert main(["promote"]) == 0

    return Registry(build_project("first-champion", first))


@pytest.fixture
def registry(first_champion: Registry, copy_of) -> Registry:
    """A copy of `first_champion` (store included) to change: the weak model is version 1 and champion."""
    return Registry(copy_of(first_champion.paths))


@pytest.fixture(scope="session")
def challenged(first_champion: Registry, tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """Made once from a copy of `first_champion`: the strong model trained (version 2) and compared with the
    weak champion (promote), not promoted yet."""
    root = tmp_path_factory.mktemp("challenged") / "project"
    with pytest.MonkeyPatch.context() as monkeypatch:
        registry = Registry(copy_whole(first_champion.paths, root, monkeypatch))
        assert registry.train("strong") == "2"
        assert registry.compare().decision == "promote"
    return registry


@pytest.fixture
def challenger(challenged: Registry, copy_of) -> Registry:
    """A copy of `challenged` to change: the weak champion is version 1, the strong challenger version 2,
    compared (promote) and ready to promote."""
    return Registry(copy_of(challenged.paths))
