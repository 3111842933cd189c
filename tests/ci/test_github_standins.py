"""The GitHub action stand-ins implement only the inputs the real workflows use; the runner refuses any
other before act starts (tests/ci/github/runner.py local_repositories). No act run: milliseconds."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from baking import TEMPLATE
from ci.github.runner import STANDINS, local_repositories

UPLOAD = "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02"
SETUP_UV = "astral-sh/setup-uv@681c641aba71e4a1c380be3ab5e12ad51f415867"


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def workflow(*steps: dict) -> dict:
    return {"jobs": {"build": {"runs-on": "ubuntu-latest", "steps": list(steps)}}}


def repositories(mappings: list[str]) -> set[str]:
    return {mapping.split("@")[0] for mapping in mappings}


def test_the_real_workflows_use_only_what_the_standins_implement(ci_project: Path):
    generated = local_repositories(ci_project, load(ci_project / ".github" / "workflows" / "ci.yml"))
    own = local_repositories(TEMPLATE, load(TEMPLATE / ".github" / "workflows" / "test.yml"))

    assert repositories(generated) == {
        "astral-sh/setup-uv",
        "actions/upload-artifact",
        "actions/download-artifact",
        "actions/cache",
    }
    assert repositories(own) == {"astral-sh/setup-uv", "actions/upload-artifact"}


def test_an_input_a_standin_does_not_implement_is_refused_naming_job_step_and_input(tmp_path: Path):
    spec = workflow({"name": "Keep the report", "uses": UPLOAD, "with": {"path": "r/", "retention-days": 1}})

    with pytest.raises(ValueError, match=r"job 'build', step 'Keep the report': input 'retention-days' of actions/up"):
        local_repositories(tmp_path, spec)


@pytest.mark.parametrize(
    ("inputs", "refused"),
    [({"version": "0.13.9", "python-version": "3.11"}, None), ({"activate-environment": True}, "activate-environment")],
    ids=["implemented", "not-implemented"],
)
def test_steps_of_the_projects_local_composite_actions_are_checked_and_mapped(
    tmp_path: Path, inputs: dict, refused: str | None
):
    action = tmp_path / ".github" / "actions" / "setup" / "action.yml"
    action.parent.mkdir(parents=True)
    action.write_text(yaml.safe_dump({"runs": {"using": "composite", "steps": [{"uses": SETUP_UV, "with": inputs}]}}))
    spec = workflow({"uses": "./.github/actions/setup"})

    if refused:
        with pytest.raises(ValueError, match=rf"job 'build', step '\./\.github/actions/setup' .*'{refused}'"):
            local_repositories(tmp_path, spec)
    else:
        assert local_repositories(tmp_path, spec) == [f"{SETUP_UV}={STANDINS / 'setup-uv'}"]


def test_an_external_action_without_a_standin_is_refused(tmp_path: Path):
    with pytest.raises(ValueError, match=r"job 'build', step 'docker/login-action@v3': no local stand-in"):
        local_repositories(tmp_path, workflow({"uses": "docker/login-action@v3", "with": {"registry": "x"}}))


def test_jobs_calling_reusable_workflows_are_covered(tmp_path: Path):
    """A job's own `uses:`: a local reusable workflow is read like the workflow itself (its steps checked and
    mapped), an external one needs a stand-in like any action."""
    called = tmp_path / ".github" / "workflows" / "build.yml"
    called.parent.mkdir(parents=True)
    called.write_text(yaml.safe_dump({"on": {"workflow_call": {}}, **workflow({"uses": SETUP_UV})}))
    spec = {"jobs": {"call": {"uses": "./.github/workflows/build.yml"}}}

    assert local_repositories(tmp_path, spec) == [f"{SETUP_UV}={STANDINS / 'setup-uv'}"]

    called.write_text(yaml.safe_dump(workflow({"name": "Set up", "uses": SETUP_UV, "with": {"cache": True}})))
    refused = r"job 'call' \(\./\.github/workflows/build\.yml\), job 'build', step 'Set up': input 'cache'"
    with pytest.raises(ValueError, match=refused):
        local_repositories(tmp_path, spec)

    external = {"jobs": {"call": {"uses": "octo/shared/.github/workflows/ci.yml@v1", "with": {"x": 1}}}}
    with pytest.raises(ValueError, match=r"job 'call': no local stand-in for octo/shared/\.github/workflows/ci\.yml"):
        local_repositories(tmp_path, external)
