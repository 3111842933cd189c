"""Run the service as a subprocess on a free 127.0.0.1 port: start, wait until ready, always stop."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from ..errors import UserError
from ..io.tools import environment

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wait_ready(url: str, timeout_s: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Poll GET url/ready until 200; UserError when the time is up or the process died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise UserError(f"the service exited with code {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"{url}/ready", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    raise UserError(f"the service at {url} was not ready within {timeout_s:g} s")


def check_ready(url: str) -> None:
    """A service that should already run answers GET url/ready with 200: a one-line error otherwise."""
    try:
        parts = urllib.parse.urlsplit(url)
        _ = parts.port  # a ValueError when out of range or not a number
    except ValueError as error:
        raise UserError(f"the service at {url!r}: not a usable URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"the service at {url!r}: not an http:// or https:// URL")
    try:
        with urllib.request.urlopen(f"{url}/ready", timeout=5) as response:
            if response.status == 200:
                return
    except urllib.error.HTTPError as error:
        raise UserError(f"the service at {url} is not ready (GET /ready: HTTP {error.code})") from None
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        reason = getattr(error, "reason", error)
        raise UserError(f"the service at {url} does not answer ({reason})") from None
    except (ValueError, http.client.InvalidURL) as error:  # a space or a control character, say
        raise UserError(f"the service at {url!r}: not a usable URL ({error})") from None


def stop(process: subprocess.Popen[bytes], timeout_s: float = 10) -> None:
    """SIGTERM (uvicorn shuts down gracefully), then SIGKILL if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout_s)


@contextmanager
def running_service(root: Path, model: str, timeout_s: float, log: Path | None = None) -> Iterator[str]:
    """`<project> serve` in root on a free port, ready; yields its base URL and stops it on exit.

    Its sampled prediction log goes to a temporary folder, removed after: a stage's test traffic (the load
    test's) is not served data, and must not reach the log `monitor` reads.
    """
    port = free_port()
    command = [sys.executable, "-m", "{{ cookiecutter.package }}", "serve", "--model", model, "--host", HOST]
    command += ["--port", str(port)]
    with tempfile.TemporaryDirectory(prefix="service-") as scratch:
        command += ["--prediction-log", str(Path(scratch) / "predictions.jsonl")]
        with log.open("wb") if log else nullcontext(subprocess.DEVNULL) as output:
            process = subprocess.Popen(
                command, cwd=root, env=environment(), stdout=output, stderr=subprocess.STDOUT
            )
            try:
                url = f"http://{HOST}:{port}"
                wait_ready(url, timeout_s, process)
                yield url
            finally:
                stop(process)
