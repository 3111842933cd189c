"""Fixtures shared by the template's tests (helpers live in baking.py and tools.py).

The expensive thing, a baked default project with its environment installed and its pipeline run,
is made once per session. Every baked project that runs uses one uv cache and one venv per pytest-xdist
worker (build/venvs/py<version>-<worker>, see baking.project_env): jobs install the project into it, so two
workers running pipelines at once must not share one. A warm session installs nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from baking import DEFAULTS, Bake, bake_into, run
from tools import UV


@pytest.fixture
def bake(tmp_path: Path) -> Bake:
    return lambda **answers: bake_into(tmp_path, **answers)


@pytest.fixture(scope="session")
def default_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default bake, its environment synced into this worker's venv, its pipeline run once."""
    project = bake_into(tmp_path_factory.mktemp("default"))
    run([UV, "sync", "--locked"], project)
    run([UV, "run", "--no-sync", DEFAULTS["project"], "repro"], project)
    return project
