"""compare and promote against a real MLflow tracking server, started here on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from {{ cookiecutter.package }}.cli import main

from .test_compare import STRONG, WEAK, aliases, compare, train

pytestmark = pytest.mark.integration

START_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`mlflow server` with one worker, a sqlite backend and proxied artifacts; stopped afterwards."""
    folder = tmp_path_factory.mktemp("mlflow-server")
    url = f"http://127.0.0.1:{free_port()}"
    command = [
        str(Path(sys.executable).with_name("mlflow")), "server",
        "--host", "127.0.0.1", "--port", url.rsplit(":", 1)[1], "--workers", "1",
        "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
        "--artifacts-destination", str(folder / "artifacts"),
    ]  # fmt: skip
    env = os.environ | {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false", "MLFLOW_DISABLE_TELEMETRY": "true"}
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not healthy(url):
            assert process.poll() is None, (folder / "server.log").read_text()[-2000:]
            assert time.monotonic() < deadline, f"mlflow server not healthy after {START_SECONDS} s"
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def test_promote_then_keep_through_a_tracking_server(project, server, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server)
    assert main(["prepare"]) == 0

    first = train(project, WEAK)
    assert compare(project)["decision"] == "first"
    assert main(["promote"]) == 0
    better = train(project, STRONG)
    assert compare(project)["decision"] == "promote"
    assert main(["promote"]) == 0
    assert aliases(project) == {"champion": better, "previous": first}

    train(project, WEAK)
    report = compare(project)
    assert report["decision"] == "keep"
    assert report["champion"]["version"] == better
    assert main(["promote"]) == 0
    assert aliases(project) == {"champion": better, "previous": first}
    assert not (project.mlruns / "mlflow.db").exists()
