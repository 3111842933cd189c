"""Run a baked project's .gitlab-ci.yml on this machine with gitlab-ci-local, no Docker, no GitLab.

    from ci.gitlab.runner import plan_gitlab, require_gitlab_ci_local, run_gitlab

    require_gitlab_ci_local()                          # pytest: skip without it (fail when $CI is set)
    run = run_gitlab(project, branch="main", variables={"UV_PROJECT_ENVIRONMENT": "/tmp/venv"}, state_dir=tmp)
    assert run.ok, run.log
    run.job_results()          # {"validate": "success", ..., "promote": "success"}
    run.job_scripts()["test"]  # ["uv sync --locked", "uv run --no-sync income-classifier test"]
    run.artifacts("report") / "reports" / "summary.md"
    plan_gitlab(project, branch="feature/x", merge_request=True).when()  # {"promote": "never", ...}

How gitlab-ci-local behaves and what this module adds (workflow:rules, origin, state dir): tests/ci/README.md.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tools import QUIET_TOOLS, UV, require, run_bounded, scrubbed_environ

GITLAB_CI_LOCAL = "gitlab-ci-local"
TESTED_VERSION = "4.73.0"
INSTALL_HINT = (
    f"npm install -g {GITLAB_CI_LOCAL}@{TESTED_VERSION}  (Node >= 20; 4.75+ needs Node >= 22) "
    "and apt-get install -y rsync"
)
STATE_DIR = ".gitlab-ci-local"
FAKE_ORIGIN = "https://gitlab.example.com/group/{name}.git"
"""An https URL: the git@host:group/project form makes gitlab-ci-local run `ssh -G` to find the port."""
GITLAB_URL = re.compile(r"^(https?://|ssh://|[^\s/@]+@[^:/]+:)")
"""Remote URLs gitlab-ci-local can read a group/project from."""
BASE_FLAGS = (
    "--no-color",
    "--force-shell-executor",
    "--shell-isolation",
    "--no-artifacts-to-source",
    "--concurrency=1",  # one job at a time: the jobs share one venv (UV_PROJECT_ENVIRONMENT)
)
RESERVED_KEYS = {
    "stages",
    "variables",
    "workflow",
    "default",
    "include",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "pages:deploy",
}
TIMED_OUT = 124


def require_gitlab_ci_local() -> str:
    """The gitlab-ci-local executable; without it (or rsync, git), fail the test under CI, else skip it."""
    return require(GITLAB_CI_LOCAL, "rsync", "git", install=INSTALL_HINT)[0]


def _uv_cache_dir() -> str:
    return subprocess.run([UV, "cache", "dir"], capture_output=True, text=True, check=True).stdout.strip()


# --- the git side ---------------------------------------------------------------------------------------------


def _git(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=check)


def _current_ref(project: Path) -> str:
    """The branch checked out, or the commit sha when HEAD is detached."""
    branch = _git(project, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    return branch.stdout.strip() if branch.returncode == 0 else _git(project, "rev-parse", "HEAD").stdout.strip()


def prepare_repo(project: Path, branch: str, default_branch: str = "main") -> str:
    """Check out `branch` (created from HEAD if new), ensure an origin and its HEAD; returns the ref left."""
    previous = _current_ref(project)
    if _git(project, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False).returncode == 0:
        if previous != branch:
            _git(project, "checkout", "--quiet", branch)
    else:
        _git(project, "checkout", "--quiet", "-b", branch)
    origin = _git(project, "remote", "get-url", "origin", check=False)
    fake = FAKE_ORIGIN.format(name=project.name)
    if origin.returncode != 0:
        _git(project, "remote", "add", "origin", fake)
    elif not GITLAB_URL.match(origin.stdout.strip()):
        # A clone's origin is a local path, which gitlab-ci-local cannot parse (CI_PROJECT_PATH would be
        # fallback.group/fallback.project): it reads the remote `gcl-origin` first when there is one.
        has_gcl_origin = _git(project, "remote", "get-url", "gcl-origin", check=False).returncode == 0
        _git(project, "remote", "set-url" if has_gcl_origin else "add", "gcl-origin", fake)
    # CI_DEFAULT_BRANCH: gitlab-ci-local reads `git symbolic-ref --short refs/remotes/origin/HEAD`.
    _git(project, "symbolic-ref", "refs/remotes/origin/HEAD", f"refs/remotes/origin/{default_branch}")
    exclude = project / _git(project, "rev-parse", "--git-path", "info/exclude").stdout.strip()
    exclude.parent.mkdir(parents=True, exist_ok=True)
    lines = exclude.read_text().splitlines() if exclude.is_file() else []
    if f"/{STATE_DIR}/" not in lines:
        exclude.write_text("\n".join([*lines, f"/{STATE_DIR}/"]) + "\n")
    return previous


def _restore(project: Path, previous: str) -> None:
    if _current_ref(project) != previous:
        _git(project, "checkout", "--quiet", previous)


# --- the pipeline's definition ------------------------------------------------------------------------------


def _clean_env(extra_path: Path | None = None) -> dict[str, str]:
    env = scrubbed_environ()
    if extra_path is not None:
        env["PATH"] = f"{extra_path}{os.pathsep}{env.get('PATH', '')}"
    return env


def _variable_flags(variables: Mapping[str, str], unset: Iterable[str] = ()) -> list[str]:
    flags = [f"--variable={key}={value}" for key, value in variables.items()]
    flags += [f"--unset-variable={key}" for key in unset]
    return flags


def _state_flag(project: Path, state_dir: Path | None) -> str:
    state = Path(state_dir).resolve() if state_dir is not None else project / STATE_DIR
    return f"--state-dir={os.path.relpath(state, project)}"


def preview(project: Path, state_dir: Path | None = None) -> dict:
    """The pipeline as gitlab-ci-local expands it (`--preview`: includes, extends, default: merged in)."""
    project = Path(project).resolve()
    command = [GITLAB_CI_LOCAL, "--preview", "--no-color", _state_flag(project, state_dir)]
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, env=_clean_env())
    if result.returncode != 0:
        raise RuntimeError(f"gitlab-ci-local --preview failed:\n{result.stdout}\n{result.stderr}")
    return yaml.safe_load(result.stdout[result.stdout.index("---") :])


def _real_jobs(expanded: Mapping) -> dict[str, dict]:
    return {
        name: data
        for name, data in expanded.items()
        if isinstance(data, dict) and name not in RESERVED_KEYS and not name.startswith(".")
    }


def _as_lines(script: object) -> list[str]:
    if script is None:
        return []
    if isinstance(script, str):
        return [script]
    lines: list[str] = []
    for item in script:  # type: ignore[union-attr]
        lines += _as_lines(item) if isinstance(item, list) else [str(item)]
    return lines


def gitlab_jobs(project: Path, state_dir: Path | None = None) -> list[tuple[str, str, list[str]]]:
    """(job, stage, before_script + script) for every job of the project's .gitlab-ci.yml, in stage order."""
    expanded = preview(project, state_dir)
    stages = expanded.get("stages", [])
    jobs = [
        (name, data.get("stage", "test"), _as_lines(data.get("before_script")) + _as_lines(data.get("script")))
        for name, data in _real_jobs(expanded).items()
    ]
    return sorted(jobs, key=lambda job: stages.index(job[1]) if job[1] in stages else len(stages))


@dataclass(frozen=True)
class GitlabPlan:
    """What a pipeline would be for these variables, without running a job."""

    created: bool
    """False when workflow:rules say no pipeline (GitLab would create none; gitlab-ci-local would run one)."""
    jobs: dict[str, dict] = field(default_factory=dict)
    """job -> {"stage", "when", "allow_failure", "needs"} as gitlab-ci-local's --list-json gives them."""

    def when(self) -> dict[str, str]:
        return {name: job["when"] for name, job in self.jobs.items()}


def _list_json(project: Path, flags: list[str], file: str | None = None) -> list[dict]:
    command = [GITLAB_CI_LOCAL, "--list-json", "--no-color", *flags]
    if file is not None:
        command.append(f"--file={file}")
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, env=_clean_env())
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout[result.stdout.index("[") :])


def _workflow_allows(project: Path, state: Path, expanded: Mapping, flags: list[str]) -> bool:
    """Evaluate workflow:rules with gitlab-ci-local's own rule engine: as the rules of a one-job probe pipeline.

    Job rules and workflow rules share their semantics (first matching rule wins; none matching means never),
    and the probe sees the same predefined, global and --variable values the real pipeline does.
    """
    rules = (expanded.get("workflow") or {}).get("rules")
    if not rules:
        return True
    probe = {
        "stages": ["probe"],
        "variables": expanded.get("variables") or {},
        "workflow-probe": {"stage": "probe", "script": ["true"], "rules": rules},
    }
    probe_file = state / "workflow-probe.yml"
    probe_file.parent.mkdir(parents=True, exist_ok=True)
    probe_file.write_text(yaml.safe_dump(probe, sort_keys=False))
    try:
        jobs = _list_json(project, flags, file=os.path.relpath(probe_file, project))
    finally:
        probe_file.unlink(missing_ok=True)
    return next(job["when"] for job in jobs if job["name"] == "workflow-probe") != "never"


def _plan(project: Path, state: Path, flags: list[str]) -> GitlabPlan:
    flags = [*flags, _state_flag(project, state)]
    expanded = preview(project, state)
    created = _workflow_allows(project, state, expanded, flags)
    jobs = {
        job["name"]: {key: job.get(key) for key in ("stage", "when", "allow_failure", "needs")}
        for job in _list_json(project, flags)
    }
    return GitlabPlan(created=created, jobs=jobs)


def merge_request_variables(source_branch: str, target_branch: str = "main", iid: int = 1) -> dict[str, str]:
    """Variables of a merge request pipeline (use with `merge_request=True`, which also unsets the branch)."""
    return {
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_MERGE_REQUEST_IID": str(iid),
        "CI_MERGE_REQUEST_EVENT_TYPE": "detached",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": source_branch,
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": target_branch,
        "CI_OPEN_MERGE_REQUESTS": f"group/project!{iid}",
    }


def _pipeline_flags(
    variables: Mapping[str, str], branch: str, default_branch: str, merge_request: bool, unset: Iterable[str]
) -> list[str]:
    merged = dict(merge_request_variables(branch, default_branch)) if merge_request else {}
    merged.update(variables)
    unset = [*unset, *(["CI_COMMIT_BRANCH"] if merge_request else [])]
    flags = _variable_flags(merged, unset)
    overridden = sorted(key for key in merged if key.startswith("CI_"))
    if overridden:
        flags.append(f"--ignore-predefined-vars={','.join(overridden)}")
    return flags


def plan_gitlab(
    project: Path,
    *,
    branch: str = "main",
    variables: Mapping[str, str] | None = None,
    default_branch: str = "main",
    merge_request: bool = False,
    unset: Iterable[str] = (),
    state_dir: Path | None = None,
) -> GitlabPlan:
    """Would GitLab create a pipeline on `branch` with these variables, and with which jobs (no job runs)."""
    project = Path(project).resolve()
    state = Path(state_dir).resolve() if state_dir is not None else project / STATE_DIR
    previous = prepare_repo(project, branch, default_branch)
    try:
        return _plan(project, state, _pipeline_flags(variables or {}, branch, default_branch, merge_request, unset))
    finally:
        _restore(project, previous)


# --- a run ---------------------------------------------------------------------------------------------------

_SUMMARY = re.compile(r"^ (PASS|FAIL|WARN) +(.*?)\s*$")


@dataclass(frozen=True)
class GitlabRun:
    project: Path
    branch: str
    command: tuple[str, ...]
    returncode: int
    log: str
    """gitlab-ci-local's stdout and stderr, interleaved as written, without colours."""
    seconds: float
    plan: GitlabPlan
    state_dir: Path
    """gitlab-ci-local's state dir for this run: builds/, artifacts/, output/ (until the next run into it)."""

    @property
    def created(self) -> bool:
        return self.plan.created

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def artifacts(self, job: str) -> Path:
        """The folder holding `job`'s artifacts (until the next run in this project)."""
        return self.state_dir / "artifacts" / _safe_name(job)

    def job_results(self) -> dict[str, str]:
        """job -> "success", "failed", "warning" (failed, allow_failure), "not run" (skipped because an
        earlier job failed, or no pipeline), "manual" (manual and not started) or "skipped" (rules: never).
        Read from gitlab-ci-local's closing PASS/FAIL/WARN report; jobs in stage order."""
        results: dict[str, str] = {}
        for line in self.log.splitlines():
            match = _SUMMARY.match(line)
            if not match:
                continue
            status, rest = match.groups()
            if status == "WARN" and rest.endswith("after_script"):
                continue  # the job itself passed; only its after_script failed
            name = rest.removesuffix("pre_script").rstrip() if status == "WARN" else rest
            if name in self.plan.jobs:
                results[name] = {"PASS": "success", "FAIL": "failed", "WARN": "warning"}[status]
        ordered: dict[str, str] = {}
        for name, job in self.plan.jobs.items():
            if name in results:
                ordered[name] = results[name]
            elif job["when"] == "never":
                ordered[name] = "skipped"
            elif job["when"] == "manual":
                ordered[name] = "manual"
            else:
                ordered[name] = "not run"
        return ordered

    def job_output(self) -> dict[str, list[str]]:
        """job -> every line it printed, "$ command" lines included, in the order jobs started."""
        names = sorted(self.plan.jobs, key=len, reverse=True)
        patterns = [(name, re.compile(rf"^{re.escape(name)} +([$>] ?.*)$")) for name in names]
        output: dict[str, list[str]] = {}
        for line in self.log.splitlines():
            for name, pattern in patterns:
                match = pattern.match(line)
                if match:
                    output.setdefault(name, []).append(match.group(1))
                    break
        return output

    def job_scripts(self) -> dict[str, list[str]]:
        """job -> the commands it ran (before_script and script, echoed as `$ command`), in pipeline order.

        A command that failed is the job's last; a multi-line command shows its first line followed by
        "# collapsed multi-line command"."""
        return {
            name: [line[2:] for line in lines if line.startswith("$ ")]
            for name, lines in self.job_output().items()
            if any(line.startswith("$ ") for line in lines)
        }

    def job_durations(self) -> dict[str, str]:
        """job -> gitlab-ci-local's "finished in ..." text (e.g. "21 s", "1.27 min")."""
        durations: dict[str, str] = {}
        for name in self.plan.jobs:
            match = re.search(rf"^{re.escape(name)} +finished in (.+?)(?:  FAIL.*)?$", self.log, re.MULTILINE)
            if match:
                durations[name] = match.group(1).strip()
        return durations


def _safe_name(job: str) -> str:
    """gitlab-ci-local's Utils.safeDockerString (short names): how it names a job's files and folders."""
    encode = lambda text: base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")  # noqa: E731
    return re.sub(r"[^\w-]+", lambda match: encode(match.group(0)), job, flags=re.ASCII)


def run_gitlab(
    project: Path,
    *,
    branch: str = "main",
    variables: dict[str, str] | None = None,
    timeout: int = 1500,
    default_branch: str = "main",
    merge_request: bool = False,
    unset: Iterable[str] = (),
    jobs: Iterable[str] = (),
    state_dir: Path | None = None,
    cache_dir: Path | None = None,
    needs: bool = True,
) -> GitlabRun:
    """Run the project's GitLab pipeline on `branch` with gitlab-ci-local, on the host, and report it.

    variables: added with --variable to every job, over the pipeline's own variables. By default the jobs get
    UV_PROJECT_ENVIRONMENT=<tmp>/gl-venv (one venv shared by the jobs, which run one after another),
    UV_CACHE_DIR=<this machine's uv cache> (instead of the pipeline's per-job `.uv-cache`, which would
    download every wheel again) and QUIET_TOOLS; the template's uv is put first on the jobs' PATH.
    merge_request: run as a merge request pipeline from `branch` into `default_branch`.
    jobs: run only these jobs (and, with `needs`, what they need) instead of the whole pipeline.
    state_dir: where gitlab-ci-local keeps job copies, artifacts and logs; default <project>/.gitlab-ci-local.
    cache_dir: where `cache:` is kept; pass the same folder to successive runs (each with its own state_dir,
    so each keeps its artifacts) to share their caches as pipelines of one GitLab project do. Default: the
    state dir's own cache/, which outlives the runs into that state dir.
    """
    project = Path(project).resolve()
    merged = {
        **QUIET_TOOLS,
        "UV_PROJECT_ENVIRONMENT": str(Path(os.environ.get("TMPDIR", "/tmp")) / "gl-venv"),
        "UV_CACHE_DIR": _uv_cache_dir(),
        **(variables or {}),
    }
    previous = prepare_repo(project, branch, default_branch)
    try:
        state = Path(state_dir).resolve() if state_dir is not None else project / STATE_DIR
        wipe_keeping_cache(state)
        state.mkdir(parents=True, exist_ok=True)
        if cache_dir is not None:
            Path(cache_dir).mkdir(parents=True, exist_ok=True)
            (state / "cache").symlink_to(Path(cache_dir).resolve(), target_is_directory=True)
        bin_dir = state / "bin"
        bin_dir.mkdir()
        (bin_dir / "uv").symlink_to(Path(UV).resolve())
        flags = _pipeline_flags(merged, branch, default_branch, merge_request, unset)
        plan = _plan(project, state, flags)
        command = (GITLAB_CI_LOCAL, *BASE_FLAGS, _state_flag(project, state), f"--home={state / 'home'}", *flags)
        jobs = list(jobs)
        if jobs:
            command = (*command, *(["--needs"] if needs else []), *jobs)
        if not plan.created:
            log = "workflow:rules: no pipeline for these variables (GitLab would create none); nothing ran\n"
            return GitlabRun(project, branch, command, 0, log, 0.0, plan, state)
        started = time.monotonic()
        returncode, log = _run(command, project, _clean_env(bin_dir), timeout)
        # GitLab runs a `when: always` job once every job before it ended, failed or skipped; gitlab-ci-local
        # waits for the jobs a failure skipped as if they could still finish, and leaves it "not run". Those
        # jobs run alone afterwards, in the same state dir (with the artifacts the finished jobs left), as
        # GitLab would have run them.
        ran = {match.group(2) for match in map(_SUMMARY.match, log.splitlines()) if match}
        pending = [name for name, job in plan.jobs.items() if job["when"] == "always" and name not in ran]
        if pending and not jobs and returncode != TIMED_OUT:
            remaining = max(timeout - (time.monotonic() - started), 60)
            _, more = _run((*command, *pending), project, _clean_env(bin_dir), int(remaining))
            log = f"{log}\n[runner] when: always, after the pipeline stopped: {', '.join(pending)}\n{more}"
        seconds = round(time.monotonic() - started, 1)
        return GitlabRun(project, branch, command, returncode, log, seconds, plan, state)
    finally:
        _restore(project, previous)


def wipe_keeping_cache(state: Path) -> None:
    """Empty a state dir but for cache/: GitLab caches outlive a pipeline, everything else is per run."""
    if not state.is_dir():
        return
    for path in state.iterdir():
        if path.name != "cache" or path.is_symlink():
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()


def _run(command: tuple[str, ...], cwd: Path, env: dict[str, str], timeout: int) -> tuple[int, str]:
    returncode, log = run_bounded(command, cwd=cwd, env=env, timeout=timeout)
    if returncode is None:
        return TIMED_OUT, f"{log}\n[runner] gitlab-ci-local timed out after {timeout} s and was stopped\n"
    return returncode, log
