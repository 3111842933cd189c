"""A STAND-IN for kubectl, for tests on a machine where no Kubernetes API server can run.

It speaks the subset of kubectl's command line the generated project's deploy uses, keeps the objects it
is given in a JSON file instead of a cluster, and records every call:

    KUBECTL_STANDIN_STATE   the JSON file: {"objects": {"Kind/namespace/name": object}, "history": {...}}
    KUBECTL_STANDIN_LOG     JSON Lines, one call each: {"args": [...], "stdin": "..."}
    KUBECTL_STANDIN_FAIL    Deployment names whose `rollout status` fails (the progress deadline passed)
    KUBECTL_STANDIN_FAIL_DELETE  Deployment names whose `delete` is refused (forbidden)
    KUBECTL_STANDIN_REJECT  kinds whose `apply` the API server refuses (an admission webhook), dry runs too
    KUBECTL_REAL            the real kubectl, which `kustomize` is handed to (it needs no server)

Applying a Deployment keeps its former state as a revision; `rollout undo` puts back its pod template and
its annotations, as kubectl's rollback does. A server-side dry run checks and changes nothing. Anything
else fails loudly, so a deploy that starts using another command shows up here first.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import yaml


def main(args: list[str]) -> int:
    stdin = "" if sys.stdin.isatty() else sys.stdin.read() if args[:1] == ["apply"] else ""
    with Path(os.environ["KUBECTL_STANDIN_LOG"]).open("a") as log:
        log.write(json.dumps({"args": args, "stdin": stdin}) + "\n")
    if args[0] == "kustomize":
        os.execv(os.environ["KUBECTL_REAL"], [os.environ["KUBECTL_REAL"], *args])
    state_file = Path(os.environ["KUBECTL_STANDIN_STATE"])
    state = json.loads(state_file.read_text()) if state_file.exists() else {"objects": {}, "history": {}}
    namespace = args[args.index("-n") + 1] if "-n" in args else "default"
    code = run(args, stdin, namespace, state["objects"], state["history"])
    state_file.write_text(json.dumps(state, indent=1))
    return code


def run(args: list[str], stdin: str, namespace: str, objects: dict, history: dict) -> int:
    verb = args[0]
    rejected = os.environ.get("KUBECTL_STANDIN_REJECT", "").split(",")
    if verb == "apply" and args[1:4] == ["--dry-run=server", "-f", "-"]:
        docs = list(filter(None, yaml.safe_load_all(stdin)))
        if refused := [doc for doc in docs if doc["kind"] in rejected]:
            return fail(f"Error from server (Forbidden): {refused[0]['kind'].lower()}s is forbidden")
        for doc in docs:
            print(f"{doc['kind'].lower()}/{doc['metadata']['name']} configured (server dry run)")
        return 0
    if verb == "apply" and args[1:3] == ["-f", "-"]:
        refused = []
        for doc in filter(None, yaml.safe_load_all(stdin)):
            if doc["kind"] in rejected:  # as kubectl does: the others applied all the same, then exit 1
                refused.append(doc["kind"])
                continue
            key = f"{doc['kind']}/{doc['metadata'].get('namespace', namespace)}/{doc['metadata']['name']}"
            if doc["kind"] == "Deployment" and key in objects:
                history.setdefault(key, []).append(objects[key])
            objects[key] = doc
            print(f"{doc['kind'].lower()}/{doc['metadata']['name']} configured")
        return fail(f"Error from server (Forbidden): {refused[0].lower()}s is forbidden") if refused else 0
    if verb == "get":
        key = f"{args[1].capitalize()}/{namespace}/{args[2]}"
        if key in objects:
            print(json.dumps(objects[key]))
            return 0
        if "--ignore-not-found" in args:
            return 0
        return fail(f'Error from server (NotFound): {args[1]}s "{args[2]}" not found')
    if verb == "rollout" and args[1] in ("status", "undo"):
        name = args[2].removeprefix("deployment/")
        key = f"Deployment/{namespace}/{name}"
        if key not in objects:
            return fail(f'Error from server (NotFound): deployments.apps "{name}" not found')
        if args[1] == "undo":
            if not history.get(key):
                return fail(f'error: no rollout history found for deployment "{name}"')
            # As kubectl's rollback does: the revision's pod template back, and its annotations
            revision = history[key].pop()
            objects[key]["spec"]["template"] = revision["spec"]["template"]
            objects[key]["metadata"]["annotations"] = revision["metadata"].get("annotations", {})
            print(f"deployment.apps/{name} rolled back")
            return 0
        if name in os.environ.get("KUBECTL_STANDIN_FAIL", "").split(","):
            return fail(f'error: deployment "{name}" exceeded its progress deadline')
        print(f'deployment "{name}" successfully rolled out')
        return 0
    if verb == "delete" and args[1] == "deployment":
        if args[2] in os.environ.get("KUBECTL_STANDIN_FAIL_DELETE", "").split(","):
            return fail(f'Error from server (Forbidden): deployments.apps "{args[2]}" is forbidden')
        objects.pop(f"Deployment/{namespace}/{args[2]}", None)
        print(f'deployment.apps "{args[2]}" deleted')
        return 0
    if verb == "patch" and args[1] == "service":
        key = f"Service/{namespace}/{args[2]}"
        patch = json.loads(args[args.index("-p") + 1])
        objects[key]["spec"]["selector"].update(patch["spec"]["selector"])
        print(f"service/{args[2]} patched")
        return 0
    return fail(f"stand-in kubectl: not implemented: {' '.join(args)}", code=2)


def fail(message: str, code: int = 1) -> int:
    print(message, file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
