"""Run a declarative Jenkinsfile with the Groovy harness (harness.groovy), and lint it with npm-groovy-lint.

    from ci.jenkins.runner import lint_jenkinsfiles, require_tool, run_jenkinsfile

    require_tool("groovy")                             # pytest: skip without it (fail when $CI is set)
    run = run_jenkinsfile(project / "Jenkinsfile", project, branch="feature/x", change_id="7")
    assert run.result == "SUCCESS", run.log
    run.stage_status("Promote")  # "skipped (when)"
    run.sh_commands()            # ["uv sync --locked", "uv run --no-sync income-classifier validate", ...]
    lint_jenkinsfiles([project / "Jenkinsfile"])  # {path: []}

What the harness implements, what it does not, and how to add a step: tests/ci/README.md.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import QUIET_TOOLS, require, run_bounded, scrubbed_environ

HARNESS = Path(__file__).with_name("harness.groovy")
INSTALL = {
    "groovy": "apt-get install -y groovy (Groovy 2.4, needs a JDK: openjdk-17-jre-headless)",
    "npm-groovy-lint": "npm install -g npm-groovy-lint@16 (bundles CodeNarc, runs offline)",
}
DEFAULT_JAVA_HOME = Path("/usr/lib/jvm/java-17-openjdk-amd64")
FAST_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"  # halves the JVM start-up of a short run
LINT_JVM = "-Xms64m,-Xmx1g,-XX:TieredStopAtLevel=1,-XX:+UseSerialGC"  # npm-groovy-lint's default: -Xms256m,-Xmx2048m


@dataclass(frozen=True)
class JenkinsRun:
    """The outcome of one harness run: the JSON report's parts and the console log."""

    result: str  # SUCCESS, UNSTABLE or FAILURE
    returncode: int  # 0 SUCCESS, 3 UNSTABLE, 1 otherwise
    stages: list[dict[str, Any]]  # {name, status}, in the order run or skipped
    steps: list[dict[str, Any]]  # {stage, type, args} (stage None in the pipeline's post); sh: script, exit_code
    post: list[dict[str, Any]]  # {scope, condition} of the post blocks that ran
    log: str  # console output, credentials masked as ****
    error: str | None  # the error that failed the build, if any
    report: dict[str, Any]  # the whole report (also agent and options)

    def sh_commands(self) -> list[str]:
        """The scripts of the `sh` steps, in the order they ran."""
        return [step["script"] for step in self.steps if step["type"] == "sh"]

    def steps_of(self, type_: str) -> list[dict[str, Any]]:
        return [step for step in self.steps if step["type"] == type_]

    def stage_status(self, name: str) -> str:
        """success, failed, unstable, 'skipped (when)' or 'not run'."""
        for stage in self.stages:
            if stage["name"] == name:
                return stage["status"]
        raise KeyError(f"no stage {name!r}; stages: {[stage['name'] for stage in self.stages]}")

    def post_conditions(self, scope: str = "pipeline") -> list[str]:
        """The post conditions that ran for `scope` ('pipeline' or a stage name)."""
        return [post["condition"] for post in self.post if post["scope"] == scope]


def require_tool(name: str) -> str:
    """The tool's path; if it is missing, fail under CI (the install step is broken) or skip."""
    return require(name, install=INSTALL[name])[0]


def _java_env(env: dict[str, str]) -> list[str]:
    """Add JAVA_HOME and fast JVM options when unset; returns the names added."""
    added = []
    if "JAVA_HOME" not in env and DEFAULT_JAVA_HOME.is_dir():
        env["JAVA_HOME"] = str(DEFAULT_JAVA_HOME)
        added.append("JAVA_HOME")
    if "JAVA_OPTS" not in env:
        env["JAVA_OPTS"] = FAST_JVM
        added.append("JAVA_OPTS")
    return added


def run_jenkinsfile(
    jenkinsfile: Path,
    workdir: Path,
    *,
    branch: str,
    change_id: str | None = None,
    change_target: str = "main",
    env: dict[str, str] | None = None,
    credentials: dict[str, dict[str, str]] | None = None,
    cache_dir: Path | None = None,
    cause: str | None = None,
    timeout: int = 1200,
) -> JenkinsRun:
    """Run `jenkinsfile` in `workdir` as a multibranch Jenkins job would build `branch`.

    As in Jenkins: a change request (`change_id`) is built with BRANCH_NAME=PR-<id>, CHANGE_ID,
    CHANGE_TARGET and CHANGE_BRANCH=branch. The steps see this process's environment less what would
    steer them from outside (tools.scrubbed_environ), QUIET_TOOLS, then `env`.
    `credentials` maps ids to {"type": "usernamePassword", "username", "password"}.
    `cache_dir` is Job Cacher's storage; pass the same folder to successive builds to carry their caches
    (a new temporary folder per build when None).
    `cause`: what started the build, as `triggeredBy` names it (TimerTrigger: the cron); a branch event when None.
    """
    process_env = {**scrubbed_environ(), **QUIET_TOOLS}
    added = _java_env(process_env)
    # The JVM settings are for the harness only: it drops them from the pipeline's environment.
    process_env["HARNESS_DROP_ENV"] = ",".join(added)
    if change_id:
        process_env.update(
            BRANCH_NAME=f"PR-{change_id}", CHANGE_ID=str(change_id), CHANGE_TARGET=change_target, CHANGE_BRANCH=branch
        )
    else:
        process_env["BRANCH_NAME"] = branch
    process_env.update(env or {})
    if cause:
        process_env["HARNESS_CAUSE"] = cause

    with tempfile.TemporaryDirectory(prefix="jenkins-harness-") as tmp:
        process_env["HARNESS_CACHE_DIR"] = str(Path(cache_dir).resolve() if cache_dir else Path(tmp) / "caches")
        report_path = Path(tmp) / "report.json"
        command = [
            require_tool("groovy"),
            str(HARNESS),
            "--workdir",
            str(Path(workdir).resolve()),
            "--report",
            str(report_path),
        ]
        if credentials is not None:
            path = Path(tmp) / "credentials.json"
            path.touch(mode=0o600)
            path.write_text(json.dumps(credentials))
            command += ["--credentials", str(path)]
        command.append(str(Path(jenkinsfile).resolve()))

        returncode, log, report = _run_for_report(command, workdir, process_env, timeout, report_path)

    return JenkinsRun(
        result=report["result"],
        returncode=returncode,
        stages=report["stages"],
        steps=report["steps"],
        post=report["post"],
        log=log,
        error=report["error"],
        report=report,
    )


def _run_for_report(
    command: list[str], cwd: Path | str, env: dict[str, str], timeout: int, report: Path
) -> tuple[int, str, dict[str, Any]]:
    """Run a tool that writes a JSON report: (exit code, log, report); a timeout or no report raises."""
    returncode, log = run_bounded(command, cwd=cwd, env=env, timeout=timeout)
    if returncode is None:
        raise TimeoutError(f"{Path(command[0]).name} exceeded {timeout}s; log so far:\n{log[-6000:]}")
    if not report.exists():
        raise RuntimeError(f"{Path(command[0]).name} wrote no report (exit {returncode}):\n{log[-6000:]}")
    return returncode, log, json.loads(report.read_text())


def lint_jenkinsfiles(paths: list[Path], *, timeout: int = 300) -> dict[Path, list[str]]:
    """Error-level findings per file (resolved path) as 'FILE:LINE: RULE: message', from ONE npm-groovy-lint
    run (one JVM, ~5-10 s).

    Runs offline: --noserver (no CodeNarc server left running on localhost) and an explicit
    --javaexecutable (so java-caller never tries to download a JRE). Configuration: a
    .groovylintrc.json in the files' common folder or above, else npm-groovy-lint's recommended rules.
    """
    executable = require_tool("npm-groovy-lint")
    env = dict(os.environ)
    _java_env(env)
    java = Path(env["JAVA_HOME"], "bin", "java") if "JAVA_HOME" in env else Path(shutil.which("java") or "java")
    files = [Path(path).resolve() for path in paths]
    with tempfile.TemporaryDirectory(prefix="groovy-lint-") as tmp:
        # Copies in one folder: npm-groovy-lint scans from the files' common parent, which for files
        # in unrelated places is "/" (the whole disk).
        copies = {}
        for index, file in enumerate(files):
            (Path(tmp) / str(index)).mkdir()
            copies[Path(shutil.copy(file, Path(tmp) / str(index) / file.name)).resolve()] = file
        output = Path(tmp) / "lint.json"
        command = [executable, "--noserver", "--javaexecutable", str(java), f"--javaoptions={LINT_JVM}"]
        command += ["--loglevel", "error", "--failon", "none", "--output", str(output), *map(str, copies)]
        _, _, report = _run_for_report(command, tmp, env, timeout, output)
    findings: dict[Path, list[str]] = {file: [] for file in files}
    for name, result in report.get("files", {}).items():
        findings.setdefault(copies.get(Path(name).resolve(), Path(name).resolve()), []).extend(
            f"{Path(name).name}:{error.get('line', '?')}: {error.get('rule')}: {error.get('msg', '').strip()}"
            for error in result.get("errors", [])
            if error.get("severity") == "error"
        )
    return findings
