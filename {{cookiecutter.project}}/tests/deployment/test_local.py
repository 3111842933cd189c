"""The local target, for real: the service `deploy` started answers traffic while models are swapped,
canaried, withdrawn and rolled back; no request fails, and the registry's aliases follow what serves.

The tests go on from each other's state (one service, one registry): blue-green to version 2, rollback
to 1, a canary of 2 withdrawn, a canary of 2 promoted, a broken version 3 rolled back to 2.
"""

from __future__ import annotations

import pytest
import yaml

from {{ cookiecutter.package }}.artefacts import Deployment
from {{ cookiecutter.package }}.cli import main
from {{ cookiecutter.package }}.deployment.service import alive
from {{ cookiecutter.package }}.io.datasets import read_split, write_split

pytestmark = pytest.mark.xdist_group("deployment")


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    error = capsys.readouterr().err
    assert len(error.splitlines()) == 1, error
    return error.strip()


def test_deploy_started_the_service_with_the_champion(live):
    assert live.service.pid() is not None
    assert live.client.serving() == "1"
    assert Deployment.read(live.paths.deploy_report).outcome == "deployed"
    assert (live.paths.deployment() / "service.log").is_file()


def test_blue_green_swaps_under_load_without_a_failed_request(live, traffic):
    assert live.registry.train("retrained") == "2"
    assert live.registry.compare().decision == "promote"
    assert main(["promote"]) == 0

    with traffic(live.service.url, live.paths) as traffic:
        assert main(["deploy"]) == 0

    assert traffic.failures == []
    versions = traffic.versions()
    assert versions[0] == "1"
    assert versions[-1] == "2"
    assert set(versions) == {"1", "2"}
    assert live.client.call("GET", "/health")[1]["model"]["version"] == "2"
    report = Deployment.read(live.paths.deploy_report)
    assert (report.outcome, report.before, report.after, report.strategy) == (
        "deployed",
        "1",
        "2",
        "blue-green",
    )
    assert any("passed its smoke test" in step for step in report.steps)


def test_rollback_serves_the_previous_version_and_then_refuses(live, capsys, traffic):
    with traffic(live.service.url, live.paths) as traffic:
        assert main(["rollback"]) == 0

    assert traffic.failures == []
    assert traffic.versions()[-1] == "1"
    assert live.registry.aliases() == {"champion": "1"}
    assert Deployment.read(live.paths.deploy_report).after == "1"
    capsys.readouterr()

    assert main(["rollback"]) == 2
    assert one_line(capsys) == (
        "error: rollback: refused: the registry has no previous version (no `previous` alias) to go back to"
    )
    assert live.registry.aliases() == {"champion": "1"}
    assert live.client.serving() == "1"


def test_a_canary_that_misses_its_figures_is_withdrawn(live, capsys, deploy_settings, traffic):
    assert main(["promote"]) == 0  # version 2 again, as compare decided against version 1
    deploy_settings(
        live.paths, strategy="canary", canary={"share": 0.5, "requests": 1_000_000, "window_s": 1}
    )
    capsys.readouterr()

    with traffic(live.service.url, live.paths) as traffic:
        assert main(["deploy"]) == 1

    assert one_line(capsys).startswith(
        "error: deploy: version 2 rolled back: canary withdrawn: the canary answered "
    )
    assert traffic.failures == []
    assert "2" in traffic.versions()  # it did take requests
    assert traffic.versions()[-1] == "1"
    assert live.registry.aliases() == {"champion": "1"}
    assert live.client.admin("GET", "/models")["candidate"] is None
    report = Deployment.read(live.paths.deploy_report)
    assert (report.outcome, report.after) == ("rolled_back", "1")
    assert "fewer than the 1000000 it needs" in report.reasons[0]


def test_a_canary_takes_its_share_then_everything(live, deploy_settings, traffic):
    assert main(["promote"]) == 0
    share = 0.3
    deploy_settings(live.paths, strategy="canary", canary={"share": share, "requests": 150, "window_s": 60})

    with traffic(live.service.url, live.paths) as traffic:
        assert main(["deploy"]) == 0

    assert traffic.failures == []
    versions = traffic.versions()
    # While both served: from the canary's first answer to the stable model's last one.
    during = versions[versions.index("2") : len(versions) - versions[::-1].index("1")]
    assert len(during) >= 150
    assert abs(during.count("2") / len(during) - share) < 0.1, (during.count("2"), len(during))
    assert versions[-1] == "2"
    assert live.registry.aliases() == {"champion": "2", "previous": "1"}
    assert any(
        step.startswith("canary: canary version 2: ")
        for step in Deployment.read(live.paths.deploy_report).steps
    )


def test_a_model_that_fails_its_smoke_test_is_rolled_back(live, capsys, traffic):
    """A broken model that compare lets through (its rules switched off): trained on flipped labels, it
    gets the golden cases wrong. The smoke test stops it; version 2 goes on serving."""
    train = read_split(live.paths.train_split)
    write_split(
        train.assign(income=train["income"].map({">50K": "<=50K", "<=50K": ">50K"})), live.paths.train_split
    )
    params = yaml.safe_load(live.paths.params.read_text())
    params["compare"].update(
        rule="non_inferior", non_inferiority_margin=1.0, max_slice_drop=1.0, primary_floor=0.0
    )
    params["model_tests"]["slice_floor"] = 0.0
    params["deploy"]["strategy"] = "blue-green"
    live.paths.params.write_text(yaml.safe_dump(params, sort_keys=False))
    assert live.registry.train("strong") == "3"
    assert live.registry.compare().decision == "promote"
    assert main(["promote"]) == 0
    capsys.readouterr()

    with traffic(live.service.url, live.paths) as traffic:
        assert main(["deploy"]) == 1

    error = one_line(capsys)
    assert error.startswith(
        "error: deploy: version 3 rolled back: version 3 failed its smoke test: golden case "
    )
    assert traffic.failures == []
    assert set(traffic.versions()) == {"2"}  # the broken model never answered a client
    assert live.registry.aliases() == {"champion": "2"}
    assert live.client.serving() == "2"
    report = Deployment.read(live.paths.deploy_report)
    assert (report.outcome, report.before, report.after) == ("rolled_back", "2", "2")
    assert any(step == "rolled back: champion -> version 2 (was 3)" for step in report.steps)


def test_stop_ends_the_service(live, capsys):
    pid = live.service.pid()
    assert main(["deploy", "--stop"]) == 0
    assert capsys.readouterr().out == f"deploy: stopped the service on {live.service.url}\n"
    assert live.service.pid() is None
    assert not alive(pid)
