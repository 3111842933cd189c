"""Data tracked by DVC (`dvc add`): pulled from the configured remote before a stage reads it.

The shipped sample lives in git and needs no remote. Once real data is tracked with DVC and a
remote is configured (S3, GCS, Azure, SSH or a directory), CI pulls it with the credentials its
secrets put in the environment; with no remote configured, the pull is skipped with a notice.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

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
    """The configured remotes' names; a DVC config it cannot read is an error, never "no remote"."""
    listed = dvc(paths, "remote", "list")
    checked(listed, "dvc remote list")
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
    checked(dvc(paths, "pull", *relative), "dvc pull")
    return f"data: pulled {', '.join(relative)} from the DVC remote"


def push(paths: Paths) -> str:
    """Send DVC-tracked data to the remote (the data a model is about to be trained on); says what it did."""
    targets = [str(target.relative_to(paths.root)) for target in tracked(paths)]
    if not targets:
        return "data: in git, nothing to push"
    if not remotes(paths):
        return "data: no DVC remote configured, nothing pushed"
    checked(dvc(paths, "push", *targets), "dvc push")
    return f"data: pushed {', '.join(targets)} to the DVC remote"


def checked(result: subprocess.CompletedProcess, command: str) -> None:
    """A DVC command's failure as one line: its last line of output."""
    if result.returncode != 0:
        reason = (result.stderr or result.stdout).strip().splitlines()
        raise UserError(f"{command} failed: {reason[-1] if reason else 'no output'}")


def imported(path: Path) -> bool:
    """Whether a .dvc file is an import (`dvc import-url`, `dvc import`): it names its data's source."""
    try:
        return bool(yaml.safe_load(path.read_text(encoding="utf-8")).get("deps"))
    except (OSError, AttributeError, yaml.YAMLError):
        return False


def refresh(paths: Paths, command: str) -> str:
    """Bring the newest data: the drift.refresh command of params.yaml when there is one, else `dvc update`
    of imported data (its source's latest) and `dvc pull` of the rest; says what it did.

    Data the command replaced that DVC tracks is recorded in its .dvc file (`dvc commit`): the later
    stages' pulls then find it as tracked, instead of refusing to overwrite it or bringing back the old."""
    if command:
        done = subprocess.run(command, shell=True, cwd=paths.root, capture_output=True, text=True)
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines()
            reason = lines[-1] if lines else "no output"
            failed = f"drift.refresh `{command}` failed (exit {done.returncode})"
            raise UserError(f"{paths.params}: {failed}: {reason}")
        recorded = changed(paths)
        if recorded:
            checked(dvc(paths, "commit", "--force", *recorded), "dvc commit")
            return f"data: refreshed by `{command}`, recorded in {', '.join(recorded)}"
        return f"data: refreshed by `{command}`"
    imports = [str(target.relative_to(paths.root)) for target in tracked(paths) if imported(target)]
    if imports:
        checked(dvc(paths, "update", *imports), "dvc update")
        return f"data: updated {', '.join(imports)} from their sources; " + pull(paths)
    return pull(paths)


def changed(paths: Paths) -> list[str]:
    """The .dvc files (`dvc add`, not imports) whose data is present and differs from what they record."""
    present = [
        str(target.relative_to(paths.root))
        for target in tracked(paths)
        if not imported(target) and target.with_suffix("").exists()
    ]
    if not present:
        return []
    status = dvc(paths, "status", "--json", *present)
    checked(status, "dvc status")
    try:
        return sorted(json.loads(status.stdout or "{}"))
    except json.JSONDecodeError:
        raise UserError(f"dvc status: unexpected output: {status.stdout.strip()[:200]}") from None
