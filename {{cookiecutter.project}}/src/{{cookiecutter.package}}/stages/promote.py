"""promote: make the compared challenger the champion, when compare said so; on the default branch only.

Moves the registry's `champion` alias to the challenger and `previous` to the version it replaces
(a rollback moves them back). Refuses on pull/merge requests and other branches, when compare has
not run for this model, and when the champion moved since compare ran.
"""

from __future__ import annotations

from ..config import DEFAULT_BRANCH, Paths
from ..core.decision import PROMOTING
from ..errors import UserError
from ..io import registry, tracking
from ..io.files import read_json
from ..io.versions import change_request, git_branch


def check_branch(paths: Paths) -> None:
    if request := change_request():
        raise UserError(f"promote: refused in a {request}: only the {DEFAULT_BRANCH} branch promotes")
    branch = git_branch(paths.root)
    if branch != DEFAULT_BRANCH:
        raise UserError(
            f"promote: refused on branch {branch or '(none)'}: only the {DEFAULT_BRANCH} branch promotes"
        )


def run(paths: Paths) -> None:
    check_branch(paths)
    for required in (paths.compare, paths.run_info):
        if not required.is_file():
            raise UserError(f"{required}: not found; run repro and compare first")
    report, trained = read_json(paths.compare), read_json(paths.run_info)
    version = report["challenger"]["version"]
    if version != trained["version"]:
        raise UserError(
            f"{paths.compare}: compares version {version}, but the trained model is version "
            f"{trained['version']}; run compare again"
        )
    if report["decision"] not in PROMOTING:
        print(f"promote: nothing to promote: compare decided {report['decision']} for version {version}")
        return
    compared = report["champion"]["version"] if report["champion"] else None
    current = registry.champion(paths)
    if (current.version if current else None) != compared:
        raise UserError(
            f"promote: the champion is now version {current.version if current else '(none)'}, "
            f"not the version {compared or '(none)'} compare measured against; run compare again"
        )
    previous = registry.promote(paths, version)
    registry.tag(paths, version, {"promoted_from": git_branch(paths.root) or DEFAULT_BRANCH})
    kept = f"; previous -> version {previous}" if previous else ""
    print(f"promote: champion -> version {version}{kept} ({tracking.redact(tracking.tracking_uri(paths))})")
