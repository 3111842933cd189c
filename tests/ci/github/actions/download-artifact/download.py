"""Body of the download-artifact stand-in (see action.yml beside this file for what it replaces).

Copies artifacts that the upload-artifact stand-in stored under $STANDIN_ARTIFACTS/<name>/ into the
job's workspace, as actions/download-artifact v4 does: one named artifact straight into `path`;
without a name, every artifact (or those matching `pattern`) into `path/<name>/`, or all into
`path` with merge-multiple. A named artifact that does not exist fails the step with v4's message.

Standard library only: it runs with whatever Python the job has ($STANDIN_PYTHON or python3).
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import sys
import time
from pathlib import Path

STAGING = ":staging"  # the upload stand-in's work folder, not an artifact

NOT_FOUND = (
    "Unable to download artifact(s): Artifact not found for name: {name}\n"
    "        Please ensure that your artifact is not expired and the artifact was uploaded using a compatible"
    " version of toolkit/upload-artifact.\n"
    "        For more information, visit the GitHub Artifacts FAQ:"
    " https://github.com/actions/toolkit/blob/main/packages/artifact/docs/faq.md"
)


def error(message: str) -> int:
    """Report an error and return the exit status 1, once act has had time to read the message.

    In host mode act stops copying a step's output as soon as the step exits non-zero, so a message
    printed just before a quick failure can miss the log; half a second is plenty.
    """
    # A workflow command is one line: escape newlines as the runner's toolkit does.
    print("::error::" + message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"), flush=True)
    time.sleep(0.5)
    return 1


def main() -> int:
    name = os.environ.get("INPUT_NAME", "")
    pattern = os.environ.get("INPUT_PATTERN", "")
    merge = os.environ.get("INPUT_MERGE_MULTIPLE", "false").strip().lower() == "true"
    token = os.environ.get("INPUT_GITHUB_TOKEN", "")
    run_id = os.environ.get("INPUT_RUN_ID", "")
    store = os.environ.get("STANDIN_ARTIFACTS", "")
    workspace = os.environ.get("GITHUB_WORKSPACE") or os.getcwd()

    if not store:
        return error("download-artifact stand-in: STANDIN_ARTIFACTS is not set (the artifact store folder)")
    if token or (run_id and run_id != os.environ.get("GITHUB_RUN_ID", run_id)):
        return error("download-artifact stand-in: artifacts of other runs or repositories are not available")
    path_input = os.environ.get("INPUT_PATH", "").strip()
    if path_input == "~" or path_input.startswith("~/"):
        path_input = os.path.expanduser("~") + path_input[1:]
    destination = Path(os.path.normpath(os.path.join(workspace, path_input)))
    store_path = Path(store)

    if name:
        source = store_path / name
        if not source.is_dir():
            return error(NOT_FOUND.format(name=name))
        artifacts = [source]
    else:
        artifacts = sorted(
            entry for entry in (store_path.iterdir() if store_path.is_dir() else []) if entry.name != STAGING
        )
        if pattern:
            print(f"Filtering artifacts by pattern '{pattern}'")
            artifacts = [entry for entry in artifacts if fnmatch.fnmatchcase(entry.name, pattern)]
        else:
            print("No input name or pattern filtered specified, downloading all artifacts")

    for artifact in artifacts:
        target = destination if name or merge else destination / artifact.name
        shutil.copytree(artifact, target, dirs_exist_ok=True)
        count = sum(1 for entry in artifact.rglob("*") if entry.is_file())
        print(f"Artifact {artifact.name}: {count} file(s) extracted to {target}")
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
        out.write(f"download-path={destination}\n")
    print(f"Total of {len(artifacts)} artifact(s) downloaded")
    print("Download artifact has finished successfully")
    return 0


if __name__ == "__main__":
    sys.exit(main())
