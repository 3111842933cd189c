"""Body of the actions/cache stand-in (restore and save; see their action.yml files for what they replace).

Caches are folders under $STANDIN_CACHES/<key>/, each with the paths it saved (relative to the
workspace) in files/ and who saved it in entry.json. As on GitHub:
- keys are immutable: saving a key that exists is a warning and changes nothing;
- restore takes the exact key, else the newest cache whose key starts with a restore-keys prefix
  (prefixes tried in order);
- a run may restore only caches saved on its own ref or on the default branch, which is how a pull
  request reads the base branch's caches and never another pull request's.
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


def lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def output(name: str, value: str) -> None:
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
        handle.write(f"{name}={value}\n")


def storage() -> Path:
    folder = os.environ.get("STANDIN_CACHES")
    if not folder:
        print("::error::the cache stand-in needs $STANDIN_CACHES (set by tests/ci/github/runner.py)", flush=True)
        time.sleep(0.5)
        sys.exit(1)
    return Path(folder)


def readable_refs() -> set[str]:
    refs = {os.environ.get("GITHUB_REF", ""), f"refs/heads/{os.environ.get('STANDIN_DEFAULT_BRANCH', 'main')}"}
    if os.environ.get("GITHUB_BASE_REF"):
        refs.add(f"refs/heads/{os.environ['GITHUB_BASE_REF']}")
    return refs


def entries() -> list[dict]:
    found = []
    for entry in storage().glob("*/entry.json"):
        found.append(json.loads(entry.read_text(encoding="utf-8")) | {"folder": str(entry.parent)})
    return sorted(found, key=lambda entry: entry["created"], reverse=True)


def restore(key: str, prefixes: list[str], paths: list[str]) -> int:
    readable = [entry for entry in entries() if entry["ref"] in readable_refs()]
    match = next((entry for entry in readable if entry["key"] == key), None)
    for prefix in prefixes:
        match = match or next((entry for entry in readable if entry["key"].startswith(prefix)), None)
    output("cache-primary-key", key)
    if match is None:
        print(f"Cache not found for input keys: {', '.join([key, *prefixes])}")
        output("cache-hit", "false")
        return 0
    workspace = Path(os.environ["GITHUB_WORKSPACE"])
    files = Path(match["folder"]) / "files"
    for path in paths:
        source = files / path.rstrip("/")
        if source.is_dir():
            shutil.copytree(source, workspace / path.rstrip("/"), dirs_exist_ok=True)
        elif source.is_file():
            (workspace / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, workspace / path)
    print(f"Cache restored from key: {match['key']}")
    output("cache-hit", str(match["key"] == key).lower())
    output("cache-matched-key", match["key"])
    return 0


def save(key: str, paths: list[str]) -> int:
    folder = storage() / key
    if folder.exists():
        reason = "another job may be creating this cache."
        print(f"::warning::Failed to save: Unable to reserve cache with key {key}, {reason}")
        return 0
    workspace = Path(os.environ["GITHUB_WORKSPACE"])
    staging = storage() / f".{key}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    saved = 0
    for path in paths:
        source = workspace / path.rstrip("/")
        target = staging / "files" / path.rstrip("/")
        if source.is_dir():
            shutil.copytree(source, target)
            saved += 1
        elif source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            saved += 1
    if not saved:
        shutil.rmtree(staging, ignore_errors=True)
        print(
            "::warning::Path Validation Error: Path(s) specified in the action for caching do(es) not exist, "
            "hence no cache is being saved."
        )
        return 0
    entry = {"key": key, "ref": os.environ.get("GITHUB_REF", ""), "created": time.time()}
    (staging / "entry.json").write_text(json.dumps(entry), encoding="utf-8")
    staging.rename(folder)
    print(f"Cache saved with key: {key}")
    return 0


def main(command: str) -> int:
    key = os.environ["INPUT_KEY"]
    paths = lines(os.environ["INPUT_PATH"])
    if command == "restore":
        return restore(key, lines(os.environ.get("INPUT_RESTORE_KEYS", "")), paths)
    return save(key, paths)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
