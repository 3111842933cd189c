"""Fixtures: the projects the three CI front-ends run, a fresh default bake and copies with one defect each.

Each front-end works on its own copy (a git clone), so runs never see each other's outputs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from baking import bake_into
from ci.projects import clone, commit_params, git, set_aside_unit_tests
from defects import shuffle_labels


@pytest.fixture(scope="session")
def ci_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default project as a user pushes it: generated, committed, never run."""
    return bake_into(tmp_path_factory.mktemp("ci"))


@pytest.fixture(scope="session")
def broken_project(ci_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same project with a deliberately failing unit test (its other tests set aside to keep it quick)."""
    project = clone(ci_project, tmp_path_factory.mktemp("broken") / ci_project.name)
    shutil.rmtree(project / "tests")
    (project / "tests").mkdir()
    (project / "tests" / "test_broken.py").write_text("def test_deliberately_broken():\n    assert 2 + 2 == 5\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "A deliberately failing unit test")
    return project


@pytest.fixture(scope="session")
def corrupted_data_project(ci_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same project after a commit that puts an unknown category into the raw data."""
    project = clone(ci_project, tmp_path_factory.mktemp("corrupted") / ci_project.name)
    raw = project / "data" / "raw" / "adult.csv"
    raw.write_text(raw.read_text().replace(",Male,", ",Robot,", 25))
    git(project, "commit", "-qam", "New data with an unknown category")
    return project


@pytest.fixture
def registry_project(ci_project: Path, tmp_path: Path) -> Path:
    """The same project, unit tests set aside, after a commit that trains a weaker model than the default."""
    project = clone(ci_project, tmp_path / "registry" / ci_project.name)
    set_aside_unit_tests(project)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Unit tests set aside")
    commit_params(project, "A small model", max_iter=50, max_leaf_nodes=8)
    return project


@pytest.fixture(scope="session")
def shuffled_labels_project(ci_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same project after a commit that shuffles the labels: data valid, model worthless.

    Most unit tests are set aside (tests/model stays) so the run reaches the model tests quickly.
    """
    project = clone(ci_project, tmp_path_factory.mktemp("shuffled") / ci_project.name)
    shuffle_labels(project)
    set_aside_unit_tests(project)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Shuffled labels")
    return project
