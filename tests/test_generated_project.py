"""The default project, baked once: its own lint and tests pass, its pipeline trains, tracks and caches."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from baking import DEFAULTS, project_env, run
from defects import DEFECTS
from tools import UV

# Every test here reads or copies the one default project a worker bakes and runs: keep them on one worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("default-project")]
IN_FRONT_ENDS = {"shuffled-labels"}
"""Defects the CI front-end tests inject into a whole pipeline run (test_gitlab_local.py), not repeated here."""

UV_RUN = [UV, "run", "--no-sync"]


def test_ruff_is_clean(default_project: Path):
    run([*UV_RUN, "ruff", "check", "."], default_project)
    run([*UV_RUN, "ruff", "format", "--check", "."], default_project)


def test_its_own_test_suite_passes(default_project: Path):
    """The project's test suite, on two workers as it runs by default: the one place the template runs all
    of it (tests/model/ runs in every CI front-end run's model-tests job)."""
    command = [*UV_RUN, "pytest", "-q", "-p", "no:cacheprovider", "--ignore=tests/model", "--numprocesses=2"]
    result = run(command, default_project)
    assert " passed" in result.stdout
    assert "failed" not in result.stdout


def test_pipeline_left_a_model_metrics_plots_and_a_registered_version(default_project: Path):
    metrics = json.loads((default_project / "reports" / "evaluation.json").read_text())
    assert metrics["test"]["roc_auc"] > 0.9  # HistGradientBoosting on Adult reaches ~0.93
    assert set(metrics["slices"]["sex"]) == {"Female", "Male"}
    assert (default_project / "models" / "model" / "MLmodel").is_file()
    for plot in ("roc.csv", "precision_recall.csv", "confusion.csv"):
        assert (default_project / "reports" / "plots" / plot).is_file()
    trained = json.loads((default_project / "models" / "run.json").read_text())
    assert trained["registered_model"] == DEFAULTS["project"]
    assert trained["version"] == "1"
    query = (
        "import mlflow; c = mlflow.MlflowClient('sqlite:///mlruns/mlflow.db');"
        f"v = c.get_model_version('{DEFAULTS['project']}', '1');"
        "print(v.tags['data_version'], c.get_run(v.run_id).data.metrics['test_roc_auc'])"
    )
    data_version, roc_auc = run([*UV_RUN, "python", "-c", query], default_project).stdout.split()
    assert data_version.startswith("md5:")
    assert float(roc_auc) == metrics["test"]["roc_auc"]


def test_the_shipped_data_passes_validation(default_project: Path):
    result = run([*UV_RUN, DEFAULTS["project"], "validate"], default_project)
    assert "rows pass all" in result.stdout
    assert json.loads((default_project / "reports" / "validation.json").read_text())["valid"] is True


def test_second_repro_does_no_work(default_project: Path):
    result = run([*UV_RUN, "dvc", "repro"], default_project)
    assert "Running stage" not in result.stdout
    assert "Data and pipelines are up to date." in result.stdout


def test_a_params_change_reruns_only_what_depends_on_it(default_project: Path, tmp_path: Path):
    project = tmp_path / default_project.name
    shutil.copytree(default_project, project, symlinks=True)
    params = project / "params.yaml"
    params.write_text(params.read_text().replace("threshold: 0.5", "threshold: 0.4"))
    result = run([*UV_RUN, "dvc", "repro"], project)
    assert "Running stage 'evaluate'" in result.stdout
    assert "Running stage 'train'" not in result.stdout
    assert "Running stage 'prepare'" not in result.stdout
    assert json.loads((project / "reports" / "evaluation.json").read_text())["threshold"] == 0.4


@pytest.mark.parametrize(
    ("inject", "failing_test"),
    [DEFECTS[name] for name in DEFECTS if name not in IN_FRONT_ENDS],
    ids=[name for name in DEFECTS if name not in IN_FRONT_ENDS],
)
def test_an_injected_defect_fails_its_model_test(default_project: Path, tmp_path: Path, inject, failing_test):
    project = tmp_path / default_project.name
    shutil.copytree(default_project, project, symlinks=True)
    inject(project)
    # The shared venv's editable install points at the original project: put the copy's code first.
    env = {**project_env(), "PYTHONPATH": str(project / "src")}
    run([*UV_RUN, DEFAULTS["project"], "repro"], project, env)

    result = subprocess.run(
        [*UV_RUN, DEFAULTS["project"], "model-tests"], cwd=project, env=env, capture_output=True, text=True
    )

    assert result.returncode != 0, result.stdout[-3000:]
    failed = [case.get("name") for case in failing_cases(project / "reports" / "junit" / "model.xml")]
    assert failing_test in failed, failed


def failing_cases(junit: Path) -> list:
    return [case for case in ET.parse(junit).getroot().iter("testcase") if case.find("failure") is not None]
