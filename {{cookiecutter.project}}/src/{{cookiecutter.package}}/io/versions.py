"""Where a model comes from: the code's git commit and branch, the data's DVC hash, the params' hash."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path


def file_md5(path: Path) -> str:
    """The MD5 that DVC records for a file (dvc.lock, .dvc files): a run's data version."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_version(path: Path) -> str:
    """A data file's version as a model and a comparison record it (`md5:<DVC's MD5>`)."""
    return f"md5:{file_md5(path)}"


def _git(root: Path, *args: str) -> str | None:
    """git's output, stripped; None outside git or when the command fails."""
    try:
        result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return result.stdout.strip()


def git_commit(root: Path) -> str | None:
    """The checked-out commit, with '-dirty' when tracked files changed; None outside git."""
    commit = _git(root, "rev-parse", "HEAD")
    changes = _git(root, "status", "--porcelain", "--untracked-files=no")
    if commit is None or changes is None:
        return None
    return f"{commit}-dirty" if changes else commit


def git_parents(root: Path) -> list[str]:
    """The checked-out commit's parents (two for a merge commit); none outside git."""
    found = _git(root, "rev-list", "--parents", "-n", "1", "HEAD")
    return found.split()[1:] if found else []


BRANCH_VARIABLES = (
    "GITHUB_HEAD_REF",  # GitHub, pull requests: the source branch
    "GITHUB_REF_NAME",  # GitHub, pushes
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",  # GitLab, merge requests
    "CI_COMMIT_BRANCH",  # GitLab, branches
    "CHANGE_BRANCH",  # Jenkins multibranch, change requests
    "BRANCH_NAME",  # Jenkins multibranch
)
"""Where each CI names the branch it builds (a CI checkout is often a detached HEAD)."""


def git_branch(root: Path) -> str | None:
    """The branch being built: from CI's variables, else git's checked-out branch; None if neither."""
    for name in BRANCH_VARIABLES:
        if os.environ.get(name):
            return os.environ[name]
    return _git(root, "symbolic-ref", "--quiet", "--short", "HEAD") or None


def params_hash(params: dict) -> str:
    """A short, stable hash of the settings a model was trained with."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def change_request() -> str | None:
    """Which pull/merge/change request this CI build is for; None for a branch build or outside CI."""
    if os.environ.get("GITHUB_EVENT_NAME", "").startswith("pull_request"):
        return f"GitHub pull request ({os.environ.get('GITHUB_HEAD_REF', '?')})"
    if os.environ.get("CI_MERGE_REQUEST_IID"):
        return f"GitLab merge request !{os.environ['CI_MERGE_REQUEST_IID']}"
    if os.environ.get("CHANGE_ID"):
        return f"Jenkins change request {os.environ['CHANGE_ID']}"
    return None


def off_default_branch(root: Path, default_branch: str) -> str | None:
    """Why this build is not one of the default branch ("in a GitHub pull request", "on branch x, not main");
    None when it is."""
    if request := change_request():
        return f"in a {request}"
    branch = git_branch(root)
    return None if branch == default_branch else f"on branch {branch or '(none)'}, not {default_branch}"
