"""Sample requests, and a client of the real app (with the served model) per test."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package }}.config import Paths
from {{ cookiecutter.package }}.contract import Contract
from {{ cookiecutter.package }}.core.payloads import sample_records
from {{ cookiecutter.package }}.io.datasets import read_split
from {{ cookiecutter.package }}.serving.app import Loader, ServedModel, create_app
from {{ cookiecutter.package }}.settings import Settings


@pytest.fixture(scope="session")
def columns(contract: Contract) -> list[str]:
    return contract.input_columns()


@pytest.fixture(scope="session")
def held_out(served_project: Paths) -> pd.DataFrame:
    return read_split(served_project.test_split)


@pytest.fixture(scope="session")
def records(held_out: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    return sample_records(held_out, columns, rows=50, seed=0)


def start(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        deadline = time.monotonic() + 30
        while client.get("/ready").status_code != 200:
            assert time.monotonic() < deadline, "the app did not become ready"
            time.sleep(0.02)
        yield client


@pytest.fixture
def make_client(contract: Contract, settings: Settings):
    """Start the real app with a given loader; stopped at the end of the test."""
    started: list[Iterator[TestClient]] = []

    def make(loader: Loader, **serve: Any) -> TestClient:
        config = settings.serve.model_copy(update=serve)
        running = start(create_app(contract, config, settings.evaluate.threshold, loader))
        started.append(running)
        return next(running)

    yield make
    for running in started:
        running.close()


@pytest.fixture
def client(make_client, served: ServedModel) -> TestClient:
    return make_client(lambda: served, max_batch_rows=100, max_body_bytes=65536)
