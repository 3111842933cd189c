"""The generated project's .gitlab-ci.yml, run for real on this machine by gitlab-ci-local (no Docker, no GitLab).

gitlab-ci-local (npm, see tests/ci/gitlab/runner.py) runs every job in bash on the host, each in its own copy
of the project's tracked files, and passes artifacts between jobs as `needs:` says. Each run is a real one:
`uv sync --locked`, then every stage of the project, two to four minutes on two cores. Every run syncs the
pytest-xdist worker's venv (tests/baking.py project_env), so only the first run on a fresh machine installs
packages. State (job copies,
artifacts, logs) goes to a tmp folder per run, outside the project, which is left exactly as it was.
The toy-pipeline tests at the end check the runner itself in seconds and are not marked slow.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import urllib.request
import xml.etree.ElementTree as ET
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from ci.definitions import (
    PROJECT,
    SCHEDULED_JOB,
    default_branch_stages,
    project_stages,
    push_results,
    stage_commands,
)
from ci.definitions import gitlab_jobs as jobs_in_order
from ci.gitlab import runner
from ci.gitlab.runner import GitlabRun, gitlab_jobs, plan_gitlab, require_gitlab_ci_local, run_gitlab
from ci.projects import ci_env, clone, commit_params, commit_refresh, drifted_export, git
from defects import DEFECTS

CLI = f"uv run --no-sync {PROJECT}"
VARIABLES = ci_env()
GIT = ["git", "-c", "user.name=gitlab-ci-local test", "-c", "user.email=gcl@example.com"]


@pytest.fixture(scope="session")
def gitlab_project(ci_project: Path) -> Path:
    """The default bake, never run in place: anything a job finds came from the run."""
    require_gitlab_ci_local()
    return ci_project


def jobs(project: Path) -> list[str]:
    """The push pipeline's jobs, in order."""
    found = jobs_in_order(yaml.safe_load((project / ".gitlab-ci.yml").read_text()))
    return [job for job in found if job != SCHEDULED_JOB]


def results(run: GitlabRun) -> dict[str, str]:
    return push_results(run.job_results())


def stages_run(run: GitlabRun) -> list[str]:
    return stage_commands([line for script in run.job_scripts().values() for line in script], PROJECT)


def run_pipeline(project: Path, state_dir: Path, variables: dict[str, str] | None = None, **kwargs) -> GitlabRun:
    run = run_gitlab(project, variables={**VARIABLES, **(variables or {})}, state_dir=state_dir, **kwargs)
    print(run.log)  # shown by pytest when the test fails
    print(f"[{run.branch}] {run.seconds} s: {run.job_results()} {run.job_durations()}")
    return run


def untouched(project: Path, branch: str = "main") -> None:
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"], cwd=project, capture_output=True, text=True, check=True
    )
    assert status.stdout == "", f"the run wrote into the project folder:\n{status.stdout}"
    head = subprocess.run(["git", "branch", "--show-current"], cwd=project, capture_output=True, text=True)
    assert head.stdout.strip() == branch


def copy_with_commit(project: Path, folder: Path, file: str, text: str, message: str) -> Path:
    """A copy of the bake with `text` appended to `file`, committed on main."""
    copy = folder / project.name
    shutil.copytree(project, copy, symlinks=True)
    with (copy / file).open("a") as handle:
        handle.write(text)
    subprocess.run([*GIT, "commit", "-qam", message], cwd=copy, check=True, capture_output=True)
    return copy


def junit(run: GitlabRun) -> ET.Element:
    return ET.parse(run.artifacts("test") / "reports" / "junit" / "unit.xml").getroot()


def junit_counts(root: ET.Element) -> dict[str, int]:
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    return {key: sum(int(suite.get(key, 0)) for suite in suites) for key in ("tests", "failures", "errors", "skipped")}


def junit_row(root: ET.Element) -> str:
    """The test stage's row the report writes for this JUnit report, run time included."""
    counts = junit_counts(root)
    passed = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    seconds = round(sum(float(suite.get("time", 0)) for suite in suites), 1)
    return (
        f"| ✅ `test` | {passed} passed, {counts['failures']} failed, {counts['errors']} errors, "
        f"{counts['skipped']} skipped in {seconds:.1f} s |"
    )


def stopped_at(run: GitlabRun, stage: str) -> str:
    """The report job's Markdown, after checking that it ran after the failure and says where it stopped."""
    assert run.job_results()["report"] == "success"
    report = (run.artifacts("report") / "reports" / "report.md").read_text()
    assert report.startswith(f"## ❌ {PROJECT} pipeline: stopped at {stage}: "), report[:300]
    return report


def registry_aliases(cache: Path) -> dict[str, str]:
    """The aliases of the MLflow store in GitLab's cache (read with sqlite3 itself)."""
    with closing(sqlite3.connect(cache / "mlflow-store" / "mlruns" / "mlflow.db")) as connection:
        rows = connection.execute("SELECT alias, version FROM registered_model_aliases WHERE name = ?", (PROJECT,))
        return {alias: str(version) for alias, version in rows}


def decision(run: GitlabRun) -> tuple[str, str]:
    report = json.loads((run.artifacts("compare") / "reports" / "compare.json").read_text())
    return report["decision"], report["challenger"]["version"]


def served_version(project: Path) -> str | None:
    """The model version the project's local service (deploy.local in params.yaml) answers /ready with."""
    local = yaml.safe_load((project / "params.yaml").read_text())["deploy"]["local"]
    try:
        with urllib.request.urlopen(f"http://{local['host']}:{local['port']}/ready", timeout=5) as response:
            return json.loads(response.read())["model"]["version"]
    except OSError:
        return None


@dataclass(frozen=True)
class Pipelines:
    """Five pipelines of one GitLab project, its `mlflow-store` cache carried from one to the next (the
    embedded store) and one local service their deploy jobs update: a small model on main (first,
    deployed), the default model on a feature branch (compared, never promoted or deployed), the same
    merged into main (promote, deployed), the small model again on main (keep, nothing deployed), and a
    retrain as good as the champion promoted under the non-inferiority rule but deployed as a canary that
    gets no traffic in its window (withdrawn: rolled back, the pipeline fails). Then two scheduled pipelines,
    whose refresh (drift.refresh) copies the warehouse's export: the same data (unchanged: nothing retrained),
    then an export that drifted (retrained, promoted and deployed)."""

    project: Path
    cache: Path
    first: GitlabRun
    feature: GitlabRun
    promoted: GitlabRun
    kept: GitlabRun
    withdrawn: GitlabRun
    unchanged: GitlabRun
    drifted: GitlabRun
    aliases: dict[str, dict[str, str]]
    """The registry's aliases in the cache after each run, by run name."""
    served: dict[str, str | None]
    """The version the local service answered with after each run, by run name."""


RELEASE_JOBS = ("repro", "compare", "promote", "deploy")
"""The jobs the `promoted` and `withdrawn` pipelines run: what their scenario is about (train, compare, move the
alias, deploy), in the same pipeline with the same cache. `first`, `feature` and `kept` run every job; the
gates before repro (validate, lint, test) and after it (model-tests, loadtest) have their own failure runs."""


@pytest.fixture(scope="module")
def pipelines(gitlab_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Pipelines:
    folder = tmp_path_factory.mktemp("gitlab-pipelines")
    project = clone(gitlab_project, folder / gitlab_project.name)
    cache = folder / "cache"  # one GitLab project: its cache outlives each pipeline
    runs: dict[str, GitlabRun] = {}
    aliases: dict[str, dict[str, str]] = {}

    served: dict[str, str | None] = {}

    def pipeline(name: str, branch: str = "main", jobs: tuple[str, ...] = (), scheduled: bool = False) -> None:
        variables = {"CI_PIPELINE_SOURCE": "schedule"} if scheduled else {}
        runs[name] = run_pipeline(
            project, folder / name, variables, branch=branch, cache_dir=cache, jobs=jobs, needs=False
        )
        aliases[name] = registry_aliases(cache) if (cache / "mlflow-store").exists() else {}
        served[name] = served_version(project)

    commit_params(project, "A small model", max_iter=50, max_leaf_nodes=8)
    pipeline("first")
    git(project, "checkout", "-qb", "feature/x")
    commit_params(project, "Better: the default model", max_iter=200, max_leaf_nodes=31)
    pipeline("feature", branch="feature/x")
    git(project, "checkout", "-q", "main")
    git(project, "merge", "-q", "--ff-only", "feature/x")
    pipeline("promoted", jobs=RELEASE_JOBS)
    commit_params(project, "Worse: the small model again", max_iter=50, max_leaf_nodes=8)
    pipeline("kept")
    params = project / "params.yaml"
    text = params.read_text().replace("  rule: improve", "  rule: non_inferior", 1)
    params.write_text(text.replace("  strategy: blue-green", "  strategy: canary", 1))
    commit_params(project, "A canary of the default model", max_iter=200, max_leaf_nodes=31, window_s=2)
    pipeline("withdrawn", jobs=RELEASE_JOBS)
    text = params.read_text().replace("  rule: non_inferior", "  rule: improve", 1)
    params.write_text(text.replace("  strategy: canary", "  strategy: blue-green", 1))
    git(project, "commit", "-qam", "Back to the improve rule and blue-green")
    export = folder / "export.csv"  # the warehouse's latest export, outside the repository
    shutil.copy2(project / "data" / "raw" / "adult.csv", export)
    commit_refresh(project, export)
    pipeline("unchanged", scheduled=True)
    drifted_export(project, export)  # the next export drifted
    pipeline("drifted", scheduled=True)
    names = ("first", "feature", "promoted", "kept", "withdrawn", "unchanged", "drifted")
    return Pipelines(project, cache, *(runs[name] for name in names), aliases, served)


CHAIN = pytest.mark.xdist_group("gitlab-pipelines")
"""Tests that read the pipelines above: on one worker, which runs them once."""


@pytest.mark.slow
@CHAIN
def test_main_runs_every_stage_in_order_all_green(pipelines: Pipelines):
    run, project = pipelines.first, pipelines.project
    assert run.returncode == 0, run.log[-4000:]
    assert results(run) == dict.fromkeys(jobs(project), "success")
    scripts = run.job_scripts()
    assert list(scripts) == jobs(project)  # the order the jobs started in
    assert stages_run(run) == project_stages(project)
    assert all(script[0] == "uv sync --locked" and len(script) == 2 for script in scripts.values())
    # What ran is what .gitlab-ci.yml says, before_script included.
    preview = gitlab_jobs(project, run.state_dir / "preview")
    assert scripts == {job: script for job, _, script in preview if job != SCHEDULED_JOB}


@pytest.mark.slow
@CHAIN
def test_main_compares_against_no_champion_promotes_the_first_and_caches_the_store(pipelines: Pipelines):
    run = pipelines.first
    assert run.returncode == 0, run.log[-4000:]
    report = json.loads((run.artifacts("compare") / "reports" / "compare.json").read_text())
    assert report["decision"] == "first"
    assert report["champion"] is None
    assert any("promote: champion -> version 1" in line for line in run.job_output()["promote"])
    # Only the promote job pushed the MLflow store into the cache; repro only pulls it.
    assert pipelines.aliases["first"] == {"champion": "1"}


@pytest.mark.slow
@CHAIN
def test_the_report_job_is_built_from_the_test_and_repro_artifacts(pipelines: Pipelines):
    run = pipelines.first
    assert run.returncode == 0, run.log[-4000:]
    summary = (run.artifacts("report") / "reports" / "report.md").read_text()
    evaluation = json.loads((run.artifacts("repro") / "reports" / "evaluation.json").read_text())
    trained = json.loads((run.artifacts("repro") / "models" / "run.json").read_text())
    root = junit(run)

    # The test table is the test job's JUnit report, to its run time: that job's artifact, not a rerun.
    counts = junit_counts(root)
    assert counts["tests"] > 0
    assert counts["failures"] == counts["errors"] == 0
    assert junit_row(root) in summary
    # The model section is the repro job's model and scores.
    assert trained["version"] == evaluation["model"]["version"]
    primary = evaluation["primary_metric"]
    score = f"{primary} {evaluation['test'][primary]:.4f}"
    assert f"| ✅ `repro` | {evaluation['model']['name']} version {trained['version']}: {score} on " in summary
    assert summary.startswith(f"## ✅ {PROJECT} pipeline: 🥇 first")

    output = run.job_output()
    assert any("Running stage 'train'" in line for line in output["repro"])
    assert any("test session starts" in line for line in output["test"])
    # The report job received the artifacts and computed nothing itself: no training, no tests, no MLflow store.
    assert re.search(r"^report +imported artifacts", run.log, re.MULTILINE)
    assert not any("Running stage" in line or "test session starts" in line for line in output["report"])
    report_copy = run.state_dir / "builds" / "report"
    assert json.loads((report_copy / "models" / "run.json").read_text()) == trained
    assert (report_copy / "reports" / "junit" / "unit.xml").read_bytes() == (
        run.artifacts("test") / "reports" / "junit" / "unit.xml"
    ).read_bytes()
    assert (run.state_dir / "builds" / "repro" / "mlruns").is_dir()
    assert "Champion vs challenger" in summary
    # Artifacts are exactly the paths the jobs declare.
    assert sorted(path.name for path in run.artifacts("report").rglob("*") if path.is_file()) == [
        "report.html", "report.md"
    ]  # fmt: skip


@pytest.mark.slow
@CHAIN
def test_a_feature_branch_pipeline_compares_with_mains_champion_and_never_promotes(pipelines: Pipelines):
    run, project = pipelines.feature, pipelines.project
    assert run.returncode == 0, run.log[-4000:]
    gated = default_branch_stages(project)
    assert results(run) == {job: "skipped" if job in gated else "success" for job in jobs(project)}
    assert stages_run(run) == [stage for stage in project_stages(project) if stage not in gated]
    # It compared against the champion main's pipeline left in the cache, and the cache kept main's store.
    assert decision(run) == ("promote", "2")
    assert pipelines.aliases["feature"] == pipelines.aliases["first"] == {"champion": "1"}
    # The jobs ran on the branch: each job's copy of the repo has it checked out.
    head = subprocess.run(
        ["git", "rev-parse", "--abbrev-ref", "HEAD"],
        cwd=run.state_dir / "builds" / "lint",
        capture_output=True,
        text=True,
        check=True,
    )
    assert head.stdout.strip() == "feature/x"


@pytest.mark.slow
@CHAIN
def test_successive_main_pipelines_promote_a_better_model_then_keep_the_champion(pipelines: Pipelines):
    """Promote, then keep, on main, the MLflow store carried by GitLab's cache (embedded store)."""
    assert pipelines.promoted.ok, pipelines.promoted.log[-4000:]
    assert list(pipelines.promoted.job_scripts()) == list(RELEASE_JOBS)
    # The feature branch's version 2 was never saved: main's pipeline trains version 2 again.
    assert decision(pipelines.promoted) == ("promote", "2")
    assert pipelines.aliases["promoted"] == {"champion": "2", "previous": "1"}

    run = pipelines.kept
    assert run.ok, run.log[-4000:]  # "keep" is a normal outcome, not a failure
    assert decision(run) == ("keep", "3")
    assert pipelines.aliases["kept"] == {"champion": "2", "previous": "1"}
    summary = (run.artifacts("report") / "reports" / "report.md").read_text()
    assert summary.startswith(f"## ✅ {PROJECT} pipeline: ⏸️ keep: the champion stays")
    assert "| ⏭️ `deploy` | nothing deployed: " in summary
    assert any("nothing to promote: compare decided keep" in line for line in run.job_output()["promote"])
    untouched(pipelines.project)


@pytest.mark.slow
@CHAIN
def test_main_deploys_each_promoted_model_and_a_failed_canary_is_rolled_back(pipelines: Pipelines):
    """The deploy job on main: version 1 started the local service, version 2 replaced it, a kept model
    deployed nothing, the feature branch never deployed; the canary of version 4 got no traffic in its
    window, was withdrawn, and the alias went back to version 2, which still serves."""
    assert pipelines.served["first"] == "1"
    assert pipelines.feature.job_results()["deploy"] == "skipped"
    assert pipelines.served["feature"] == "1"
    assert pipelines.served["promoted"] == "2"
    deployed = json.loads((pipelines.promoted.artifacts("deploy") / "reports" / "deploy.json").read_text())
    assert (deployed["outcome"], deployed["before"], deployed["after"]) == ("deployed", "1", "2")
    kept = json.loads((pipelines.kept.artifacts("deploy") / "reports" / "deploy.json").read_text())
    assert kept["outcome"] == "skipped"
    assert pipelines.served["kept"] == "2"

    run = pipelines.withdrawn
    assert not run.ok
    results = run.job_results()
    assert results["promote"] == "success"
    assert results["deploy"] == "failed"
    assert decision(run) == ("promote", "4")
    output = "\n".join(run.job_output()["deploy"])
    assert "error: deploy: version 4 rolled back: canary withdrawn: the canary answered " in output
    withdrawn = json.loads((run.artifacts("deploy") / "reports" / "deploy.json").read_text())
    assert (withdrawn["outcome"], withdrawn["after"]) == ("rolled_back", "2")
    assert pipelines.served["withdrawn"] == "2"
    # The deploy job's cache (pushed also when it fails) carries the alias back to the next pipelines.
    assert pipelines.aliases["withdrawn"] == {"champion": "2"}


def model_versions(cache: Path) -> int:
    with closing(sqlite3.connect(cache / "mlflow-store" / "mlruns" / "mlflow.db")) as connection:
        return connection.execute("SELECT count(*) FROM model_versions").fetchone()[0]


@pytest.mark.slow
@CHAIN
def test_scheduled_pipelines_run_retrain_alone_and_only_drifted_data_retrains_and_deploys(pipelines: Pipelines):
    """A pipeline schedule runs one job, `pipeline --scheduled`. With the data the champion was trained on it
    ends green at drift and changes nothing; with an export that drifted it retrains, and the new version,
    better on the new data, is promoted and deployed. The MLflow store goes on in the cache."""
    project, unchanged, drifted = pipelines.project, pipelines.unchanged, pipelines.drifted
    assert unchanged.ok, unchanged.log[-4000:]
    assert unchanged.job_results() == {**dict.fromkeys(jobs(project), "skipped"), SCHEDULED_JOB: "success"}
    assert unchanged.job_scripts() == {SCHEDULED_JOB: ["uv sync --locked", f"{CLI} pipeline --scheduled"]}
    check = json.loads((unchanged.artifacts(SCHEDULED_JOB) / "reports" / "drift.json").read_text())
    assert (check["retrain"], check["champion"]) == (False, "2")
    assert check["reference"].startswith("champion version 2's training data (MLflow run ")
    report = (unchanged.artifacts(SCHEDULED_JOB) / "reports" / "report.md").read_text()
    assert report.startswith(f"## ✅ {PROJECT} pipeline: no retraining needed: no column drifted")
    assert "==> repro" not in "\n".join(unchanged.job_output()[SCHEDULED_JOB])
    assert pipelines.aliases["unchanged"] == pipelines.aliases["withdrawn"] == {"champion": "2"}
    assert pipelines.served["unchanged"] == "2"

    assert drifted.ok, drifted.log[-4000:]
    assert drifted.job_results()[SCHEDULED_JOB] == "success"
    check = json.loads((drifted.artifacts(SCHEDULED_JOB) / "reports" / "drift.json").read_text())
    assert check["retrain"]
    assert check["reasons"][0].startswith("age: psi "), check["reasons"]
    output = "\n".join(drifted.job_output()[SCHEDULED_JOB])
    assert "compare: challenger version 5 against champion version 2: promote" in output
    assert pipelines.aliases["drifted"] == {"champion": "5", "previous": "2"}
    assert pipelines.served["drifted"] == "5"
    assert model_versions(pipelines.cache) == 5  # the unchanged run registered nothing
    report = (drifted.artifacts(SCHEDULED_JOB) / "reports" / "report.md").read_text()
    assert report.startswith(f"## ✅ {PROJECT} pipeline: 🏆 promote: the challenger beats the champion")
    assert "| ✅ `drift` | retraining needed: age: psi " in report
    assert "| ⏭️ `test` | skipped: not part of the scheduled pipeline |" in report
    untouched(project)


@pytest.mark.slow
def test_a_failing_unit_test_stops_the_pipeline_at_test(broken_project: Path, tmp_path: Path):
    run = run_pipeline(broken_project, tmp_path / "state")

    assert run.returncode == 1
    order = jobs(broken_project)
    after = order[order.index("test") + 1 : -1]
    assert results(run) == {
        **{job: "success" for job in order[: order.index("test")]},
        "test": "failed",
        **dict.fromkeys(after, "not run"),
        "report": "success",
    }
    assert list(run.job_scripts()) == [*order[: order.index("test") + 1], "report"]
    # artifacts: when: always keeps the JUnit report of the failed job; it names the broken test.
    root = junit(run)
    assert "test_deliberately_broken" in ET.tostring(root, encoding="unicode")
    assert junit_counts(root)["failures"] == 1
    # repro never ran: no artifact files (the report job's import leaves an empty folder for each job it needs)
    assert not [path for path in run.artifacts("repro").rglob("*") if path.is_file()]
    assert "test_deliberately_broken" in stopped_at(run, "test")


@pytest.mark.slow
def test_corrupted_data_stops_the_pipeline_at_validation(corrupted_data_project: Path, tmp_path: Path):
    run = run_pipeline(corrupted_data_project, tmp_path / "state")

    assert run.returncode == 1
    order = jobs(corrupted_data_project)
    assert order[0] == "validate"
    assert results(run) == {"validate": "failed", **dict.fromkeys(order[1:-1], "not run"), "report": "success"}
    assert any(
        "sex: expected one of Female, Male; found 25 other values (e.g. 'Robot'" in line
        for line in run.job_output()["validate"]
    )
    # artifacts: when: always keeps the validation report and the Data Docs for the reviewer.
    report = json.loads((run.artifacts("validate") / "reports" / "validation.json").read_text())
    assert report["valid"] is False
    assert (run.artifacts("validate") / "reports" / "data_docs" / "index.html").is_file()
    assert "sex: expected one of Female, Male" in stopped_at(run, "validate")


@pytest.mark.slow
def test_a_worthless_model_stops_the_pipeline_at_model_tests(shuffled_labels_project: Path, tmp_path: Path):
    run = run_pipeline(shuffled_labels_project, tmp_path / "state")

    assert run.returncode == 1
    order = jobs(shuffled_labels_project)
    stop = order.index("model-tests")
    assert results(run) == {
        **{job: "success" for job in order[:stop]},
        "model-tests": "failed",
        **dict.fromkeys(order[stop + 1 : -1], "not run"),
        "report": "success",
    }
    model_junit = (run.artifacts("model-tests") / "reports" / "junit" / "model.xml").read_text()
    _, failing_test = DEFECTS["shuffled-labels"]  # this run is that defect's check (test_generated_project.py)
    assert f'name="{failing_test}"' in model_junit
    assert failing_test in stopped_at(run, "model-tests")


@pytest.mark.slow
def test_a_lint_error_stops_the_pipeline_at_lint(gitlab_project: Path, tmp_path: Path):
    project = copy_with_commit(gitlab_project, tmp_path, "tests/test_settings.py", "\n\nimport os\n", "A lint error")

    run = run_pipeline(project, tmp_path / "state")

    assert run.returncode == 1
    order = jobs(project)
    assert results(run) == {
        **{job: "success" for job in order[: order.index("lint")]},
        "lint": "failed",
        **dict.fromkeys(order[order.index("lint") + 1 : -1], "not run"),
        "report": "success",  # lint leaves no results: the report says the pipeline stopped before test
    }
    assert run.job_scripts()["lint"] == ["uv sync --locked", f"{CLI} lint"]
    assert any("F401" in line for line in run.job_output()["lint"])


@pytest.mark.slow
def test_workflow_rules_pick_branch_and_merge_request_pipelines(gitlab_project: Path, tmp_path: Path):
    """Evaluated with gitlab-ci-local's rule engine, without running a job (see plan_gitlab)."""
    state = tmp_path / "state"
    assert plan_gitlab(gitlab_project, branch="main", state_dir=state).created
    assert plan_gitlab(gitlab_project, branch="feature/x", state_dir=state).created
    merge_request = plan_gitlab(gitlab_project, branch="feature/x", merge_request=True, state_dir=state)
    assert merge_request.created
    gated = default_branch_stages(gitlab_project)
    expected = {job: "never" if job in gated else "on_success" for job in jobs(gitlab_project)}
    assert merge_request.when() == {**expected, "report": "always", SCHEDULED_JOB: "never"}
    push = plan_gitlab(gitlab_project, branch="main", state_dir=state).when()
    assert push == {**dict.fromkeys(jobs(gitlab_project), "on_success"), "report": "always", SCHEDULED_JOB: "never"}
    # A pipeline schedule (on the default branch): its one job, none of the push pipeline's.
    schedule = {"CI_PIPELINE_SOURCE": "schedule"}
    scheduled = plan_gitlab(gitlab_project, branch="main", variables=schedule, state_dir=state)
    assert scheduled.created
    assert scheduled.when() == {**dict.fromkeys(jobs(gitlab_project), "never"), SCHEDULED_JOB: "on_success"}
    elsewhere = plan_gitlab(gitlab_project, branch="feature/x", variables=schedule, state_dir=state).when()
    assert set(elsewhere.values()) == {"never"}  # a schedule of another branch runs nothing
    # A branch with an open merge request gets the merge request pipeline only, not a second branch pipeline.
    open_mr = {"CI_OPEN_MERGE_REQUESTS": "group/income-classifier!1"}
    assert not plan_gitlab(gitlab_project, branch="feature/x", variables=open_mr, state_dir=state).created
    run = run_gitlab(gitlab_project, branch="feature/x", variables={**VARIABLES, **open_mr}, state_dir=state)
    assert not run.created
    assert results(run) == {job: "skipped" if job in gated else "not run" for job in jobs(gitlab_project)}
    untouched(gitlab_project)


def test_without_gitlab_ci_local_the_tests_skip_locally_and_fail_under_ci(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(runner.shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="gitlab-ci-local, rsync, git not installed"):
        require_gitlab_ci_local()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=f"npm install -g gitlab-ci-local@{runner.TESTED_VERSION}"):
        require_gitlab_ci_local()


TOY_PIPELINE = """\
workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH
stages: [build, check]
make:
  stage: build
  image: alpine:3  # never pulled: every job runs in the host's shell
  script:
    - echo "$CI_PROJECT_PATH branch=${CI_COMMIT_BRANCH:-none} default=$CI_DEFAULT_BRANCH" > out.txt
    - echo "source=$CI_PIPELINE_SOURCE" >> out.txt
  artifacts:
    paths: [out.txt]
check:
  stage: check
  needs: [make]
  script:
    - cat out.txt
only-on-default-branch:
  stage: check
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
  script:
    - echo default
"""


@pytest.fixture(scope="module")
def toy_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-stage pipeline without uv: the runner's own behaviour in seconds."""
    require_gitlab_ci_local()
    project = tmp_path_factory.mktemp("toy") / "toy"
    project.mkdir()
    (project / ".gitlab-ci.yml").write_text(TOY_PIPELINE)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=project, check=True)
    subprocess.run([*GIT, "add", "."], cwd=project, check=True)
    subprocess.run([*GIT, "commit", "-qm", "toy"], cwd=project, check=True)
    return project


@pytest.mark.parametrize(
    ("branch", "merge_request", "seen", "default_job"),
    [
        ("main", False, ["group/toy branch=main default=main", "source=push"], "success"),
        ("feature/y", False, ["group/toy branch=feature/y default=main", "source=push"], "skipped"),
        ("feature/y", True, ["group/toy branch=none default=main", "source=merge_request_event"], "skipped"),
    ],
)
def test_the_runner_sets_branch_and_pipeline_source_and_passes_artifacts(
    toy_project: Path, tmp_path: Path, branch: str, merge_request: bool, seen: list[str], default_job: str
):
    run = run_gitlab(toy_project, branch=branch, merge_request=merge_request, state_dir=tmp_path / "state")
    print(run.log)

    assert run.returncode == 0
    assert run.job_results() == {"make": "success", "check": "success", "only-on-default-branch": default_job}
    toy_make_script = [line.strip()[2:] for line in TOY_PIPELINE.splitlines() if "out.txt" in line][:2]
    assert run.job_scripts()["make"] == toy_make_script
    # check printed what make wrote: the artifact came across.
    assert run.job_output()["check"] == ["$ cat out.txt", *(f"> {line}" for line in seen)]
    assert (run.artifacts("make") / "out.txt").read_text().splitlines() == seen
    assert "Avoid overriding predefined variables" not in run.log
    untouched(toy_project)


def test_a_clone_whose_origin_is_a_local_path_still_gets_a_gitlab_project_path(toy_project: Path, tmp_path: Path):
    clone = tmp_path / "toy-clone"
    subprocess.run(["git", "clone", "-q", str(toy_project), str(clone)], check=True)

    run = run_gitlab(clone, state_dir=tmp_path / "state")

    assert run.returncode == 0, run.log
    assert (run.artifacts("make") / "out.txt").read_text().startswith("group/toy-clone branch=main ")
    assert "fallback" not in run.log
    untouched(clone)


@pytest.mark.slow
def test_a_merge_requests_report_is_one_note_updated_in_place(gitlab_project: Path, tmp_path: Path, standin_forge):
    """The report job alone on a merge request pipeline, twice, posting to the STAND-IN forge (a local server
    speaking GitLab's REST API, not GitLab) with the REPORT_TOKEN variable: a note created, then updated."""
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=gitlab_project, capture_output=True, text=True, check=True
    ).stdout.strip()
    standin_forge.heads["gitlab:42!1"] = sha
    standin_forge.add("gitlab:42!1", "reviewer", "Looks good")
    variables = {
        **VARIABLES,
        "CI_PROJECT_ID": "42",
        "REPORT_TOKEN": "gitlab-token",  # the stand-in's token for report-bot
        "REPORT_API_URL": f"{standin_forge.url}/api/v4",
    }
    runs = [
        run_gitlab(
            gitlab_project,
            branch="feature/x",
            merge_request=True,
            variables=variables,
            jobs=["report"],
            needs=False,
            state_dir=tmp_path / attempt,
        )
        for attempt in ("first", "second")
    ]

    for run in runs:
        assert run.job_results()["report"] == "success", run.log[-4000:]
    ours = [note for note in standin_forge.comments["gitlab:42!1"] if note["author"] == "report-bot"]
    assert len(ours) == 1
    assert ours[0]["body"].startswith(f"## ❌ {PROJECT} pipeline: stopped before validate")
    assert f"report: created comment {ours[0]['id']} on 42!1" in "\n".join(runs[0].job_output()["report"])
    assert f"report: updated comment {ours[0]['id']} on 42!1" in "\n".join(runs[1].job_output()["report"])
    assert ("PUT", f"/api/v4/projects/42/merge_requests/1/notes/{ours[0]['id']}") in standin_forge.requests
    assert (runs[1].artifacts("report") / "reports" / "report.html").is_file()
    untouched(gitlab_project)
