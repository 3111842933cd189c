"""Fixtures shared by the template's tests (helpers live in baking.py and tools.py).

The expensive thing, a baked default project with its environment installed and its pipeline run,
is made once per session, by whichever pytest-xdist worker needs it first; each worker works on its own copy.
Every baked project that runs uses one uv cache and one venv per pytest-xdist
worker (build/venvs/py<version>-<worker>, see baking.project_env): jobs install the project into it, so two
workers running pipelines at once must not share one. A warm session installs nothing.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from baking import DEFAULTS, Bake, bake_into, run
from tools import UV


@pytest.fixture
def bake(tmp_path: Path) -> Bake:
    return lambda **answers: bake_into(tmp_path, **answers)


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (created), held by one process of this machine at a time."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def default_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default bake, its pipeline run once per session (by the first worker that asks; the others wait
    for it), copied for this worker and synced into this worker's venv (its editable install: the copy)."""
    basetemp = tmp_path_factory.getbasetemp()
    session = basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp  # shared by the workers
    made = session / "default-project-made"
    with locked(session / "default-project.lock"):
        if not (made / ".done").exists():
            shutil.rmtree(made, ignore_errors=True)
            project = bake_into(made)
            run([UV, "sync", "--locked"], project)
            run([UV, "run", "--no-sync", DEFAULTS["project"], "repro"], project)
            (made / ".done").touch()
        project = tmp_path_factory.mktemp("default") / DEFAULTS["project"]
        shutil.copytree(made / DEFAULTS["project"], project, symlinks=True)
    run([UV, "sync", "--locked"], project)
    return project
