"""Body of the upload-artifact stand-in (see action.yml beside this file for what it replaces).

Finds files the way actions/upload-artifact v4 does (@actions/glob with implicit descendants,
`!` exclusions, hidden files left out unless include-hidden-files) and copies them, relative to the
artifact's root directory, into $STANDIN_ARTIFACTS/<name>/. The root directory follows v4's rule:
several search paths -> their least common ancestor; one search path that is exactly the one file
found -> that file's folder; otherwise the one search path.

Standard library only: it runs with whatever Python the job has ($STANDIN_PYTHON or python3).
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

INVALID_NAME_CHARACTERS = '"', ":", "<", ">", "|", "*", "?", "\r", "\n", "\\", "/"
STAGING = ":staging"  # ':' cannot be in an artifact name, so this folder never clashes with one


@dataclass(frozen=True)
class Pattern:
    negate: bool
    segments: tuple[str, ...]  # absolute: segments[0] == ""
    trailing_separator: bool

    @property
    def search_path(self) -> str:
        literal = []
        for segment in self.segments:
            if has_magic(segment):
                break
            literal.append(segment)
        return "/".join(literal) or "/"

    def matches(self, path: str, is_dir: bool) -> bool:
        if self.trailing_separator and not is_dir:
            return False
        return match_segments(self.segments, tuple(path.split("/")))


def has_magic(segment: str) -> bool:
    return any(character in segment for character in "*?[")


@lru_cache(maxsize=4096)
def match_segments(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(match_segments(rest, path[skip:]) for skip in range(len(path) + 1))
    if not path:
        return False
    segment_matches = fnmatch.fnmatchcase(path[0], head.replace("[^", "[!")) if has_magic(head) else path[0] == head
    return segment_matches and match_segments(rest, path[1:])


def parse_patterns(text: str, cwd: str) -> list[Pattern]:
    """Lines of the `path` input as @actions/glob reads them, each followed by its `/**` twin."""
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = False
        while line.startswith("!"):
            negate, line = not negate, line[1:]
        if line == "~" or line.startswith("~/"):
            line = os.path.expanduser("~") + line[1:]
        trailing = line.endswith("/")
        absolute = os.path.normpath(os.path.join(cwd, line))
        segments = tuple(absolute.split("/"))
        patterns.append(Pattern(negate, segments, trailing))
        if trailing or segments[-1] != "**":
            patterns.append(Pattern(negate, (*segments, "**"), False))
    return patterns


def search_paths(patterns: list[Pattern]) -> list[str]:
    """Search paths of the included patterns, without duplicates or paths below another one."""
    candidates = {pattern.search_path for pattern in patterns if not pattern.negate}
    result: list[str] = []
    for pattern in patterns:
        path = pattern.search_path
        if pattern.negate or path in result:
            continue
        parent = os.path.dirname(path)
        has_ancestor = False
        while parent != path:
            if parent in candidates:
                has_ancestor = True
                break
            path, parent = parent, os.path.dirname(parent)
        if not has_ancestor:
            result.append(pattern.search_path)
    return result


def is_match(patterns: list[Pattern], path: str, is_dir: bool) -> bool:
    matched = False
    for pattern in patterns:
        if pattern.matches(path, is_dir):
            matched = not pattern.negate
    return matched


def find_files(patterns: list[Pattern], roots: list[str], include_hidden: bool) -> list[str]:
    found: dict[str, None] = {}
    for root in roots:
        if not os.path.exists(root) or (not include_hidden and os.path.basename(root).startswith(".")):
            continue
        if not os.path.isdir(root):
            if is_match(patterns, root, is_dir=False):
                found[root] = None
            continue
        for folder, dirs, files in os.walk(root, followlinks=True):
            if not include_hidden:
                dirs[:] = [name for name in dirs if not name.startswith(".")]
                files = [name for name in files if not name.startswith(".")]
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(folder, name)
                if os.path.exists(path) and is_match(patterns, path, is_dir=False):
                    found[path] = None
    return list(found)


def least_common_ancestor(paths: list[str]) -> str:
    split = [os.path.normpath(path).split("/") for path in paths]
    common = []
    for parts in zip(*split, strict=False):
        if any(part != parts[0] for part in parts):
            break
        common.append(parts[0])
    return "/".join(common) or "/"


def root_directory(roots: list[str], files: list[str]) -> str:
    if len(roots) > 1:
        return least_common_ancestor(roots)
    if len(files) == 1 and roots[0] == files[0]:
        return os.path.dirname(files[0])
    return roots[0]


def fail(message: str) -> int:
    """Report an error and return the exit status 1, once act has had time to read the message.

    In host mode act stops copying a step's output as soon as the step exits non-zero, so a message
    printed just before a quick failure can miss the log; half a second is plenty.
    """
    print(f"::error::{message}", flush=True)
    time.sleep(0.5)
    return 1


def output(**values: str) -> None:
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
        for key, value in values.items():
            out.write(f"{key}={value}\n")


def main() -> int:
    name = os.environ.get("INPUT_NAME", "") or "artifact"
    path_input = os.environ.get("INPUT_PATH", "")
    if_no_files = os.environ.get("INPUT_IF_NO_FILES_FOUND", "") or "warn"
    overwrite = os.environ.get("INPUT_OVERWRITE", "false").strip().lower() == "true"
    include_hidden = os.environ.get("INPUT_INCLUDE_HIDDEN_FILES", "false").strip().lower() == "true"
    store = os.environ.get("STANDIN_ARTIFACTS", "")

    if if_no_files not in ("warn", "error", "ignore"):
        return fail(f"Unexpected input if-no-files-found: {if_no_files}, use warn, error or ignore")
    if not path_input.strip():
        return fail("Input required and not supplied: path")
    if not name.strip() or any(character in name for character in INVALID_NAME_CHARACTERS):
        return fail(f"The artifact name is not valid: {name!r}")
    if not store:
        return fail("upload-artifact stand-in: STANDIN_ARTIFACTS is not set (the artifact store folder)")

    patterns = parse_patterns(path_input, os.getcwd())
    roots = search_paths(patterns)
    files = find_files(patterns, roots, include_hidden)
    if not files:
        message = f"No files were found with the provided path: {path_input.strip()}. No artifacts will be uploaded."
        if if_no_files == "error":
            return fail(message)
        print(f"::warning::{message}" if if_no_files == "warn" else message)
        return 0

    root = root_directory(roots, files)
    print(f"With the provided path, there will be {len(files)} file(s) uploaded, root directory {root}")
    store_path = Path(store)
    target = store_path / name
    if target.exists() and not overwrite:
        return fail(
            "Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: "
            "an artifact with this name already exists on the workflow run"
        )
    (store_path / STAGING).mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=store_path / STAGING, prefix=f"{name}-"))
    digest = hashlib.sha256()
    size = 0
    for file in files:
        relative = os.path.relpath(file, root)
        if relative == ".." or relative.startswith("../"):
            return fail(f"The rootDirectory: {root} is not a parent directory of the file: {file}")
        destination = staging / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, destination)
        data = destination.read_bytes()
        digest.update(relative.encode() + b"\0" + hashlib.sha256(data).digest())
        size += len(data)
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    artifact_id = str(sum(1 for entry in store_path.iterdir() if entry.name != STAGING))
    print(f"Artifact {name} has been successfully uploaded! Final size is {size} bytes. Artifact ID is {artifact_id}")
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
    repository = os.environ.get("GITHUB_REPOSITORY", "")
    run_id = os.environ.get("GITHUB_RUN_ID", "")
    output(
        **{
            "artifact-id": artifact_id,
            "artifact-url": f"{server}/{repository}/actions/runs/{run_id}/artifacts/{artifact_id}",
            "artifact-digest": digest.hexdigest(),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
