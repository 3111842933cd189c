"""The FastAPI app: POST /predict, GET /health, /ready and /metrics, OpenAPI docs on /docs, and with an
admin token the deployment routes under /admin (serving/admin.py).

The models (serving/models.py) load in background threads; /predict reads and validates the body itself
(serving/requests.py), so the hot path stays free of pandas.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic.json_schema import models_json_schema
from starlette.routing import request_response

from ..contract import Contract
from ..core.request_schema import ContractLimits
from ..settings import ServeSettings
from .admin import Admin, add_admin_routes
from .models import Loader, Models, ServedModel
from .prediction_log import PredictionLog, RequestIdMiddleware
from .prometheus import MetricsMiddleware, ServiceMetrics
from .requests import BadRequestError, ErrorResponse, PredictionResponse, RequestReader, json_response

log = logging.getLogger(__name__)

PREDICT, HEALTH, READY, METRICS = "/predict", "/health", "/ready", "/metrics"
ROUTES = frozenset({PREDICT, HEALTH, READY, METRICS, "/docs", "/openapi.json"})


PREDICT_DOCS: dict[str, Any] = {
    "summary": "Predict one record or a batch",
    "response_model": PredictionResponse,
    "responses": {
        400: {"model": ErrorResponse, "description": "Malformed JSON (NaN and Infinity included)"},
        408: {
            "model": ErrorResponse,
            "description": "The body did not arrive in time (serve.body_timeout_s)",
        },
        413: {"model": ErrorResponse, "description": "Body or batch over the configured limit"},
        422: {"model": ErrorResponse, "description": "A field is missing, extra or of the wrong type"},
        503: {"model": ErrorResponse, "description": "The model is not loaded yet"},
    },
    "openapi_extra": {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            {"$ref": "#/components/schemas/Record"},
                            {"$ref": "#/components/schemas/Batch"},
                        ]
                    }
                }
            },
        }
    },
}


def create_app(
    contract: Contract,
    settings: ServeSettings,
    threshold: float,
    loader: Loader,
    on_load_failure: Callable[[], None] = lambda: None,
    admin: Admin | None = None,
    prediction_log: PredictionLog | None = None,
) -> FastAPI:
    """The service; `loader` runs once, in a background thread, when the app starts. With `admin`, the
    deployment routes (staging, canary, promotion) are on /admin, behind its token; with `prediction_log`,
    a sample of the predictions is logged (serving/prediction_log.py)."""
    reader = RequestReader(contract, settings)
    limits = ContractLimits(contract)
    positive, negative = contract.label.positive, contract.label.negative
    metrics = ServiceMetrics()
    models = Models(on_load_failure)
    metrics.watch(models, positive)
    slot = models.stable
    counted: dict[tuple[str, str], Any] = {}  # (version, label): its predictions_total child

    def count(version: str, label: str, predictions: int) -> None:
        if (child := counted.get((version, label))) is None:
            child = counted[version, label] = metrics.predictions.labels(version, label)
        child.inc(predictions)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        slot.load_in_background(loader)
        yield

    app = FastAPI(
        title=f"{contract.label.column} classifier",
        description=(
            f"Predicts `{contract.label.column}` ({negative} or {positive}) from one record or a batch "
            '(`{"records": [...]}`) with the data contract\'s columns.'
        ),
        lifespan=lifespan,
    )
    app.state.slot = slot
    app.state.models = models
    app.state.metrics = metrics

    async def answer(served: ServedModel | None, request: Request) -> Response:
        """The predictions of one model for one request, counted for that model's version."""
        if served is None:
            return json_response({"detail": "the model is not loaded yet", "errors": []}, 503)
        try:
            records = await reader.records(request)
        except BadRequestError as bad:
            metrics.validation_failures.labels(bad.reason).inc()
            return json_response({"detail": bad.detail, "errors": bad.errors}, bad.status)
        warnings = []
        for index, values in enumerate(records):
            for violation in limits.violations(values, f"records[{index}]." if len(records) > 1 else ""):
                metrics.contract_violations.labels(violation.column, violation.rule).inc()
                warnings.append(violation.message)
        started = time.perf_counter()
        try:
            probabilities = served.chosen.backend.positive_probability(records).tolist()
        except Exception as error:  # a model that fails on a request: counted against its version
            metrics.observe_model(served.version, "error", time.perf_counter() - started)
            log.error(
                "model version %s failed on a request: %s: %s", served.version, type(error).__name__, error
            )
            return json_response({"detail": "the model failed on this request", "errors": []}, 500)
        if not all(map(math.isfinite, probabilities)):
            metrics.non_finite.labels(served.version).inc()
            metrics.observe_model(served.version, "error", time.perf_counter() - started)
            log.error("model version %s gave a non-finite probability", served.version)
            return json_response({"detail": "the model gave a non-finite probability", "errors": []}, 500)
        metrics.observe_model(served.version, "ok", time.perf_counter() - started)
        predictions = []
        positives = 0
        for p in probabilities:
            is_positive = p >= threshold
            positives += is_positive
            predictions.append(
                {
                    "label": positive if is_positive else negative,
                    "probabilities": {negative: 1.0 - p, positive: p},
                }
            )
        count(served.version, positive, positives)  # both, even at 0: each share's series from the start
        count(served.version, negative, len(predictions) - positives)
        model = {"name": served.reference.name, "version": served.reference.version}
        if prediction_log is not None:
            labels = [prediction["label"] for prediction in predictions]
            prediction_log.record(request.state.request_id, served.version, records, probabilities, labels)
        return json_response({"model": model, "predictions": predictions, "warnings": warnings})

    @app.post(PREDICT, **PREDICT_DOCS)
    async def predict(request: Request) -> Response:
        return await answer(models.pick(), request)

    @app.get(
        HEALTH, summary="Liveness, with the model and backend once loaded; 503 once the model failed to load"
    )
    async def health() -> Response:
        served = slot.model
        if slot.error:
            return json_response({"status": "failed", "ready": False, "error": slot.error}, 503)
        state = served.describe() if served else {"model": None, "backend": None, "fallback_reason": None}
        return json_response({"status": "ok", "ready": served is not None, **state})

    @app.get(READY, summary="Readiness: 200 once the model is loaded, 503 until then")
    async def ready() -> Response:
        served = slot.model
        if served is None:
            status = "failed" if slot.error else "loading"
            return json_response({"status": status, "ready": False, "error": slot.error}, 503)
        return json_response({"status": "ready", "ready": True, **served.describe()})

    @app.get(METRICS, summary="Prometheus metrics", include_in_schema=True)
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            _, definitions = models_json_schema(
                [(reader.record, "validation"), (reader.batch, "validation")],
                ref_template="#/components/schemas/{model}",
            )
            schema.setdefault("components", {}).setdefault("schemas", {}).update(definitions["$defs"])
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    if admin is not None:
        add_admin_routes(app, models, admin, answer)
    app.add_middleware(MetricsMiddleware, metrics=metrics, routes=ROUTES)
    app.add_middleware(RequestIdMiddleware)
    fast_path(app, PREDICT)
    return app


def fast_path(app: FastAPI, path: str) -> None:
    """Serve `path` as a plain Starlette endpoint, matched first; FastAPI still documents it.

    The endpoint takes the Request and validates the body itself, so FastAPI's per-request dependency
    solving only costs time (about a fifth of a prediction's overhead).
    """
    route = next(r for r in app.router.routes if isinstance(r, APIRoute) and r.path == path)
    route.app = request_response(route.endpoint)
    app.router.routes.remove(route)
    app.router.routes.insert(0, route)
