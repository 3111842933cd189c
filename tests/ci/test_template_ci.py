"""The template's own CI: GitHub workflow, GitLab pipeline and a Jenkins controller as code."""

from __future__ import annotations

import re
import shutil
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
    test = re.search(r"^test:.*\n((?:\t.*\n)+)", (TEMPLATE / "Makefile").read_text(), re.MULTILINE)
    assert test, "the Makefile has a test target"
    assert test[1].splitlines()[0] == "\tbash .ci/tools"  # the tools first, then pytest


def test_tools_names_what_it_cannot_install_and_fails_only_in_ci(tmp_path: Path):
    """On a machine without apt-get or npm (a PATH with none of the tools): one line each, and on outside CI."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("id", "grep", "mkdir"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    command, env = ["/bin/bash", str(TEMPLATE / ".ci" / "tools")], {"PATH": str(bin_dir), "HOME": str(tmp_path)}

    outside = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert outside.returncode == 0, outside.stderr
    apt, npm = outside.stderr.splitlines()
    assert apt.startswith("tools: missing git groovy rsync openjdk-17-jre-headless chromium prometheus podman")
    assert "no apt-get to install them with" in apt
    assert npm.startswith("tools: missing gitlab-ci-local@4.73.0 npm-groovy-lint@16, and no npm")
    in_ci = subprocess.run(command, env={**env, "CI": "true"}, capture_output=True, text=True, timeout=60)
    assert in_ci.returncode == 1
    assert in_ci.stderr.splitlines() == [apt]


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
