"""Versioned data: DVC-tracked data goes to a remote and comes back, to a local folder and to S3.

The S3 remote is a real S3-compatible server (moto in server mode) on 127.0.0.1, started and
stopped by the test; the local-folder remote needs nothing.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from {{ cookiecutter.package }}.errors import UserError
from {{ cookiecutter.package }}.io.remote import pull, push, refresh
from {{ cookiecutter.package }}.serving.process import free_port


def dvc(*args: str) -> str:
    """`dvc args` in the current folder (the project), run in this process: DVC's own command line,
    without an interpreter's start-up for each command."""
    from dvc.cli import main

    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = main(list(args))
    assert code == 0, output.getvalue()
    return output.getvalue()


@pytest.fixture
def s3_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A moto S3 server on a free local port, with test credentials; stopped after the test."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("moto server did not start")
                time.sleep(0.2)
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(key, value)
        import boto3

        endpoint = f"http://127.0.0.1:{port}"
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="datasets")
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


def wipe(project) -> None:
    """What a fresh clone lacks: DVC's cache and every DVC-managed file."""
    for path in (project.root / ".dvc" / "cache", project.prepared, project.root / "models"):
        shutil.rmtree(path, ignore_errors=True)
    project.raw_data.unlink()


def test_data_in_git_needs_no_pull(project):
    assert pull(project) == "data: in git, nothing to pull"


def test_tracked_data_without_a_remote_is_used_locally_or_reported_missing(project):
    dvc("add", "data/raw/adult.csv")
    assert "pull skipped" in pull(project)
    project.raw_data.unlink()
    with pytest.raises(UserError, match="tracked by DVC but absent, and no DVC remote is configured"):
        pull(project)


def test_a_dvc_config_it_cannot_read_is_an_error_not_a_missing_remote(project):
    """Read as "no remote", a broken config would skip the pull and drift's push before a retrain."""
    dvc("add", "data/raw/adult.csv")
    config = project.root / ".dvc" / "config"
    config.write_text("[core\n    remote = storage\n")
    for move in (pull, push):
        with pytest.raises(UserError, match=r"^dvc remote list failed: .*config file error: Invalid line"):
            move(project)
    assert project.raw_data.is_file()


def test_a_refresh_records_only_the_tracked_data_it_changed(project):
    """After drift.refresh's command, `dvc commit` records the `dvc add` data it replaced: not data it left as
    it was, and not tracked data that is absent here (never pulled), whose .dvc file keeps what it records."""
    dvc("add", "data/raw/adult.csv")
    extra = project.root / "data" / "extra.csv"
    extra.write_text("a,b\n1,2\n")
    dvc("add", "data/extra.csv")
    extra.unlink()
    files = ("data/raw/adult.csv.dvc", "data/extra.csv.dvc")
    records = {name: (project.root / name).read_text() for name in files}

    assert refresh(project, "true") == "data: refreshed by `true`"
    assert {name: (project.root / name).read_text() for name in records} == records

    command = "sed -i '$d' data/raw/adult.csv"  # the newest export: one row fewer
    assert refresh(project, command) == f"data: refreshed by `{command}`, recorded in data/raw/adult.csv.dvc"
    assert (project.root / "data/raw/adult.csv.dvc").read_text() != records["data/raw/adult.csv.dvc"]
    assert (project.root / "data/extra.csv.dvc").read_text() == records["data/extra.csv.dvc"]
    assert not extra.exists()


@pytest.mark.xdist_group("reproduced")
def test_push_wipe_pull_leaves_the_pipeline_up_to_date(reproduced, copy_of, tmp_path, s3_server):
    project = copy_of(reproduced)
    dvc("add", "data/raw/adult.csv")
    assert "Data and pipelines are up to date." in dvc("repro")
    dvc("remote", "add", "-d", "folder", str(tmp_path / "remote"))
    dvc("remote", "add", "s3", "s3://datasets/income")
    dvc("remote", "modify", "s3", "endpointurl", s3_server)
    dvc("push", "-r", "folder")
    dvc("push", "-r", "s3")

    for remote in ("s3", "folder"):
        wipe(project)
        dvc("pull", "-r", remote)
        assert "Data and pipelines are up to date." in dvc("repro"), remote

    wipe(project)
    assert pull(project) == "data: pulled data/raw/adult.csv.dvc from the DVC remote"
    assert project.raw_data.is_file()
