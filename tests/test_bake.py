"""Every combination of answers bakes a complete project whose structured files parse."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from baking import Bake

DEFAULT_TREE = {
    ".dockerignore",
    ".dvc/.gitignore",
    ".dvc/config",
    ".dvcignore",
    ".gitignore",
    ".python-version",
    "Dockerfile",
    "Makefile",
    "README.md",
    "data/contract.yaml",
    "data/golden.csv",
    "data/raw/adult.csv",
    "data/reference.json",
    "deploy/with-ca.sh",
    "docs/ml-test-score.md",
    "monitoring/alertmanager.yml",
    "monitoring/alerts.test.yml",
    "monitoring/alerts.yml",
    "monitoring/grafana/dashboard.json",
    "monitoring/prometheus.yml",
    "dvc.yaml",
    "params.yaml",
    "pyproject.toml",
    "src/{package}/__init__.py",
    "src/{package}/__main__.py",
    "src/{package}/artefacts.py",
    "src/{package}/cli.py",
    "src/{package}/config.py",
    "src/{package}/contract.py",
    "src/{package}/core/__init__.py",
    "src/{package}/core/canary.py",
    "src/{package}/core/charts.py",
    "src/{package}/core/compare.py",
    "src/{package}/core/decision.py",
    "src/{package}/core/drift.py",
    "src/{package}/core/features.py",
    "src/{package}/core/latency.py",
    "src/{package}/core/models.py",
    "src/{package}/core/monitor.py",
    "src/{package}/core/payloads.py",
    "src/{package}/core/report.py",
    "src/{package}/core/report_html.py",
    "src/{package}/core/request_schema.py",
    "src/{package}/core/scoring.py",
    "src/{package}/core/slo.py",
    "src/{package}/core/split.py",
    "src/{package}/core/validation_messages.py",
    "src/{package}/deployment/__init__.py",
    "src/{package}/deployment/image.py",
    "src/{package}/deployment/kubernetes.py",
    "src/{package}/deployment/local.py",
    "src/{package}/deployment/service.py",
    "src/{package}/deployment/smoke.py",
    "src/{package}/errors.py",
    "src/{package}/io/__init__.py",
    "src/{package}/io/datasets.py",
    "src/{package}/io/expectations.py",
    "src/{package}/io/files.py",
    "src/{package}/io/forge.py",
    "src/{package}/io/mlflow_store.py",
    "src/{package}/io/model_files.py",
    "src/{package}/io/registry.py",
    "src/{package}/io/remote.py",
    "src/{package}/io/tools.py",
    "src/{package}/io/tracking.py",
    "src/{package}/io/validated.py",
    "src/{package}/io/versions.py",
    "src/{package}/serving/__init__.py",
    "src/{package}/serving/admin.py",
    "src/{package}/serving/app.py",
    "src/{package}/serving/backends.py",
    "src/{package}/serving/locustfile.py",
    "src/{package}/serving/models.py",
    "src/{package}/serving/prediction_log.py",
    "src/{package}/serving/process.py",
    "src/{package}/serving/prometheus.py",
    "src/{package}/serving/requests.py",
    "src/{package}/settings.py",
    "src/{package}/stages/__init__.py",
    "src/{package}/stages/compare.py",
    "src/{package}/stages/deploy.py",
    "src/{package}/stages/drift.py",
    "src/{package}/stages/evaluate.py",
    "src/{package}/stages/lint.py",
    "src/{package}/stages/loadtest.py",
    "src/{package}/stages/model_tests.py",
    "src/{package}/stages/monitor.py",
    "src/{package}/stages/pipeline.py",
    "src/{package}/stages/prepare.py",
    "src/{package}/stages/profile.py",
    "src/{package}/stages/promote.py",
    "src/{package}/stages/report.py",
    "src/{package}/stages/repro.py",
    "src/{package}/stages/rollback.py",
    "src/{package}/stages/serve.py",
    "src/{package}/stages/test.py",
    "src/{package}/stages/train.py",
    "src/{package}/stages/validate.py",
    "src/{package}/yamlfile.py",
    "tests/conftest.py",
    "tests/core/golden/invalid-data.md",
    "tests/core/golden/kept.md",
    "tests/core/golden/passing.md",
    "tests/core/golden/rolled-back.md",
    "tests/core/golden/slo-miss.md",
    "tests/core/test_compare.py",
    "tests/core/test_decision.py",
    "tests/core/test_drift.py",
    "tests/core/test_features.py",
    "tests/core/test_latency.py",
    "tests/core/test_models.py",
    "tests/core/test_monitor.py",
    "tests/core/test_payloads.py",
    "tests/core/test_report.py",
    "tests/core/test_request_schema.py",
    "tests/core/test_scoring.py",
    "tests/core/test_slo.py",
    "tests/core/test_split.py",
    "tests/core/test_validation_messages.py",
    "tests/deployment/conftest.py",
    "tests/deployment/test_deploy_inputs.py",
    "tests/deployment/test_kubernetes.py",
    "tests/deployment/test_local.py",
    "tests/io/test_datasets.py",
    "tests/io/test_remote.py",
    "tests/io/test_tools.py",
    "tests/io/test_versions.py",
    "tests/model/conftest.py",
    "tests/model/test_behaviour.py",
    "tests/model/test_infrastructure.py",
    "tests/model/test_quality.py",
    "tests/model/test_training.py",
    "tests/report/conftest.py",
    "tests/report/test_forge.py",
    "tests/serving/conftest.py",
    "tests/serving/test_app.py",
    "tests/serving/test_backends.py",
    "tests/serving/test_connections.py",
    "tests/serving/test_fuzz.py",
    "tests/serving/test_prediction_log.py",
    "tests/stages/conftest.py",
    "tests/stages/test_compare.py",
    "tests/stages/test_compare_server.py",
    "tests/stages/test_drift.py",
    "tests/stages/test_loadtest.py",
    "tests/stages/test_monitor.py",
    "tests/stages/test_pipeline.py",
    "tests/stages/test_repro.py",
    "tests/stages/test_serve.py",
    "tests/stages/test_validate.py",
    "tests/test_artefacts.py",
    "tests/test_bad_input.py",
    "tests/test_cli.py",
    "tests/test_contract.py",
    "tests/test_settings.py",
    "tests/test_alert_thresholds.py",
    "uv.lock",
}
CI_TREE = {
    "github": {
        ".github/workflows/ci.yml",
        ".github/actions/hand-on/action.yml",
        ".github/actions/setup/action.yml",
        ".github/zizmor.yml",
        ".github/dependabot.yml",
    },
    "gitlab": {".gitlab-ci.yml", "renovate.json"},
    "jenkins": {"Jenkinsfile", "renovate.json"},
}

KUBERNETES_TREE = {
    "deploy/kubernetes/base/deployment.yaml",
    "deploy/kubernetes/base/hpa.yaml",
    "deploy/kubernetes/base/kustomization.yaml",
    "deploy/kubernetes/base/pdb.yaml",
    "deploy/kubernetes/base/service.yaml",
    "deploy/kubernetes/overlays/production/kustomization.yaml",
    "deploy/kubernetes/overlays/staging/kustomization.yaml",
}

# Named combinations: every value of every option appears at least once (options are independent).
COMBINATIONS = {
    "defaults": {},
    "ci:github python:3.12": {"ci": "github", "python_version": "3.12"},
    "ci:gitlab python:3.13": {"ci": "gitlab", "python_version": "3.13", "project": "churn-model", "package": "churn"},
    "ci:jenkins deploy:kubernetes": {"ci": "jenkins", "deploy_target": "kubernetes"},
    "branch:trunk": {"_default_branch": "trunk"},
    "awkward-text": {
        "project_name": 'O\'Brien "Lab" — naïve models',
        "project": "obrien-lab",
        "package": "obrien_lab",
        "description": 'Says "hi", uses \\ backslashes, # hashes and: colons',
        "author_name": "Zoë O'Neil",
    },
}


def files_of(project: Path) -> set[str]:
    return {
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(project).parts
    }


def text_files(project: Path):
    for name in sorted(files_of(project)):
        if not name.endswith(".csv"):
            yield name, (project / name).read_text(encoding="utf-8")


@pytest.fixture(params=list(COMBINATIONS.values()), ids=list(COMBINATIONS))
def baked(request: pytest.FixtureRequest, bake: Bake) -> tuple[Path, dict[str, str]]:
    return bake(**request.param), request.param


def test_tree_is_exactly_the_expected_files(baked):
    project, answers = baked
    package = answers.get("package", "income_classifier")
    assert project.name == answers.get("project", "income-classifier")
    ci = answers.get("ci", "all")
    expected = DEFAULT_TREE | set().union(*(files for name, files in CI_TREE.items() if ci in ("all", name)))
    if answers.get("deploy_target") == "kubernetes":
        expected |= KUBERNETES_TREE
    assert files_of(project) == {name.format(package=package) for name in expected}


def test_no_template_syntax_is_left(baked):
    project, _ = baked
    for name, text in text_files(project):
        assert "{{ cookiecutter." not in text, name
        assert "{{cookiecutter." not in text, name
        assert "{%" not in text, name


def test_structured_files_parse_and_carry_the_answers(baked):
    project, answers = baked
    for name, text in text_files(project):
        if name.endswith((".yaml", ".yml")):
            assert yaml.safe_load(text) is not None, name
        elif name.endswith(".toml"):
            tomllib.loads(text)
        elif name.endswith(".json"):
            json.loads(text)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    meta = pyproject["project"]
    assert meta["name"] == answers.get("project", "income-classifier")
    assert meta["description"] == answers.get("description", meta["description"])
    assert meta["authors"][0]["name"] == answers.get("author_name", "Your Name")
    assert meta["requires-python"] == ">=3.11"  # one uv.lock for every supported Python
    python = answers.get("python_version", "3.11")
    assert pyproject["tool"]["ruff"]["target-version"] == f"py{python.replace('.', '')}"
    assert set(meta["scripts"]) == {meta["name"]}
    assert (project / ".python-version").read_text().strip() == answers.get("python_version", "3.11")


def test_python_files_compile(baked):
    project, _ = baked
    for name, text in text_files(project):
        if name.endswith(".py"):
            compile(text, name, "exec")


def test_project_is_a_git_repository_with_one_commit_on_the_default_branch(baked):
    project, answers = baked

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=True).stdout.strip()

    assert git("branch", "--show-current") == answers.get("_default_branch", "main")
    assert git("rev-list", "--count", "HEAD") == "1"
    assert git("status", "--porcelain") == ""


def test_the_service_dockerfile_is_hadolint_clean_and_pins_the_chosen_python(baked):
    project, answers = baked
    dockerfile = project / "Dockerfile"
    result = subprocess.run(
        [str(Path(sys.executable).with_name("hadolint")), str(dockerfile)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    python = answers.get("python_version", "3.11")
    [base] = [line for line in dockerfile.read_text().splitlines() if line.startswith("ARG PYTHON_IMAGE=")]
    assert re.fullmatch(rf"ARG PYTHON_IMAGE=python:{re.escape(python)}\.\d+-slim-bookworm", base), base
    assert "FROM ${PYTHON_IMAGE}" in dockerfile.read_text()


def test_the_default_branch_and_the_uv_version_come_from_one_answer_each(bake: Bake):
    project = bake(_default_branch="trunk", _uv_version="0.13.7")
    workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as true
    assert triggers["push"]["branches"] == ["trunk"]
    assert workflow["jobs"]["promote"]["if"].endswith("github.ref == 'refs/heads/trunk'")
    setup = yaml.safe_load((project / ".github" / "actions" / "setup" / "action.yml").read_text())
    assert setup["runs"]["steps"][0]["with"]["version"] == "0.13.7"
    jenkinsfile = (project / "Jenkinsfile").read_text()
    assert "branch 'trunk'" in jenkinsfile
    assert "defaultBranch: 'trunk'" in jenkinsfile
    assert 'DEFAULT_BRANCH = "trunk"' in (project / "src" / "income_classifier" / "config.py").read_text()
    assert yaml.safe_load((project / ".gitlab-ci.yml").read_text())["default"]["image"].startswith(
        "ghcr.io/astral-sh/uv:0.13.7-"
    )
    assert "ARG UV_VERSION=0.13.7\n" in (project / "Dockerfile").read_text()
    for name, text in text_files(project):
        if name.endswith((".yml", ".yaml", "Jenkinsfile", "Dockerfile", "Makefile")):
            assert not re.search(r"\bmain\b", text), name
            assert "0.13.9" not in text, name
