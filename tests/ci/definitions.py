"""The stages of the generated pipeline: the project's own list, and the stage commands read out of each
CI definition, in the order the CI system runs them.

A stage command is a call of the generated project's CLI: `uv run --no-sync <project> <stage>`. The
scheduled pipeline's one job calls `<project> pipeline --scheduled` (SCHEDULED_COMMAND), which is not a stage.
GitHub and GitLab files are parsed as YAML (jobs ordered by `needs`, GitLab also by `stages`);
the Jenkinsfile is executed by the Groovy harness and its `sh` steps are read from the run.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

from baking import DEFAULTS

PROJECT = DEFAULTS["project"]

STAGE_COMMAND = re.compile(r"^uv run --no-sync (?P<project>[a-z][a-z0-9-]*) (?P<stage>[a-z][a-z-]*)\b")
WHOLE_STAGE_COMMAND = re.compile(r"^uv run --no-sync [a-z][a-z0-9-]* [a-z][a-z-]*(?: --[a-z][a-z-]*)*$")
"""A stage command is the CLI call alone, options allowed: no `|| true` or other shell around it."""
GITLAB_KEYWORDS = {
    "default", "include", "stages", "variables", "workflow", "image", "services", "cache",
    "before_script", "after_script", "spec",
}  # fmt: skip


def pipeline_constant(project: Path, name: str) -> list[str]:
    """A list constant of the project's stages/pipeline.py, read without importing it."""
    source = (project / "src" / DEFAULTS["package"] / "stages" / "pipeline.py").read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and [target.id for target in node.targets] == [name]:
            return list(ast.literal_eval(node.value))
    raise AssertionError(f"stages/pipeline.py defines no {name}")


def project_stages(project: Path) -> list[str]:
    """The source of truth: the stages the project's own `pipeline` command runs, in order."""
    return pipeline_constant(project, "ORDER")


def default_branch_stages(project: Path) -> list[str]:
    """The stages that run for the default branch only (never for a pull request)."""
    return pipeline_constant(project, "DEFAULT_BRANCH_ONLY")


SCHEDULED_COMMAND = f"uv run --no-sync {PROJECT} pipeline --scheduled"
SCHEDULED_JOB = "retrain"
"""The scheduled pipeline's one job in GitHub and GitLab (SCHEDULED_COMMAND): never part of a push, pull
request or merge request run."""


def push_results(found: dict[str, str]) -> dict[str, str]:
    """A push, pull request or merge request run's job results, after checking that the scheduled job did not
    run."""
    found = dict(found)
    assert found.pop(SCHEDULED_JOB) == "skipped"
    return found


def scheduled_stages(project: Path) -> list[str]:
    """The scheduled pipeline's stages, in order (`pipeline --scheduled`)."""
    return pipeline_constant(project, "SCHEDULED")


def stage_commands(commands: Iterable[str], project: str) -> list[str]:
    """The stages called, in order, from a sequence of shell commands (multi-line ones split); the scheduled
    pipeline's `pipeline --scheduled` is not one of them."""
    stages = []
    for command in commands:
        for line in str(command).splitlines():
            match = STAGE_COMMAND.match(line.strip())
            if match and match["project"] == project and match["stage"] != "pipeline":
                assert WHOLE_STAGE_COMMAND.match(line.strip()), f"{line.strip()!r}: more than a stage command"
                stages.append(match["stage"])
    return stages


def _topological(jobs: dict[str, list[str]]) -> list[str]:
    """Jobs in dependency order, keeping file order among jobs that are ready together."""
    ordered: list[str] = []
    pending = list(jobs)
    while pending:
        ready = next((job for job in pending if all(need in ordered for need in jobs[job])), None)
        if ready is None:
            raise ValueError(f"needs form a cycle or name unknown jobs: {pending}")
        ordered.append(ready)
        pending.remove(ready)
    return ordered


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def github_jobs(workflow: dict) -> list[str]:
    jobs = workflow["jobs"]
    return _topological({name: _as_list(job.get("needs")) for name, job in jobs.items()})


def github_stages(workflow: dict, project: str) -> list[str]:
    jobs = workflow["jobs"]
    return stage_commands(
        (step["run"] for job in github_jobs(workflow) for step in jobs[job].get("steps", []) if "run" in step),
        project,
    )


def gitlab_jobs(pipeline: dict) -> list[str]:
    jobs = {
        name: job
        for name, job in pipeline.items()
        if name not in GITLAB_KEYWORDS and not name.startswith(".") and isinstance(job, dict)
    }
    stages = pipeline.get("stages", ["build", "test", "deploy"])
    by_stage = sorted(jobs, key=lambda name: stages.index(jobs[name].get("stage", "test")))
    needs = {
        name: [need if isinstance(need, str) else need["job"] for need in _as_list(jobs[name].get("needs"))]
        for name in by_stage
    }
    return _topological(needs)


def gitlab_stages(pipeline: dict, project: str) -> list[str]:
    return stage_commands(
        (line for job in gitlab_jobs(pipeline) for line in _as_list(pipeline[job].get("script"))),
        project,
    )


HAND_ON = "./.github/actions/hand-on"
SETUP = "./.github/actions/setup"


def github_artifacts(job: dict) -> tuple[dict[str, set[str]], list[str]]:
    """A job's artifacts: {name: its paths} it hands on (the local hand-on action), and the names of the
    artifacts it reads, in order (the local setup action's `artifacts`)."""
    uploads: dict[str, set[str]] = {}
    downloads: list[str] = []
    for step in job.get("steps", []):
        uses, options = step.get("uses", ""), step.get("with") or {}
        if uses == HAND_ON:
            uploads.setdefault(options["stage"], set()).update(str(options["paths"]).split())
        elif uses == SETUP:
            downloads += str(options.get("artifacts", "")).split()
    return uploads, downloads


def gitlab_job(pipeline: dict, name: str) -> dict:
    """A job with its `extends:` templates merged in, as GitLab does (hashes deep-merged, the job's own last)."""
    job = pipeline[name]
    merged: dict = {}
    for parent in _as_list(job.get("extends")):
        merged = _deep_merge(merged, gitlab_job(pipeline, parent))
    return _deep_merge(merged, {key: value for key, value in job.items() if key != "extends"})


def _deep_merge(base: dict, over: dict) -> dict:
    merged = dict(base)
    for key, value in over.items():
        merged[key] = (
            _deep_merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
        )
    return merged
