"""Schemathesis fuzzes every route from the OpenAPI schema, valid and invalid bodies: never a server error."""

from __future__ import annotations

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_
from schemathesis.checks import not_a_server_error

from {{ cookiecutter.package }}.serving.app import create_app

EXAMPLES = 40
"""Per route and generation mode: enough to hit every field's type and null, bounded for a fast test."""


def test_no_request_gets_a_server_error(contract, served, settings):
    app = create_app(contract, settings.serve, settings.evaluate.threshold, lambda: served)
    with TestClient(app):  # runs the lifespan: the model is loaded before the fuzzing starts
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        schema.config.generation.update(
            modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
        )
        operations = [result.ok() for result in schema.get_all_operations()]
        assert {operation.label for operation in operations} >= {"POST /predict", "GET /ready"}
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings_(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
            def fuzz(case) -> None:
                case.call_and_validate(checks=[not_a_server_error])

            fuzz()
