"""What the three CI front-end runners share: the policy for a missing tool, and commands that run
in their own process group so a timeout stops everything they started (jobs, steps, JVMs)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import pytest


def unavailable(message: str) -> NoReturn:
    """A tool a test needs is missing: under CI its install step is broken (fail), elsewhere skip."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


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
    """Run a command with stdout and stderr as one text log; the exit code is None on a timeout."""
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
