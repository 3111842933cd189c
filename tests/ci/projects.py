"""Helpers for the projects the CI front-ends run: git in a baked project, clones, the jobs' settings."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from baking import TEMPLATE, project_env
from tools import QUIET_TOOLS


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com", *args],
        cwd=project,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def clone(project: Path, target: Path) -> Path:
    """A clone of the baked project, on the same branch, to run a CI front-end in."""
    subprocess.run(["git", "clone", "-q", str(project), str(target)], check=True)
    return target


def ci_env() -> dict[str, str]:
    """What every front-end passes to its jobs: this worker's venv and quiet tools, bytecode compilation
    off. Every job's `uv sync` reinstalls the project from the job's own copy of it into the shared venv,
    and with compilation on it would go over the venv's 19,000 files again each time (1 to 3 s a job);
    Python writes what is missing at the first import instead (the venv's packages were compiled once,
    when a bake first synced it)."""
    env = project_env()
    return {**{key: env[key] for key in ("UV_PROJECT_ENVIRONMENT", *QUIET_TOOLS)}, "UV_COMPILE_BYTECODE": "0"}


def set_aside_unit_tests(project: Path) -> None:
    """Keep only what the model tests need: these projects are about later stages, not the unit tests."""
    for path in (project / "tests").iterdir():
        if path.name not in ("conftest.py", "model", "test_settings.py"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def commit_params(project: Path, message: str, **keys: object) -> None:
    """Set keys of params.yaml's sections or their subsections (loadtest's, train.model's, deploy.local's, ...;
    the first of each name), comments kept, and commit."""
    params = project / "params.yaml"
    text = params.read_text()
    for key, value in keys.items():
        text, found = re.subn(rf"^( {{2,4}}{key}: )\S+", rf"\g<1>{value}", text, count=1, flags=re.MULTILINE)
        assert found, f"params.yaml has no key {key} in a section or a subsection"
    params.write_text(text)
    git(project, "commit", "-qam", message)


def drifted_export(project: Path, target: Path) -> Path:
    """A newer export of the project's data that drifted: fewer young people (age's PSI passes drift.psi_max)
    and long hours with some college now earn more (the concept moved: a model retrained on it does better)."""
    with (project / "data" / "raw" / "adult.csv").open(newline="") as source:
        reader = csv.DictReader(source)
        fields, rows = reader.fieldnames, list(reader)
    kept = [row for index, row in enumerate(rows) if int(row["age"]) >= 30 or index % 3 == 0]
    for row in kept:
        if int(row["hours_per_week"]) >= 45 and int(row["education_num"]) >= 10:
            row["income"] = ">50K"
    with target.open("w", newline="") as export:
        writer = csv.DictWriter(export, fieldnames=fields)
        writer.writeheader()
        writer.writerows(kept)
    return target


def commit_refresh(project: Path, export: Path) -> None:
    """drift.refresh in params.yaml: the scheduled pipeline takes its newest data from `export`; committed."""
    params = project / "params.yaml"
    text = params.read_text()
    assert '  refresh: ""' in text, "params.yaml has drift.refresh"
    command = json.dumps(f"cp {export} data/raw/adult.csv")
    params.write_text(text.replace('  refresh: ""', f"  refresh: {command}", 1))
    git(project, "commit", "-qam", "The scheduled pipeline refreshes the data from the warehouse's export")


def stop_local_service(state: Path) -> None:
    """Stop the service a pipeline's deploy job started with deploy.local.state_dir = state (by its pid)."""
    try:
        pid = int((state / "service.pid").read_text())
    except (OSError, ValueError):
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


@contextmanager
def start_standin_forge() -> Iterator[Any]:
    """The generated project's STAND-IN forge (its tests/report/conftest.py: a local HTTP server speaking the
    GitHub and GitLab REST endpoints the report uses, not GitHub nor GitLab), on a free 127.0.0.1 port: one
    definition, for the project's tests and for the report jobs of the CI front-ends here."""
    source = TEMPLATE / "{{cookiecutter.project}}" / "tests" / "report" / "conftest.py"
    spec = importlib.util.spec_from_file_location("standin_forge", source)
    assert spec is not None
    assert spec.loader is not None
    module = sys.modules.setdefault(spec.name, importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)  # registered first: its dataclasses look their module up
    with module.serving() as forge:
        yield forge
