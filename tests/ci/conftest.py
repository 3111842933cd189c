"""Fixtures: the projects the three CI front-ends run, a fresh default bake and copies with one defect each.

Each front-end works on its own copy (a git clone), so runs never see each other's outputs.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from baking import bake_into
from ci.projects import (
    clone,
    commit_params,
    git,
    set_aside_unit_tests,
    start_standin_forge,
    stop_local_service,
)
from defects import DEFECTS
from tools import free_port


@pytest.fixture(scope="session")
def ci_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The default project as a user pushes it, generated and never run, with one more commit that sets its
    unit tests aside: the runs here are about the pipeline, and the project's whole suite runs once, in
    test_generated_project.py. The `test` stage still runs the tests that stay (settings, and tests/model/,
    which the model-tests stage runs).

    The local deploy target's service, which the deploy jobs of pipelines on main start or update, listens
    on a free port with its state in a folder of this session (as on a runner: outside the job workspaces);
    every run of this worker deploys to it, and it is stopped when the session ends.

    Its latency SLOs are four times wider: a front-end run's load test shares two cores with the other
    worker's runs (p99 went from ~25 ms to 180 ms once); the SLO gate itself is made to fail in the
    project's own tests (tests/stages/test_loadtest.py). Its load test runs 2 s, not 5: still thousands of
    requests, and about 30 s less over the front-end runs."""
    project = bake_into(tmp_path_factory.mktemp("ci"))
    set_aside_unit_tests(project)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Unit tests set aside")
    state = tmp_path_factory.mktemp("deployed")
    commit_params(project, "The local service: a free port, its state outside the workspace",
                  port=free_port(), state_dir=state)  # fmt: skip
    slo = yaml.safe_load((project / "params.yaml").read_text())["loadtest"]["slo"]
    commit_params(project, "Latency SLOs four times wider, a 2-s load test: CI runs here share two cores",
                  p95_ms=slo["p95_ms"] * 4, p99_ms=slo["p99_ms"] * 4, duration_s=2)  # fmt: skip
    yield project
    stop_local_service(state)


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


@pytest.fixture(scope="session")
def shuffled_labels_project(ci_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same project after a commit that shuffles the labels (DEFECTS["shuffled-labels"]): data valid,
    model worthless."""
    project = clone(ci_project, tmp_path_factory.mktemp("shuffled") / ci_project.name)
    inject, _ = DEFECTS["shuffled-labels"]
    inject(project)
    git(project, "commit", "-qam", "Shuffled labels")
    return project


@pytest.fixture
def standin_forge() -> Iterator[Any]:
    """The generated project's STAND-IN forge on a free 127.0.0.1 port (see projects.start_standin_forge)."""
    with start_standin_forge() as forge:
        yield forge
