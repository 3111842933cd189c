"""Body of the upload-artifact stand-in (see action.yml beside this file for what it replaces).

Finds the files of the `path` lines as actions/upload-artifact v4 does for plain paths (hidden files
and folders left out) and copies them, relative to v4's root directory, into $STANDIN_ARTIFACTS/<name>/.
Standard library only: it runs with whatever Python the job has ($STANDIN_PYTHON or python3).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path


def fail(message: str) -> int:
    """Report an error and return the exit status 1, once act has had time to read the message.

    In host mode act stops copying a step's output as soon as the step exits non-zero, so a message
    printed just before a quick failure can miss the log; half a second is plenty.
    """
    print(f"::error::{message}", flush=True)
    time.sleep(0.5)
    return 1


def visible_files(root: Path) -> list[Path]:
    """The file itself, or the files below the folder; hidden names (and what is below them) left out."""
    if root.is_file():
        return [] if root.name.startswith(".") else [root]
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(name for name in dirs if not name.startswith("."))
        found += [Path(folder, name) for name in sorted(files) if not name.startswith(".")]
    return found


def root_directory(roots: list[Path], files: list[Path]) -> Path:
    """v4's rule: several paths, their least common ancestor; one path that is a file, its folder."""
    if len(roots) > 1:
        return Path(os.path.commonpath(roots))
    return roots[0].parent if files == roots else roots[0]


def main() -> int:
    name = os.environ["INPUT_NAME"]
    if_no_files = os.environ["INPUT_IF_NO_FILES_FOUND"]
    path = os.environ["INPUT_PATH"].strip()
    lines = [line.strip() for line in path.splitlines() if line.strip()]
    if if_no_files not in ("warn", "error", "ignore"):
        return fail(f"Unexpected input if-no-files-found: {if_no_files}, use warn, error or ignore")
    if any(character in line for line in lines for character in "*?[!"):
        return fail("upload-artifact stand-in: wildcard patterns and exclusions are not implemented")

    roots = [Path(os.path.normpath(Path.cwd() / line)) for line in lines]
    files = list(dict.fromkeys(file for root in roots if root.exists() for file in visible_files(root)))
    if not files:
        message = f"No files were found with the provided path: {path}. No artifacts will be uploaded."
        if if_no_files == "error":
            return fail(message)
        print(f"::warning::{message}" if if_no_files == "warn" else message)
        return 0

    target = Path(os.environ["STANDIN_ARTIFACTS"]) / name
    if target.exists():
        return fail(
            "Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: "
            "an artifact with this name already exists on the workflow run"
        )
    root = root_directory(roots, files)
    for file in files:
        destination = target / file.relative_to(root)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, destination)
    print(f"Artifact {name} has been successfully uploaded: {len(files)} file(s), root directory {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
