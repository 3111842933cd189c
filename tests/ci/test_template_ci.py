"""The template's own CI: GitHub workflow, GitLab pipeline and a Jenkins controller as code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from baking import TEMPLATE

BIN = Path(sys.executable).parent
YAML_FILES = sorted(
    [*TEMPLATE.glob(".github/workflows/*.yml"), TEMPLATE / ".gitlab-ci.yml", *TEMPLATE.glob("jenkins/*.yml"),
     *TEMPLATE.glob("jenkins/*.yaml")]
)  # fmt: skip


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(TEMPLATE)))
def test_every_yaml_file_parses(path: Path):
    assert yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("schema", "path"),
    [("vendor.github-workflows", ".github/workflows/test.yml"), ("vendor.gitlab-ci", ".gitlab-ci.yml")],
    ids=["github", "gitlab"],
)
def test_own_definitions_match_the_official_schema(schema: str, path: str):
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", schema, str(TEMPLATE / path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_own_ci_runs_what_the_readme_promises():
    workflow = yaml.safe_load((TEMPLATE / ".github" / "workflows" / "test.yml").read_text())
    runs = [step.get("run") for step in workflow["jobs"]["test"]["steps"] if "run" in step]
    assert runs == ["bash .ci/run"]
    assert yaml.safe_load((TEMPLATE / ".gitlab-ci.yml").read_text())["test"]["script"] == ["bash .ci/run"]
    assert "make test" in (TEMPLATE / ".ci" / "run").read_text()
    assert "sh 'bash .ci/run'" in (TEMPLATE / "jenkins" / "Jenkinsfile").read_text()


def test_jenkins_dockerfile_is_hadolint_clean():
    result = subprocess.run(
        [str(BIN / "hadolint"), str(TEMPLATE / "jenkins" / "Dockerfile")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_jenkins_controller_defines_multibranch_jobs_without_hard_coded_secrets():
    casc = yaml.safe_load((TEMPLATE / "jenkins" / "casc.yaml").read_text())
    scripts = " ".join(job["script"] for job in casc["jobs"])
    assert scripts.count("multibranchPipelineJob(") == 2
    assert "scriptPath('jenkins/Jenkinsfile')" in scripts
    assert casc["jenkins"]["securityRealm"]["local"]["users"][0]["password"] == "${JENKINS_ADMIN_PASSWORD}"
    compose = yaml.safe_load((TEMPLATE / "jenkins" / "docker-compose.yml").read_text())
    jenkins = compose["services"]["jenkins"]
    assert all(port.startswith("127.0.0.1:") for port in jenkins["ports"])
    assert jenkins["environment"]["JENKINS_ADMIN_PASSWORD"].startswith("${JENKINS_ADMIN_PASSWORD:?")
