"""Data tracked by DVC (`dvc add`): pulled from the configured remote before a stage reads it.

The shipped sample lives in git and needs no remote. Once real data is tracked with DVC and a
remote is configured (S3, GCS, Azure, SSH or a directory), CI pulls it with the credentials its
secrets put in the environment; with no remote configured, the pull is skipped with a notice.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ..config import Paths
from ..errors import UserError


def tracked(paths: Paths) -> list[Path]:
    """The .dvc files that point at data (not the .dvc/ folder, not pipeline outputs)."""
    return sorted(
        path
        for path in paths.root.rglob("*.dvc")
        if path.is_file() and ".dvc" not in path.relative_to(paths.root).parts[:-1]
    )


def dvc(paths: Paths, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dvc", *args], cwd=paths.root, capture_output=True, text=True, check=False
    )


def remotes(paths: Paths) -> list[str]:
    listed = dvc(paths, "remote", "list")
    return [line.split()[0] for line in listed.stdout.splitlines() if line.strip()]


def pull(paths: Paths) -> str:
    """Fetch DVC-tracked data if there is any and a remote to fetch it from; says what it did."""
    targets = tracked(paths)
    if not targets:
        return "data: in git, nothing to pull"
    missing = [target for target in targets if not target.with_suffix("").exists()]
    if not remotes(paths):
        if missing:
            names = ", ".join(str(target.relative_to(paths.root)) for target in missing)
            raise UserError(f"{names}: data is tracked by DVC but absent, and no DVC remote is configured")
        return "data: no DVC remote configured, using the local copy (pull skipped)"
    relative = [str(target.relative_to(paths.root)) for target in targets]
    result = dvc(paths, "pull", *relative)
    if result.returncode != 0:
        reason = (result.stderr or result.stdout).strip().splitlines()
        raise UserError(f"dvc pull failed: {reason[-1] if reason else 'no output'}")
    return f"data: pulled {', '.join(relative)} from the DVC remote"
