"""The tools the tests run (uv, act, gitlab-ci-local, groovy, ...): where they are, what a missing one means,
the environment they get, and how they are run so that a timeout stops everything they started."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import pytest

QUIET_TOOLS = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DVC_NO_ANALYTICS": "1",
    "UV_COMPILE_BYTECODE": "1",
    "UV_PYTHON_DOWNLOADS": "never",
    "UV_NO_PROGRESS": "1",
    # Two workers share two cores: a model's OpenMP threads, or a project's own pytest workers, would only
    # compete with the other worker (a test that runs the project's suite asks for its workers itself).
    "OMP_NUM_THREADS": "1",
    "PYTEST_ADDOPTS": "--numprocesses=0",
}
"""Settings every baked project and every CI job gets: no telemetry, no downloads of Python, no progress bars,
one thread and one pytest worker per job."""

STEERING = {
    "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST", "PYTEST_XDIST_WORKER",
    "MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_REGISTRY_URI", "MLFLOW_EXPERIMENT_NAME",
    # Set on this machine: without it, every pytest run of a project rewrites (compiles) its plugins' ~300
    # modules again (4-5 s of CPU) and every process compiles the project's modules again.
    "PYTHONDONTWRITEBYTECODE",
    # Set by a CI system the tests themselves may run in; each front-end sets its own.
    "CI", "BRANCH_NAME", "TAG_NAME", "TAG_TIMESTAMP", "TAG_DATE", "WORKSPACE", "BUILD_NUMBER", "BUILD_ID",
    "BUILD_TAG", "BUILD_URL", "JOB_NAME", "JOB_BASE_NAME", "JENKINS_URL", "NODE_NAME", "EXECUTOR_NUMBER",
}  # fmt: skip
STEERING_PREFIXES = ("UV_", "GITHUB_", "RUNNER_", "ACTIONS_", "INPUT_", "STANDIN_", "CI_", "GITLAB_", "GCL_", "CHANGE_")
"""Variables of this process that would steer a baked project's tools or a CI job from outside."""


def scrubbed_environ() -> dict[str, str]:
    """This process's environment without the STEERING variables."""
    return {
        key: value for key, value in os.environ.items() if key not in STEERING and not key.startswith(STEERING_PREFIXES)
    }


def find(name: str) -> str | None:
    """A tool beside this Python (the template's venv: uv, act), else on PATH.

    Beside-this-Python comes first because `uv` on PATH may be a pyenv shim, or another version than the
    template's lock file pins.
    """
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.is_file() else shutil.which(name)


UV = find("uv") or "uv"


def unavailable(message: str) -> NoReturn:
    """A tool a test needs is missing: under CI its install step is broken (fail), elsewhere skip."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def require(*names: str, install: str) -> list[str]:
    """The paths of these tools; if any is missing, end the test (see `unavailable`) saying how to install it."""
    paths = [find(name) for name in names]
    missing = [name for name, path in zip(names, paths, strict=True) if path is None]
    if missing:
        unavailable(f"{', '.join(missing)} not installed; install with: {install}")
    return paths  # type: ignore[return-value]


def stop_group(process: subprocess.Popen, grace: float = 10) -> None:
    """End a process and everything in its group: TERM, then KILL after `grace` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def run_bounded(
    command: Sequence[str], *, cwd: Path | str, env: dict[str, str], timeout: float
) -> tuple[int | None, str]:
    """Run a command in its own process group with stdout and stderr as one text log.

    The exit code is None on a timeout, after the whole group (jobs, steps, JVMs) was stopped.
    """
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        log, _ = process.communicate(timeout=timeout)
        return process.returncode, log
    except subprocess.TimeoutExpired:
        stop_group(process)
        log, _ = process.communicate()
        return None, log
    except BaseException:
        stop_group(process)
        raise


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, timeout_s: float) -> tuple[int, bytes]:
    """GET url until it answers 200 (bounded in time); the last status and body."""
    deadline, last = time.monotonic() + timeout_s, (0, b"")
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            last = (error.code, error.read())
        except OSError:
            pass
        time.sleep(0.5)
    return last


def post(url: str, body: object) -> tuple[int, dict]:
    """POST body as JSON; the status and the JSON answer (an HTTP error's too)."""
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
