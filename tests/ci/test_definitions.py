"""Static checks of every generated CI definition: schemas, security audit, one shared pipeline.

The definitions are also executed (test_github_act.py, test_gitlab_local.py, test_jenkins.py);
here they are validated and compared without running them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from baking import TEMPLATE, bake_into, run
from ci.definitions import (
    HAND_ON,
    PROJECT,
    SCHEDULED_COMMAND,
    default_branch_stages,
    github_artifacts,
    github_jobs,
    github_stages,
    gitlab_job,
    gitlab_jobs,
    gitlab_stages,
    project_stages,
    scheduled_stages,
    stage_commands,
)
from tools import UV

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return bake_into(tmp_path_factory.mktemp("definitions"))


@pytest.fixture(scope="module")
def ci_stages(project: Path) -> list[str]:
    return project_stages(project)


@pytest.fixture(scope="module")
def plan(project: Path) -> dict[str, dict]:
    """`<project> pipeline --plan`: each CI stage, the stages it reads and the paths it hands on."""
    run([UV, "sync", "--locked"], project)
    printed = run([UV, "run", "--no-sync", PROJECT, "pipeline", "--plan"], project).stdout
    return {entry["stage"]: entry for entry in json.loads(printed)}


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is missing from the template's dev environment: run `uv sync`")
    return str(path)


@pytest.mark.parametrize(
    ("schema", "path"),
    [
        ("vendor.github-workflows", ".github/workflows/ci.yml"),
        ("vendor.gitlab-ci", ".gitlab-ci.yml"),
        ("vendor.dependabot", ".github/dependabot.yml"),
        ("vendor.renovate", "renovate.json"),
    ],
    ids=["github", "gitlab", "dependabot", "renovate"],
)
def test_definition_matches_the_official_schema(project: Path, schema: str, path: str):
    assert_schema(project / path, schema)


def assert_schema(path: Path, schema: str) -> None:
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", schema, str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_kubernetes_project_deploys_where_its_tools_and_cluster_are_in_every_definition(tmp_path: Path):
    """Deploy builds an image and runs kubectl: GitHub's hosted runners have both and get a kubeconfig from a
    secret; GitLab's and Jenkins' deploy and scheduled jobs run on the `deploy` runner or agent."""
    project = bake_into(tmp_path, deploy_target="kubernetes")
    assert_schema(project / ".github" / "workflows" / "ci.yml", "vendor.github-workflows")
    assert_schema(project / ".gitlab-ci.yml", "vendor.gitlab-ci")
    workflow = load(project / ".github" / "workflows" / "ci.yml")
    for job in ("deploy", "retrain"):
        steps = [step.get("name") for step in workflow["jobs"][job]["steps"]]
        assert "kubeconfig from the KUBECONFIG_DATA secret" in steps, job
        assert workflow["jobs"][job]["runs-on"] == "ubuntu-latest", job
    pipeline = load(project / ".gitlab-ci.yml")
    assert pipeline["deploy"]["tags"] == pipeline["retrain"]["tags"] == ["deploy"]
    assert "agent { label 'deploy' }" in (project / "Jenkinsfile").read_text()


def zizmor(*paths: Path) -> list[dict]:
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--format", "json", *map(str, paths)], capture_output=True, text=True
    )
    assert result.returncode in (0, 10, 11, 12, 13, 14), result.stderr  # 1x: findings of some severity
    return json.loads(result.stdout)


def test_zizmor_finds_nothing_in_the_generated_workflows_and_actions(project: Path):
    findings = zizmor(*sorted((project / ".github").glob("*/**/*.yml")))
    assert findings == [], [f["ident"] for f in findings]


def test_zizmor_finds_nothing_in_the_templates_own_workflows():
    findings = zizmor(*sorted((TEMPLATE / ".github" / "workflows").glob("*.yml")))
    assert findings == [], [f["ident"] for f in findings]


def test_zizmor_would_catch_an_untrusted_expression_in_run(project: Path, tmp_path: Path):
    """The audit is not vacuous: a PR title pasted into a shell command is reported."""
    text = (project / ".github" / "workflows" / "ci.yml").read_text()
    step = f"      - run: uv run --no-sync {PROJECT} lint\n"
    assert step in text
    bad = tmp_path / "ci.yml"
    bad.write_text(text.replace(step, step + "      - run: echo ${{ github.event.pull_request.title }}\n", 1))
    assert any(finding["ident"] == "template-injection" for finding in zizmor(bad))


def test_github_and_gitlab_run_the_pipelines_stages_in_order(project: Path, ci_stages: list[str]):
    assert github_stages(load(project / ".github" / "workflows" / "ci.yml"), PROJECT) == ci_stages
    assert gitlab_stages(load(project / ".gitlab-ci.yml"), PROJECT) == ci_stages


def test_parity_fails_when_one_definition_gains_a_stage(project: Path, ci_stages: list[str]):
    workflow = load(project / ".github" / "workflows" / "ci.yml")
    extra = {"needs": "report", "runs-on": "ubuntu-latest", "steps": [{"run": f"uv run --no-sync {PROJECT} serve"}]}
    workflow["jobs"]["serve"] = extra
    assert github_stages(workflow, PROJECT) != ci_stages
    pipeline = load(project / ".gitlab-ci.yml")
    pipeline["test"]["script"].insert(0, f"uv run --no-sync {PROJECT} repro")
    assert gitlab_stages(pipeline, PROJECT) != ci_stages


def runs(commands: list, stage: str) -> bool:
    """Whether these steps (GitHub) or script lines (GitLab) call this stage."""
    lines = [step.get("run", "") if isinstance(step, dict) else step for step in commands]
    return stage_commands(lines, PROJECT) == [stage]


def test_default_branch_stages_are_gated_to_main_in_every_definition(project: Path):
    gated = default_branch_stages(project)
    assert gated == ["promote", "deploy"]
    workflow = load(project / ".github" / "workflows" / "ci.yml")
    pipeline = load(project / ".gitlab-ci.yml")
    jenkinsfile = (project / "Jenkinsfile").read_text()
    for stage in gated:
        [job] = [job for job in workflow["jobs"].values() if runs(job.get("steps", []), stage)]
        # A push, or a run by hand (GitLab's Run pipeline and Jenkins' Build now on main promote and deploy too).
        assert job["if"] == (
            "(github.event_name == 'push' || github.event_name == 'workflow_dispatch')"
            " && github.ref == 'refs/heads/main'"
        )
        [name] = [
            name for name, job in pipeline.items() if isinstance(job, dict) and runs(job.get("script", []), stage)
        ]
        assert pipeline[name]["rules"][-1] == {
            "if": '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE != "merge_request_event"'
        }
        assert pipeline[name]["interruptible"] is False  # a newer push never cancels it halfway
        block = jenkinsfile[jenkinsfile.index(f"stage('{stage.capitalize()}')") :]
        assert block.index("branch 'main'") < block.index(f"cli '{stage}'")
    # Serialised: one promotion, one deployment at a time, in every definition.
    deploy = workflow["jobs"]["deploy"]
    assert deploy["concurrency"] == "deploy-production"  # a group alone: queued, never cancelled
    assert deploy["environment"] == "production"
    assert deploy["runs-on"] == ["self-hosted", "deploy"]  # the local target: where the service lives
    assert pipeline["deploy"]["resource_group"] == "production"
    assert pipeline["promote"]["resource_group"] == "production"  # and the scheduled retrain's: one at a time
    assert pipeline["deploy"]["environment"] == {"name": "production"}
    assert pipeline["deploy"]["tags"] == ["deploy"]
    block = jenkinsfile[jenkinsfile.index("stage('Deploy')") :]
    assert block.index("inProduction(") < block.index("cli 'deploy'")  # its lock: see the scheduled test
    assert "agent { label 'deploy' }" in jenkinsfile
    # Which runs actually skip them is checked by executing each definition (main and pull request).


def test_the_scheduled_pipeline_is_one_job_that_runs_on_the_schedule_alone_in_every_definition(project: Path):
    """On the schedule, one job runs `pipeline --scheduled` (drift first, then what it decides) and no job of the
    push pipeline runs; on any other event that job never runs. Executing each definition checks it too."""
    scheduled = scheduled_stages(project)
    order = project_stages(project)
    assert scheduled[0] == "drift"
    assert scheduled[1:] == [stage for stage in order if stage not in ("lint", "test")]
    workflow = load(project / ".github" / "workflows" / "ci.yml")
    triggers = workflow[True]
    assert [entry["cron"] for entry in triggers["schedule"]] == ["17 4 * * 1"]
    assert triggers["workflow_dispatch"]["inputs"]["scheduled"]["type"] == "boolean"
    [job] = [name for name, job in workflow["jobs"].items() if SCHEDULED_COMMAND in json.dumps(job)]
    assert job == "retrain"
    retrain = workflow["jobs"]["retrain"]
    assert retrain["if"] == "(github.event_name == 'schedule' || inputs.scheduled) && github.ref == 'refs/heads/main'"
    assert "needs" not in retrain
    assert retrain["runs-on"] == ["self-hosted", "deploy"]  # it may deploy: where the local target's service lives
    assert retrain["concurrency"] == "deploy-production"
    not_scheduled = "github.event_name != 'schedule' && !inputs.scheduled"
    assert workflow["jobs"]["validate"]["if"] == not_scheduled  # the first job: the others wait for it
    assert not_scheduled in workflow["jobs"]["report"]["if"]
    assert not_scheduled in workflow["jobs"]["ci-ok"]["if"]
    unguarded = {name for name, job in workflow["jobs"].items() if "needs" not in job and "if" not in job}
    assert not unguarded
    pipeline = load(project / ".gitlab-ci.yml")
    [job] = [name for name in gitlab_jobs(pipeline) if SCHEDULED_COMMAND in pipeline[name]["script"]]
    assert job == "retrain"
    assert pipeline["retrain"]["rules"] == [
        {"if": '$CI_PIPELINE_SOURCE == "schedule" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH'}
    ]
    assert pipeline["retrain"]["resource_group"] == "production"
    for name in gitlab_jobs(pipeline):
        if name != "retrain":
            rules = gitlab_job(pipeline, name)["rules"]
            assert rules[0] == {"if": '$CI_PIPELINE_SOURCE == "schedule"', "when": "never"}, name
    jenkinsfile = (project / "Jenkinsfile").read_text()
    assert "cron(env.BRANCH_NAME == 'main' ? 'H 4 * * 1' : '')" in jenkinsfile
    stages = re.findall(r"stage\('([^']+)'\) \{\n(.*?)\n        \}\n", jenkinsfile, re.DOTALL)
    names = [name for name, _ in stages]
    assert (names[0], names[-1]) == ("Setup", "Retrain")
    for name, body in stages[1:-1]:
        assert "not { triggeredBy 'TimerTrigger' }" in body, name
    retrain = dict(stages)["Retrain"]
    assert "branch 'main'\n                triggeredBy 'TimerTrigger'" in retrain
    assert "cli 'pipeline --scheduled'" in retrain
    # Deploy's shape: approved with DEPLOY_APPROVAL, under the production lock, the store saved whatever happens.
    assert "inProduction(question, [defaultBranch: 'main']) {" in retrain
    assert "inProduction('Deploy the champion to production?', [skipRestore: true]) {" in dict(stages)["Deploy"]
    helper = jenkinsfile[jenkinsfile.index("def inProduction(") :]
    assert helper.index("input message: question") < helper.index("lock(resource: 'production')")


def test_only_the_deploy_job_gets_the_registry_credentials_and_only_report_writes_comments(project: Path):
    """Credentials only where they are needed: the registry's token in the deploy job alone, which runs in
    the `production` environment (zizmor's auditor persona finds no secret outside an environment there)."""
    workflow = load(project / ".github" / "workflows" / "ci.yml")
    holders = {name for name, job in workflow["jobs"].items() if "DEPLOY_REGISTRY_PASSWORD" in json.dumps(job)}
    assert holders == {"deploy", "retrain"}  # retrain: the scheduled pipeline, which may deploy
    for deploying in holders:
        assert workflow["jobs"][deploying]["permissions"] == {"contents": "read", "packages": "write"}
        assert workflow["jobs"][deploying]["environment"] == "production"
    # The job's token otherwise only in the report job, which may write the pull request's comment and no more.
    holders = {name for name, job in workflow["jobs"].items() if "GITHUB_TOKEN" in json.dumps(job)}
    assert holders == {"deploy", "report", "retrain"}
    assert workflow["jobs"]["report"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    writers = {name for name, job in workflow["jobs"].items() if "pull-requests" in job.get("permissions", {})}
    assert writers == {"report"}
    assert "pull_request_target" not in workflow[True]  # never a PR's code with a write token (yaml: on -> True)
    path = project / ".github" / "workflows" / "ci.yml"
    found = subprocess.run(
        [tool("zizmor"), "--offline", "--persona", "auditor", "--format", "json", str(path)],
        capture_output=True, text=True,
    )  # fmt: skip
    findings = [finding for finding in json.loads(found.stdout) if finding["ident"] == "secrets-outside-env"]
    assert findings, "the auditor persona reports the jobs that read secrets outside an environment"
    rows = {location["concrete"]["location"]["start_point"]["row"] for f in findings for location in f["locations"]}
    lines = path.read_text().splitlines()
    assert {lines.index("  deploy:"), lines.index("  retrain:")}.isdisjoint(rows)  # zizmor's rows count from 0
    pipeline = load(project / ".gitlab-ci.yml")
    holders = {name for name, job in pipeline.items() if "CI_REGISTRY_PASSWORD" in json.dumps(job)}
    assert holders == {"deploy", "retrain"}
    assert "DEPLOY_REGISTRY_CREDENTIALS_ID" in (project / "Jenkinsfile").read_text()


def test_every_github_job_is_hardened(project: Path):
    workflow = load(project / ".github" / "workflows" / "ci.yml")
    assert workflow["permissions"] == {"contents": "read"}  # a job asks for more itself
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"push", "pull_request", "schedule", "workflow_dispatch"}
    assert "concurrency" in workflow
    for name, job in workflow["jobs"].items():
        assert "timeout-minutes" in job, name
        for step in job.get("steps", []):
            uses = step.get("uses")
            if uses and not uses.startswith("./"):
                ref = uses.split("@", 1)[1]
                assert len(ref) == 40, uses
                assert set(ref) <= set("0123456789abcdef"), uses
            if uses and uses.startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name
            assert "${{" not in step.get("run", ""), f"{name}: expression inside run:"
    assert github_jobs(workflow)[-1] == "ci-ok"
    writes = {name: job["permissions"] for name, job in workflow["jobs"].items() if "permissions" in job}
    assert writes == {
        "retrain": {"contents": "read", "packages": "write"},  # the service image
        "deploy": {"contents": "read", "packages": "write"},
        "report": {"contents": "read", "pull-requests": "write"},  # its comment
        "ci-ok": {},
    }
    # The push pipeline's jobs; `retrain` is the scheduled one's, which never runs beside them.
    pushed = set(workflow["jobs"]) - {"ci-ok", "retrain"}
    assert set(workflow["jobs"]["ci-ok"]["needs"]) == pushed
    # Every stage job must succeed; only the default-branch stages may be skipped (checked apart).
    checked = workflow["jobs"]["ci-ok"]["steps"][0]["env"]
    required = set(re.findall(r"needs\.([\w-]+)\.result", checked["RESULTS"]))
    gated = set(default_branch_stages(project))
    assert required == pushed - gated
    assert {need for need in gated if f"needs.{need}.result" in checked["PROMOTE"]} == gated


def test_workflow_and_action_pins_are_full_shas_with_a_version_comment(project: Path):
    files = sorted((project / ".github").glob("*/**/*.yml"))
    assert {path.parent.name for path in files} >= {"workflows", "setup"}
    for path in files:
        for line in path.read_text().splitlines():
            if "uses:" in line and "@" in line:
                assert re.search(r"@[0-9a-f]{40} # v\d", line), f"{path.name}: {line}"


def test_gitlab_pipeline_has_rules_pinned_images_cache_and_junit(project: Path):
    pipeline = load(project / ".gitlab-ci.yml")
    rules = [rule["if"] for rule in pipeline["workflow"]["rules"]]
    assert '$CI_PIPELINE_SOURCE == "merge_request_event"' in rules
    assert "$CI_COMMIT_TAG" in rules
    image = pipeline["default"]["image"]
    assert ":" in image
    assert not image.endswith(":latest")
    assert pipeline["default"]["cache"][0]["key"]["files"] == ["uv.lock"]
    test = gitlab_job(pipeline, "test")
    assert test["artifacts"]["reports"]["junit"] == "reports/junit/unit.xml"
    assert test["artifacts"]["when"] == "always"


def test_stage_commands_ignore_other_projects_and_tools():
    commands = ["uv sync --locked", "uv run --no-sync other lint", f"uv run --no-sync {PROJECT} lint\necho done"]
    assert stage_commands(commands, PROJECT) == ["lint"]


def test_stage_commands_refuse_shell_around_a_stage():
    assert stage_commands([f"uv run --no-sync {PROJECT} report --strict"], PROJECT) == ["report"]
    with pytest.raises(AssertionError, match="more than a stage command"):
        stage_commands([f"uv run --no-sync {PROJECT} test || true"], PROJECT)


SWALLOWING = ("continue-on-error", "allow_failure", "catchError", "warnError", "returnStatus", "unstable", "|| true",
              "|| :", "set +e")  # fmt: skip
"""What lets a failed step pass in GitHub, GitLab, Jenkins or a shell line."""


def swallowing(files: list[Path]) -> list[str]:
    return [
        f"{path.name}:{number}: {word}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for word in SWALLOWING
        if word in line
    ]


def test_no_ci_definition_lets_a_failed_step_pass(project: Path, tmp_path: Path):
    """Every job fails when its command fails: the report says where a pipeline stopped, never that it passed."""
    generated = [*(project / ".github").rglob("*.yml"), project / ".gitlab-ci.yml", project / "Jenkinsfile"]
    own = [*(TEMPLATE / ".github").rglob("*.yml"), TEMPLATE / ".gitlab-ci.yml", TEMPLATE / "jenkins" / "Jenkinsfile",
           TEMPLATE / ".ci" / "run"]  # fmt: skip
    assert len(generated) >= 5
    assert all(path.is_file() for path in generated + own)
    assert swallowing(generated + own) == []
    workflow = (project / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    step = f"run: uv run --no-sync {PROJECT} test"
    broken = tmp_path / "ci.yml"
    broken.write_text(workflow.replace(step, f"{step}\n        continue-on-error: true"), encoding="utf-8")
    assert [finding.split(": ", 1)[1] for finding in swallowing([broken])] == ["continue-on-error"]


def artifact_paths(paths) -> set[str]:
    return {str(path).rstrip("/") for path in paths}


def test_github_jobs_hand_on_what_each_stage_outputs_and_get_what_it_reads(project: Path, plan: dict):
    workflow = load(project / ".github" / "workflows" / "ci.yml")
    for stage, entry in plan.items():
        uploads, downloads = github_artifacts(workflow["jobs"][stage])
        outputs = artifact_paths(entry["outputs"])
        assert uploads == ({stage: outputs} if outputs else {}), stage  # one artifact, named after the stage
        read = [name for name in entry["reads"] if plan[name]["outputs"]]
        assert downloads == read, stage  # in the plan's order: a later stage's files win


def test_gitlab_jobs_hand_on_what_each_stage_outputs_and_need_what_it_reads(project: Path, plan: dict):
    pipeline = load(project / ".gitlab-ci.yml")
    assert pipeline["stages"] == list(plan)  # one stage each, named as the CLI names them
    order = list(plan)
    for position, (stage, entry) in enumerate(plan.items()):
        job = gitlab_job(pipeline, stage)
        assert job["stage"] == stage
        assert artifact_paths(job.get("artifacts", {}).get("paths", [])) == artifact_paths(entry["outputs"]), stage
        needs = {need if isinstance(need, str) else need["job"]: need for need in job["needs"]}
        with_artifacts = {name for name, need in needs.items() if isinstance(need, str) or need.get("artifacts", True)}
        assert with_artifacts == {name for name in entry["reads"] if plan[name]["outputs"]}, stage
        if position:
            assert order[position - 1] in needs, f"{stage} does not wait for {order[position - 1]}"


def test_hand_off_checks_catch_a_missing_output(project: Path, plan: dict):
    workflow = load(project / ".github" / "workflows" / "ci.yml")
    [upload] = [step for step in workflow["jobs"]["repro"]["steps"] if step.get("uses") == HAND_ON]
    upload["with"]["paths"] = upload["with"]["paths"].replace(" mlruns", "")
    uploads, _ = github_artifacts(workflow["jobs"]["repro"])
    assert uploads["repro"] != artifact_paths(plan["repro"]["outputs"])
