"""compare and promote against a real MLflow tracking server, started here on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest

from {{ cookiecutter.package }}.cli import main
from {{ cookiecutter.package }}.config import Paths
from {{ cookiecutter.package }}.serving.process import free_port

pytestmark = pytest.mark.integration

START_SECONDS = 120


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, seed_store) -> Iterator[str]:
    """`mlflow server` with one worker, a sqlite backend (made from the migrated empty store) and
    proxied artifacts; stopped afterwards."""
    folder = tmp_path_factory.mktemp("mlflow-server")
    backend = seed_store(Paths(folder)).mlruns / "mlflow.db"
    url = f"http://127.0.0.1:{free_port()}"
    command = [
        str(Path(sys.executable).with_name("mlflow")), "server",
        "--host", "127.0.0.1", "--port", url.rsplit(":", 1)[1], "--workers", "1",
        "--backend-store-uri", f"sqlite:///{backend}",
        "--artifacts-destination", str(folder / "artifacts"),
    ]  # fmt: skip
    env = os.environ | {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not healthy(url):
            assert process.poll() is None, (folder / "server.log").read_text()[-2000:]
            assert time.monotonic() < deadline, f"mlflow server not healthy after {START_SECONDS} s"
            time.sleep(0.1)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def test_promote_then_keep_through_a_tracking_server(prepared, server, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server)

    first = prepared.train("weak")
    assert prepared.compare().decision == "first"
    assert main(["promote"]) == 0
    better = prepared.train("strong")
    assert prepared.compare().decision == "promote"
    assert main(["promote"]) == 0
    assert prepared.aliases() == {"champion": better, "previous": first}

    prepared.train("weak")
    report = prepared.compare()
    assert report.decision == "keep"
    assert report.champion.version == better
    assert main(["promote"]) == 0
    assert prepared.aliases() == {"champion": better, "previous": first}
    embedded = f"sqlite:///{prepared.paths.mlruns / 'mlflow.db'}"
    local = mlflow.MlflowClient(tracking_uri=embedded, registry_uri=embedded)
    assert local.search_registered_models() == []  # nothing went to the embedded store
