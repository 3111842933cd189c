"""deploy's refusals and failures: each one line, nothing half-deployed, nothing left running."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from {{ cookiecutter.package }}.artefacts import Deployment
from {{ cookiecutter.package }}.cli import main
from {{ cookiecutter.package }}.deployment import image
from {{ cookiecutter.package }}.io.registry import EXPORTED
from {{ cookiecutter.package }}.serving.process import HOST, free_port

pytestmark = pytest.mark.xdist_group("first-champion")  # their `registry` copies it: made once


@pytest.mark.parametrize(
    ("deploy", "expected"),
    [
        ({"target": "moon"}, "deploy.target: Input should be 'local' or 'kubernetes'"),
        ({"strategy": "big-bang"}, "deploy.strategy: Input should be 'blue-green', 'canary' or 'rolling'"),
        ({"canary": {"share": 1.0}}, "deploy.canary.share: Input should be less than 1"),
        ({"canary": {"share": 0}}, "deploy.canary.share: Input should be greater than 0"),
        ({"strategy": "rolling"}, "deploy: strategy rolling needs target kubernetes"),
        ({"local": {"port": 70000}}, "deploy.local.port: Input should be less than or equal to 65535"),
        ({"local": {"host": "127.0.0.300"}}, "deploy.local: host '127.0.0.300' is neither"),
        ({"local": {"host": "my host"}}, "deploy.local: host 'my host' is neither an IP"),
    ],
)
def test_bad_deploy_settings_are_one_line_and_touch_nothing(
    registry, deploy, expected, capsys, deploy_settings
):
    deploy_settings(registry.paths, **deploy)
    capsys.readouterr()

    assert main(["deploy"]) == 2

    error = capsys.readouterr().err
    assert error.startswith(f"error: {registry.paths.params}: {expected}"), error
    assert len(error.splitlines()) == 1
    assert not registry.paths.deployment().exists()
    assert not registry.paths.deploy_report.exists()


def test_a_state_dir_that_cannot_be_made_is_one_line(registry, capsys, deploy_settings):
    deploy_settings(registry.paths, local={"state_dir": "params.yaml/state"})  # under a file
    capsys.readouterr()

    assert main(["deploy"]) == 2

    error = capsys.readouterr().err
    assert error == "error: deploy.local.state_dir params.yaml/state: cannot be made (Not a directory)\n"
    assert not registry.paths.deploy_report.exists()


def test_a_kept_model_is_not_deployed(registry, capsys):
    assert registry.train("weak") == "2"
    assert registry.compare().decision == "keep"
    assert main(["promote"]) == 0
    capsys.readouterr()

    assert main(["deploy"]) == 0

    assert capsys.readouterr().out == "deploy: nothing to deploy: compare decided keep for version 2\n"
    assert Deployment.read(registry.paths.deploy_report).outcome == "skipped"
    assert not registry.paths.deployment().exists()


def test_the_image_takes_a_registry_copy_and_leaves_the_model_trained_here(registry):
    """The image of the champion (version 1) while models/ holds version 2, trained since: the image's models/
    comes from a registry copy (models/.image), and models/ keeps version 2 and its run.json (deploy used to
    replace them with the copy, failed or not)."""
    assert registry.train("strong") == "2"
    models = registry.paths.models

    def trained_here() -> dict[Path, bytes]:
        found = [*registry.paths.model.rglob("*"), registry.paths.trained]
        return {path: path.read_bytes() for path in found if path.is_file()}

    before = trained_here()

    folder = image.models_for_image(registry.paths, "1")

    assert folder == models / ".image"
    assert (folder / "model" / EXPORTED).read_text() == "1"
    assert (folder / "model" / "MLmodel").is_file()
    assert trained_here() == before
    assert image.models_for_image(registry.paths, "2") == models  # the version trained here: models/ itself
    assert not folder.exists()  # no copy left from before


def test_a_port_taken_by_another_program_is_refused(registry, capsys, deploy_settings):
    with socket.socket() as other:
        other.bind((HOST, 0))
        other.listen()
        deploy_settings(registry.paths, local={"port": other.getsockname()[1]})
        capsys.readouterr()

        assert main(["deploy"]) == 1

    error = capsys.readouterr().err
    assert len(error.splitlines()) == 1, error
    assert "answers, but not a service deploy started (no .deploy/service.pid); stop it" in error
    assert registry.aliases() == {"champion": "1"}
    assert Deployment.read(registry.paths.deploy_report).outcome == "rolled_back"


def test_a_service_that_never_gets_ready_is_stopped(registry, capsys, deploy_settings):
    port = free_port()
    deploy_settings(registry.paths, local={"port": port}, smoke={"timeout_s": 0.5})
    capsys.readouterr()

    assert main(["deploy"]) == 1

    error = capsys.readouterr().err
    assert len(error.splitlines()) == 1, error
    assert "the service was not ready within 0.5 s (see .deploy/service.log)" in error
    assert not (registry.paths.deployment() / "service.pid").exists()
    with socket.socket() as probe:
        assert probe.connect_ex((HOST, port)) != 0  # nothing was left listening


def test_the_registry_is_named_in_lowercase(monkeypatch, settings):
    """A GitHub owner's name may have capitals (ghcr.io/Acme); an image reference may not."""
    monkeypatch.setenv("DEPLOY_REGISTRY", "ghcr.io/Acme-Labs/")
    assert image.registry(settings.deploy) == "ghcr.io/acme-labs"
