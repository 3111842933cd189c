"""Fixtures shared by the template's tests (helpers live in baking.py and tools.py).

The expensive thing, a baked default project with its environment installed and its pipeline run,
is made once per session.
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
    """The default bake, its environment synced into the shared venv, its pipeline run once."""
    project = bake_into(tmp_path_factory.mktemp("default"))
    run([UV, "sync", "--locked"], project)
    run([UV, "run", "--no-sync", DEFAULTS["project"], "repro"], project)
    return project
