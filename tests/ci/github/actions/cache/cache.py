"""Body of the actions/cache stand-in (restore and save; see their action.yml files for what they replace).

Caches are folders under $STANDIN_CACHES/<key>/, each with the paths it saved (relative to the
workspace) in files/ and who saved it in entry.json. As on GitHub:
- keys are immutable: saving a key that exists is a warning and changes nothing;
- restore takes the exact key, else the newest cache whose key starts with a restore-keys prefix
  (prefixes tried in order);
- a run may restore only caches saved on its own ref or on the default branch (main), which is how a
  pull request reads the base branch's caches and never another pull request's.
$STANDIN_CACHES outlives one act run when the caller passes the same folder again, as GitHub's cache
outlives a workflow run.

Standard library only: it runs with whatever Python the job has ($STANDIN_PYTHON or python3).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

STORAGE = Path(os.environ["STANDIN_CACHES"])
WORKSPACE = Path(os.environ["GITHUB_WORKSPACE"])


def lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def readable_refs() -> set[str]:
    refs = {os.environ["GITHUB_REF"], "refs/heads/main"}
    if os.environ.get("GITHUB_BASE_REF"):
        refs.add(f"refs/heads/{os.environ['GITHUB_BASE_REF']}")
    return refs


def copy(source: Path, target: Path) -> bool:
    """Copy a file or a folder; False when there is nothing at `source`."""
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    elif source.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    else:
        return False
    return True


def restore(key: str, prefixes: list[str], paths: list[str]) -> None:
    entries = [json.loads(entry.read_text()) | {"folder": entry.parent} for entry in STORAGE.glob("*/entry.json")]
    readable = [entry for entry in entries if entry["ref"] in readable_refs()]
    readable.sort(key=lambda entry: entry["created"], reverse=True)
    match = next((entry for entry in readable if entry["key"] == key), None)
    for prefix in prefixes:
        match = match or next((entry for entry in readable if entry["key"].startswith(prefix)), None)
    if match is None:
        print(f"Cache not found for input keys: {', '.join([key, *prefixes])}")
        return
    for path in paths:
        copy(match["folder"] / "files" / path, WORKSPACE / path)
    print(f"Cache restored from key: {match['key']}")


def save(key: str, paths: list[str]) -> None:
    folder = STORAGE / key
    if folder.exists():
        print(f"::warning::Failed to save: Unable to reserve cache with key {key}, another job may be creating it.")
        return
    staging = STORAGE / f".{key}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    if not [path for path in paths if copy(WORKSPACE / path, staging / "files" / path)]:
        shutil.rmtree(staging, ignore_errors=True)
        print(
            "::warning::Path Validation Error: Path(s) specified in the action for caching do(es) not exist, "
            "hence no cache is being saved."
        )
        return
    entry = {"key": key, "ref": os.environ["GITHUB_REF"], "created": time.time()}
    (staging / "entry.json").write_text(json.dumps(entry))
    staging.rename(folder)
    print(f"Cache saved with key: {key}")


if __name__ == "__main__":
    paths = [path.rstrip("/") for path in lines(os.environ["INPUT_PATH"])]
    if sys.argv[1] == "restore":
        restore(os.environ["INPUT_KEY"], lines(os.environ["INPUT_RESTORE_KEYS"]), paths)
    else:
        save(os.environ["INPUT_KEY"], paths)
