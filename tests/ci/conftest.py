"""Projects the three CI front-ends run: a fresh default bake, and one whose unit tests fail.

Each front-end works on its own copy (a git clone), so runs never see each other's outputs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from defects import DEFECTS

from conftest import QUIET_TOOLS, bake_into, project_env


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com", *args],
        cwd=project,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def clone(project: Path, target: Path) -> Path:
    """A clone of the baked project, on the same branch, to run a CI front-end in."""
    subprocess.run(["git", "clone", "-q", str(project), str(target)], check=True)
    return target


@pytest.fixture(scope="session")
def ci_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default project as a user pushes it, generated and never run, with one more commit that sets its
    unit tests aside: the runs here are about the pipeline, and the project's whole suite runs once, in
    test_generated_project.py. The `test` stage still runs the tests that stay (settings, and tests/model/,
    which the model-tests stage runs)."""
    project = bake_into(tmp_path_factory.mktemp("ci"))
    set_aside_unit_tests(project)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Unit tests set aside")
    return project


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


def ci_env() -> dict[str, str]:
    """What every front-end passes to its jobs: this worker's venv and quiet tools."""
    env = project_env()
    return {key: env[key] for key in ("UV_PROJECT_ENVIRONMENT", *QUIET_TOOLS)}


@pytest.fixture(scope="session")
def corrupted_data_project(ci_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same project after a commit that puts an unknown category into the raw data."""
    project = clone(ci_project, tmp_path_factory.mktemp("corrupted") / ci_project.name)
    raw = project / "data" / "raw" / "adult.csv"
    raw.write_text(raw.read_text().replace(",Male,", ",Robot,", 25))
    git(project, "commit", "-qam", "New data with an unknown category")
    return project


def set_aside_unit_tests(project: Path) -> None:
    """Keep only what the model tests need: these projects are about later stages, not the unit tests."""
    for path in (project / "tests").iterdir():
        if path.name not in ("conftest.py", "model", "test_settings.py"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def commit_params(project: Path, message: str, **model: object) -> None:
    """Set train.model keys in params.yaml (comments kept) and commit."""
    params = project / "params.yaml"
    text = params.read_text()
    for key, value in model.items():
        text, found = re.subn(rf"^(    {key}: )\S+", rf"\g<1>{value}", text, count=1, flags=re.MULTILINE)
        assert found, f"params.yaml has no train.model.{key}"
    params.write_text(text)
    git(project, "commit", "-qam", message)


@pytest.fixture(scope="session")
def shuffled_labels_project(ci_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same project after a commit that shuffles the labels (DEFECTS["shuffled-labels"]): data valid,
    model worthless."""
    project = clone(ci_project, tmp_path_factory.mktemp("shuffled") / ci_project.name)
    inject, _ = DEFECTS["shuffled-labels"]
    inject(project)
    git(project, "commit", "-qam", "Shuffled labels")
    return project
