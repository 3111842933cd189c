"""The generated Jenkinsfile, executed by the Groovy harness (tests/ci/jenkins), and the
template's own Jenkins controller. No Jenkins server runs here: the harness stands in for a
multibranch job, running every `sh` step for real."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import sys
from contextlib import closing
from pathlib import Path

import pytest

from baking import TEMPLATE
from ci.definitions import PROJECT, SCHEDULED_COMMAND, default_branch_stages, project_stages, stage_commands
from ci.jenkins.runner import JenkinsRun, lint_jenkinsfiles, run_jenkinsfile
from ci.projects import ci_env, clone, commit_refresh, drifted_export, start_standin_forge

UV_DIR = str(Path(sys.executable).parent)  # the template's pinned uv, first on the agent's PATH


def agent_env() -> dict[str, str]:
    return {**ci_env(), "PATH": f"{UV_DIR}{os.pathsep}{os.environ['PATH']}"}


CLEAR = f"uv run --no-sync {PROJECT} pipeline --clear"
"""Setup's second step: the workspace outlives a build, its report must not show an earlier build's results."""


def build(project: Path, workdir: Path, env: dict[str, str] | None = None, **kwargs) -> JenkinsRun:
    return run_in(clone(project, workdir), env, **kwargs)


def run_in(checkout: Path, env: dict[str, str] | None = None, **kwargs) -> JenkinsRun:
    return run_jenkinsfile(checkout / "Jenkinsfile", checkout, env={**agent_env(), **(env or {})}, **kwargs)


def statuses(run: JenkinsRun) -> dict[str, str]:
    return {stage["name"]: stage["status"] for stage in run.stages}


@pytest.fixture(scope="module")
def job_caches(tmp_path_factory) -> Path:
    """Job Cacher's storage, shared by this module's builds as a controller keeps it between builds."""
    return tmp_path_factory.mktemp("jenkins-caches")


MAIN = pytest.mark.xdist_group("jenkins-main")
"""Tests that read main's build or its Job Cacher storage: on one worker, which builds main once."""


@pytest.fixture(scope="module")
def main_build(ci_project: Path, tmp_path_factory, job_caches: Path) -> JenkinsRun:
    return build(ci_project, tmp_path_factory.mktemp("jenkins-main") / "ws", branch="main", cache_dir=job_caches)


@MAIN
def test_main_runs_every_stage_green(main_build: JenkinsRun):
    assert main_build.result == "SUCCESS", main_build.log[-4000:]
    assert statuses(main_build).pop("Retrain") == "skipped (when)"  # the scheduled pipeline: timer builds only
    assert {status for name, status in statuses(main_build).items() if name != "Retrain"} == {"success"}
    assert "pipeline: done" not in main_build.log  # stages ran one by one, not `pipeline`
    assert "repro: done." in main_build.log


@MAIN
def test_main_promotes_the_first_model_and_saves_the_store_for_later_builds(main_build: JenkinsRun, job_caches: Path):
    assert "compare: challenger version 1 against no champion: first" in main_build.log
    assert "promote: champion -> version 1" in main_build.log
    assert (job_caches / "main" / "mlflow-store" / "mlflow.db").is_file()


@MAIN
def test_jenkins_runs_the_same_stages_in_the_same_order(main_build: JenkinsRun, ci_project: Path):
    assert stage_commands(main_build.sh_commands(), PROJECT) == project_stages(ci_project)


@MAIN
def test_reports_are_published(main_build: JenkinsRun):
    junit = main_build.steps_of("junit")
    assert [step["stage"] for step in junit] == ["Test", "Model tests"]
    archived = main_build.steps_of("archiveArtifacts")
    assert archived
    assert "reports/**" in str(archived[0]["args"])  # report.html among them
    # The report ran last, in the pipeline's post (so also after a failed stage), one at a time per branch or
    # change request, and its verdict is the build's description.
    (lock,) = [step for step in main_build.steps_of("lock") if step["stage"] is None]
    assert lock["args"] == {"resource": "report-ws/main"}  # JOB_NAME, as the harness names it: <workspace>/<branch>
    assert main_build.sh_commands()[-1] == f"uv run --no-sync {PROJECT} report"
    assert main_build.report["description"].startswith(f"✅ {PROJECT} pipeline: 🥇 first")
    assert "report: not posted: not a change request build" in main_build.log


@MAIN
def test_a_change_request_compares_against_mains_champion_and_never_promotes(
    ci_project: Path, tmp_path: Path, main_build: JenkinsRun, job_caches: Path
):
    assert main_build.result == "SUCCESS", main_build.log[-4000:]
    saved = (job_caches / "main" / "mlflow-store" / "mlflow.db").read_bytes()
    # The change request is a GitHub pull request; its report goes to the STAND-IN forge (a local server
    # speaking GitHub's REST API, not GitHub) with the job's secret-text credential.
    with start_standin_forge() as forge:
        forge.heads["github:acme/income#7"] = "0" * 40
        env = {
            "CHANGE_URL": "https://github.com/acme/income/pull/7",
            "REPORT_CREDENTIALS_ID": "report-token",
            "REPORT_API_URL": f"{forge.url}/api/v3",
        }
        credentials = {"report-token": {"type": "string", "secret": "jenkins-token"}}
        run = build(ci_project, tmp_path / "ws", env=env, branch="feature/x", change_id="7", cache_dir=job_caches,
                    credentials=credentials)  # fmt: skip
    assert run.result == "SUCCESS", run.log[-4000:]
    (comment,) = forge.comments["github:acme/income#7"]
    assert comment["author"] == "jenkins-bot"  # the token's own login, from GET /user
    assert comment["body"].startswith(f"## ✅ {PROJECT} pipeline: ")
    assert f"report: created comment {comment['id']} on acme/income#7" in run.log
    assert "jenkins-token" not in run.log
    assert run.report["description"] == comment["body"].splitlines()[0].removeprefix("## ")
    gated = default_branch_stages(ci_project)
    assert stage_commands(run.sh_commands(), PROJECT) == [s for s in project_stages(ci_project) if s not in gated]
    assert statuses(run)["Promote"] == "skipped (when)"
    # The PR started from main's store (Job Cacher's defaultBranch) and compared against its champion.
    assert "restored the cache of main" in run.log
    assert "against champion version 1" in run.log
    assert (job_caches / "main" / "mlflow-store" / "mlflow.db").read_bytes() == saved
    assert not (job_caches / "PR-7").exists()
    assert run.report["triggers"] == [{"cron": ""}]  # only main's job has a schedule


@MAIN
def test_a_timer_build_runs_the_scheduled_pipeline_alone_and_drifted_data_retrains_and_deploys_a_better_model(
    ci_project: Path, tmp_path: Path, main_build: JenkinsRun, job_caches: Path
):
    """The cron's build of main (a TimerTrigger cause): Setup and Retrain run, every other stage is skipped.
    The refresh brought an export that drifted from what champion version 1 was trained on: drift says
    retrain, and version 2, trained on the new data, beats the champion on it, is promoted and deployed."""
    assert main_build.result == "SUCCESS", main_build.log[-4000:]
    assert main_build.report["triggers"] == [{"cron": "H 4 * * 1"}]
    project = clone(ci_project, tmp_path / "project")
    commit_refresh(project, drifted_export(project, tmp_path / "export.csv"))
    caches = tmp_path / "caches"  # a copy: main's storage stays as the other tests of this group read it
    shutil.copytree(job_caches, caches)
    approval = {"DEPLOY_APPROVAL": "true"}  # the scheduled run may deploy: a person approves it first
    run = build(project, tmp_path / "ws", env=approval, branch="main", cache_dir=caches, cause="TimerTrigger")

    assert run.result == "SUCCESS", run.log[-4000:]
    ran = {name: status for name, status in statuses(run).items() if status != "skipped (when)"}
    assert ran == {"Setup": "success", "Retrain": "success"}
    assert [step["stage"] for step in run.steps_of("input")] == ["Retrain"]
    # The post reports again after the pipeline's own report: the description is always this build's.
    assert run.sh_commands() == ["uv sync --locked", CLEAR, SCHEDULED_COMMAND, f"uv run --no-sync {PROJECT} report"]
    assert "drift: retraining needed: age: psi " in run.log
    assert "compare: challenger version 2 against champion version 1: promote" in run.log
    assert "deploy: version 2 serves (local, blue-green)" in run.log
    assert run.report["description"].startswith(f"✅ {PROJECT} pipeline: 🏆 promote: the challenger beats the champion")
    # Job Cacher saved the store for the next builds: version 2 is the champion.
    with closing(sqlite3.connect(caches / "main" / "mlflow-store" / "mlflow.db")) as store:
        aliases = dict(store.execute("SELECT alias, version FROM registered_model_aliases"))
    assert aliases == {"champion": 2, "previous": 1}


def test_a_failing_unit_test_stops_the_build_at_test(broken_project: Path, tmp_path: Path):
    """In a workspace an earlier build left model tests' results in: the report does not show them."""
    checkout = clone(broken_project, tmp_path / "ws")
    earlier = checkout / "reports" / "junit" / "model.xml"
    earlier.parent.mkdir(parents=True)
    earlier.write_text(
        '<testsuite tests="1" failures="0" errors="0" skipped="0" time="1">'
        '<testcase classname="tests.model.test_quality" name="test_auc" time="1"/></testsuite>'
    )
    run = run_in(checkout, branch="main")
    assert run.result == "FAILURE"
    assert run.returncode != 0
    found = statuses(run)
    assert found["Test"] == "failed"
    assert found["Repro"] == "not run"
    stages = project_stages(broken_project)
    assert stage_commands(run.sh_commands(), PROJECT) == [*stages[: stages.index("test") + 1], "report"]
    assert "test_deliberately_broken" in run.log
    assert run.report["description"].startswith(f"❌ {PROJECT} pipeline: stopped at test: 0 passed, 1 failed")
    report = (checkout / "reports" / "report.md").read_text(encoding="utf-8")
    assert "### ⚪ Model tests\n\nnot run: the pipeline stopped at `test`" in report


def credentials_printing_uv(folder: Path) -> dict[str, str]:
    """PATH with a stand-in uv first, which prints its arguments and the credentials bound for it: the binding
    is under test, not the stages (they run above)."""
    folder.mkdir()
    (folder / "uv").write_text(
        '#!/bin/sh\necho "uv $* user=$MLFLOW_TRACKING_USERNAME pass=$MLFLOW_TRACKING_PASSWORD'
        ' registry=$DEPLOY_REGISTRY_USER:$DEPLOY_REGISTRY_PASSWORD token=$REPORT_TOKEN"\n'
    )
    (folder / "uv").chmod(0o755 | stat.S_IEXEC)
    return {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


SECRETS = {
    "mlflow": {"type": "usernamePassword", "username": "bot", "password": "s3cr3t-value"},
    "registry": {"type": "usernamePassword", "username": "pusher", "password": "r3gistry-token"},
    "report": {"type": "string", "secret": "rep0rt-token"},
}
CREDENTIAL_IDS = {
    "MLFLOW_CREDENTIALS_ID": "mlflow",
    "DEPLOY_REGISTRY_CREDENTIALS_ID": "registry",
    "REPORT_CREDENTIALS_ID": "report",
}


def test_tracking_credentials_are_bound_only_when_configured_and_never_shown(ci_project: Path, tmp_path: Path):
    checkout = clone(ci_project, tmp_path / "ws")
    env = {**ci_env(), **credentials_printing_uv(tmp_path / "bin"), **CREDENTIAL_IDS}
    run = run_jenkinsfile(checkout / "Jenkinsfile", checkout, branch="main", env=env, credentials=SECRETS)
    assert run.result == "SUCCESS", run.log[-3000:]
    assert "s3cr3t-value" not in run.log
    assert "r3gistry-token" not in run.log
    assert "repro user=bot pass=**** registry=:" in run.log  # the registry's token: in Deploy only
    assert "compare user=bot pass=**** registry=:" in run.log
    assert "deploy user=bot pass=**** registry=pusher:****" in run.log
    assert "report user= pass= registry=: token=****" in run.log
    bound = [step["stage"] for step in run.steps_of("withCredentials")]
    assert bound == ["Repro", "Compare", "Promote", "Deploy", "Deploy", None]  # None: the report, in post


def test_a_change_request_from_a_fork_gets_no_credentials(ci_project: Path, tmp_path: Path):
    """Jenkins runs the target branch's Jenkinsfile on a fork's code (src/, uv.lock), which could read what is
    bound for it: nothing is, and the log says so."""
    checkout = clone(ci_project, tmp_path / "ws")
    env = {**ci_env(), **credentials_printing_uv(tmp_path / "bin"), **CREDENTIAL_IDS, "CHANGE_FORK": "someone"}
    run = run_jenkinsfile(
        checkout / "Jenkinsfile", checkout, branch="feature", change_id="7", env=env, credentials=SECRETS
    )
    assert run.result == "SUCCESS", run.log[-3000:]
    assert "repro user= pass= registry=: token=" in run.log
    assert "report user= pass= registry=: token=\n" in run.log + "\n"
    for credential in ("mlflow", "report"):
        said = f"credential {credential} not bound: a change request from the fork someone runs the fork's code"
        assert said in run.log
    bindings = [step["args"]["bindings"] for step in run.steps_of("withCredentials")]
    assert bindings == [[], [], []]  # Repro, Compare, and the report in post


def test_a_failed_setup_reports_nothing_from_the_workspaces_earlier_build(ci_project: Path, tmp_path: Path):
    """Setup's `uv sync --locked` fails (a pyproject.toml changed without its lock) before `pipeline --clear`:
    the reused workspace still holds an earlier build's reports/ (and .venv), which must not be reported, posted
    or archived as this build's."""
    checkout = clone(ci_project, tmp_path / "ws")
    (checkout / "reports").mkdir(exist_ok=True)
    (checkout / "reports" / "report.md").write_text("## ✅ an earlier build's verdict\n", encoding="utf-8")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "uv").write_text(
        '#!/bin/sh\nif [ "$1" = sync ]; then echo "error: the lockfile needs to be updated" >&2; exit 2; fi\n'
        'echo "uv $*"\n'
    )
    (fake / "uv").chmod(0o755 | stat.S_IEXEC)
    env = {**ci_env(), "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}", "REPORT_CREDENTIALS_ID": "report"}
    run = run_jenkinsfile(
        checkout / "Jenkinsfile", checkout, branch="feature", change_id="7", env=env, credentials=SECRETS
    )
    assert run.result == "FAILURE", run.log[-3000:]
    assert run.stage_status("Setup") == "failed"
    assert run.sh_commands() == ["uv sync --locked"]  # no report, nothing after the failure
    said = "report: not made: Setup did not run to its end, and this workspace's reports/ are an earlier build's"
    assert said in run.log
    assert run.report["description"] == "Setup did not run to its end: no report"
    assert not run.steps_of("archiveArtifacts")


def test_jenkinsfiles_lint_clean(ci_project: Path):
    found = lint_jenkinsfiles([ci_project / "Jenkinsfile", TEMPLATE / "jenkins" / "Jenkinsfile"])
    assert len(found) == 2
    assert found == {path: [] for path in found}


PLUGINS = {
    "pipeline": "pipeline-model-definition",
    "sh": "workflow-durable-task-step",
    "junit": "junit",
    "archiveArtifacts": "workflow-basic-steps",
    "withCredentials": "credentials-binding",
    "usernamePassword": "credentials-binding",
    "string(": "credentials-binding",
    "readFile": "workflow-basic-steps",
    "fileExists": "workflow-basic-steps",
    "timeout": "workflow-basic-steps",
    "timestamps": "timestamper",
    "disableConcurrentBuilds": "workflow-job",
    "buildDiscarder": "workflow-job",
    "lock": "lockable-resources",
    "cache": "jobcacher",
    "arbitraryFileCache": "jobcacher",
    "BRANCH_NAME": "workflow-multibranch",
}


@MAIN
def test_every_plugin_the_generated_jenkinsfile_uses_is_in_plugins_txt(main_build: JenkinsRun, ci_project: Path):
    listed = {
        line.strip() for line in (TEMPLATE / "jenkins" / "plugins.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }  # fmt: skip
    text = (ci_project / "Jenkinsfile").read_text()
    used = {name for name in PLUGINS if name in text or name in {s["type"] for s in main_build.steps}}
    used |= {"pipeline", "sh", "BRANCH_NAME"}
    missing = {PLUGINS[name] for name in used} - listed
    assert not missing, f"plugins.txt lacks {sorted(missing)}"


def test_the_templates_own_jenkinsfile_runs_its_ci_script(tmp_path: Path):
    workdir = tmp_path / "template"
    (workdir / ".ci").mkdir(parents=True)
    # Stand-in for .ci/run (the real one is this very test suite): record the call, leave a JUnit file.
    (workdir / ".ci" / "run").write_text(
        'set -e\necho "ci-run CI=$CI"\nmkdir -p build/junit\n'
        'echo \'<testsuite tests="1"><testcase name="t"/></testsuite>\' > build/junit/template.xml\n'
    )
    run = run_jenkinsfile(TEMPLATE / "jenkins" / "Jenkinsfile", workdir, branch="main")
    assert run.result == "SUCCESS", run.log[-3000:]
    assert "ci-run CI=true" in run.log
    assert run.sh_commands() == ["bash .ci/run"]
    assert [step["stage"] for step in run.steps_of("junit")] == ["Test"]
