"""Keeping a generated project current: made with `cruft create` from one template commit, it takes a later
template commit with `cruft update`, next to the user's own changes (the steps both READMEs give)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from baking import DEFAULTS, TEMPLATE
from tools import scrubbed_environ

CRUFT = str(Path(sys.executable).parent / "cruft")  # in the template's dev environment
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
ADDED = "A line a later template commit adds."


def git(folder: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=folder, check=True, capture_output=True, text=True).stdout


def cruft(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CRUFT, *args], cwd=folder, env=scrubbed_environ(), capture_output=True, text=True)


def template_repository(target: Path) -> Path:
    """This template's files as they are now (committed or not, ignored ones left out), one commit."""
    listed = git(TEMPLATE, "ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
    for name in filter(None, listed):
        if (TEMPLATE / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(TEMPLATE / name, target / name)
    git(target, "init", "-q", "-b", "main")
    git(target, "add", "-A")
    git(target, "commit", "-qm", "The template as it is")
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.mark.slow
def test_cruft_update_brings_a_later_template_commit_next_to_the_users_changes(tmp_path: Path):
    template = template_repository(tmp_path / "template")
    created = cruft(tmp_path, "create", "--no-input", "--output-dir", str(tmp_path / "out"), str(template))
    assert created.returncode == 0, created.stdout + created.stderr
    project = tmp_path / "out" / DEFAULTS["project"]
    state = json.loads((project / ".cruft.json").read_text())
    # Only the answers and the template's own variables: nothing of this machine or this run.
    asked = set(json.loads((TEMPLATE / "cookiecutter.json").read_text())) - {"__prompts__"}
    assert set(state["context"]["cookiecutter"]) - {"_template", "_commit"} == asked
    git(project, "add", ".cruft.json")
    git(project, "commit", "-qm", "Linked to the template (cruft)")
    assert cruft(project, "check").returncode == 0
    # The user's own change, committed.
    edit(project / "params.yaml", "threshold: 0.5", "threshold: 0.4")
    git(project, "commit", "-qam", "A lower threshold")

    # A later template commit: a README line, a changed default in params.yaml.
    edit(template / "{{cookiecutter.project}}" / "README.md", "## CI\n", f"## CI\n\n{ADDED}\n")
    edit(template / "{{cookiecutter.project}}" / "params.yaml", "duration_s: 5 ", "duration_s: 6 ")
    git(template, "commit", "-qam", "A later template commit")

    outdated = cruft(project, "check")
    assert outdated.returncode == 1, outdated.stdout + outdated.stderr
    assert "out of date" in outdated.stdout
    updated = cruft(project, "update", "--skip-apply-ask")
    assert updated.returncode == 0, updated.stdout + updated.stderr

    assert ADDED in (project / "README.md").read_text()
    params = (project / "params.yaml").read_text()
    assert "duration_s: 6 " in params
    assert "threshold: 0.4" in params  # the user's change kept
    changed = sorted(line[3:] for line in git(project, "status", "--porcelain").splitlines())
    assert changed == [".cruft.json", "README.md", "params.yaml"]  # no conflict files, nothing else touched
    assert cruft(project, "check").returncode == 0
