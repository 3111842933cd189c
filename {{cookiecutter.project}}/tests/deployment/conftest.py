"""A project whose champion the local target serves, for real: `deploy` started its service process on a
free 127.0.0.1 port; and traffic to drive at it while it is redeployed."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from {{ cookiecutter.package }}.cli import main
from {{ cookiecutter.package }}.config import Paths
from {{ cookiecutter.package }}.deployment.service import LocalService, ServiceClient
from {{ cookiecutter.package }}.io.datasets import read_golden
from {{ cookiecutter.package }}.serving.process import free_port
from {{ cookiecutter.package }}.settings import load_checked


def set_deploy(paths: Paths, **sections: Any) -> None:
    """Set keys of params.yaml's deploy: section, e.g. set_deploy(paths, canary={"share": 0.3})."""
    params = yaml.safe_load(paths.params.read_text())
    deploy = params.setdefault("deploy", {})
    for name, values in sections.items():
        if isinstance(values, dict):
            deploy.setdefault(name, {}).update(values)
        else:
            deploy[name] = values
    paths.params.write_text(yaml.safe_dump(params, sort_keys=False))


@dataclass(frozen=True)
class Live:
    """The project, its registry and the service `deploy` started for it."""

    registry: Any
    """The project's Registry (tests/conftest.py): train, compare, aliases."""
    service: LocalService

    @property
    def paths(self) -> Paths:
        return self.registry.paths

    @property
    def client(self) -> ServiceClient:
        return self.service.client()


@pytest.fixture
def deploy_settings() -> Callable[..., None]:
    """deploy_settings(paths, **sections): set_deploy, for the tests."""
    return set_deploy


@pytest.fixture
def traffic() -> type[Traffic]:
    """traffic(url, paths): Traffic, for the tests."""
    return Traffic


@pytest.fixture(scope="module")
def live(build_project, registry_of, leave_ci) -> Iterator[Live]:
    """A project whose strong model (version 1, first champion) deploy put on the local target with
    blue-green; compare's rule is `non_inferior` (a retrain as good as the champion is promoted). The
    service runs, detached, until the module's tests are done; they go on from each other's state."""

    def first(paths: Paths) -> None:
        params = yaml.safe_load(paths.params.read_text())
        params["compare"].update(rule="non_inferior", non_inferiority_margin=0.03, max_slice_drop=0.05)
        paths.params.write_text(yaml.safe_dump(params, sort_keys=False))
        set_deploy(paths, local={"port": free_port()}, smoke={"timeout_s": 120})
        assert main(["prepare"]) == 0
        assert registry_of(paths).train("strong") == "1"
        assert registry_of(paths).compare().decision == "first"
        assert main(["promote"]) == 0

    paths = build_project("live", first)
    service = LocalService(paths, load_checked(paths)[0].deploy.local)
    with pytest.MonkeyPatch.context() as monkeypatch:
        leave_ci(monkeypatch, paths.root)
        try:
            assert main(["deploy"]) == 0
            yield Live(registry_of(paths), service)
        finally:
            service.stop()


@pytest.fixture(autouse=True)
def _in_the_live_project(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, leave_ci) -> None:
    """Tests of the live project run in it, outside CI, as its module fixture did."""
    if "live" in request.fixturenames:
        leave_ci(monkeypatch, request.getfixturevalue("live").paths.root)


class Traffic:
    """Clients sending one golden record a request, back to back, from threads, while the block runs:
    every answer's time, status and model version (or the error). Bounded in time and in count."""

    def __init__(
        self, url: str, paths: Paths, clients: int = 3, limit_s: float = 180, limit: int = 50_000
    ) -> None:
        record = read_golden(paths.golden, load_checked(paths)[1])[0].record
        self.url, self.body = url, json.dumps({"records": [record]}).encode()
        self.clients, self.limit_s, self.limit = clients, limit_s, limit
        self.answers: list[tuple[float, int | str, str | None]] = []
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def __enter__(self) -> Traffic:
        self.threads = [threading.Thread(target=self.send, daemon=True) for _ in range(self.clients)]
        for thread in self.threads:
            thread.start()
        while not self.answers:  # traffic flows before the block starts
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        time.sleep(0.25)  # and goes on a moment after it ended (some 100 requests)
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def send(self) -> None:
        deadline = time.monotonic() + self.limit_s
        while not self.stop.is_set() and time.monotonic() < deadline and len(self.answers) < self.limit:
            request = urllib.request.Request(
                f"{self.url}/predict", data=self.body, headers={"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    answer = (
                        time.monotonic(),
                        response.status,
                        json.loads(response.read())["model"]["version"],
                    )
            except urllib.error.HTTPError as error:
                answer = (time.monotonic(), error.code, None)
            except OSError as error:
                answer = (time.monotonic(), repr(error), None)
            self.answers.append(answer)

    @property
    def failures(self) -> list[tuple[float, int | str, str | None]]:
        return [answer for answer in self.answers if answer[1] != 200]

    def versions(self) -> list[str | None]:
        return [version for _, _, version in sorted(self.answers)]
