"""The FastAPI app: POST /predict, GET /health, /ready and /metrics, OpenAPI docs on /docs.

/predict reads the body itself (bounded in size), parses it with orjson (which rejects NaN and
Infinity) and validates it with the request models derived from the data contract, so every bad
request is a 4xx naming the field, and the hot path stays free of pandas.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema
from starlette.routing import request_response

from ..contract import Contract
from ..core.request_schema import batch_model, error_field, known_categories, record_model, unseen_categories
from ..settings import ServeSettings
from .backends import Chosen
from .metrics import ServiceMetrics
from .model_source import ModelSource

log = logging.getLogger(__name__)

PREDICT, HEALTH, READY, METRICS = "/predict", "/health", "/ready", "/metrics"
ROUTES = frozenset({PREDICT, HEALTH, READY, METRICS, "/docs", "/openapi.json"})


@dataclass(frozen=True)
class ServedModel:
    source: ModelSource
    chosen: Chosen

    def describe(self) -> dict[str, Any]:
        return {
            "model": {"name": self.source.name, "version": self.source.version, "alias": self.source.alias},
            "backend": self.chosen.backend.name,
            "fallback_reason": self.chosen.fallback_reason,
        }


Loader = Callable[[], ServedModel]


class ModelSlot:
    """The model, loaded once in the background at start-up; /ready says 503 until it is there."""

    def __init__(self) -> None:
        self.model: ServedModel | None = None
        self.error: str | None = None

    def load(self, loader: Loader) -> None:
        try:
            self.model = loader()
        except Exception as error:  # reported by /ready and the log; the process stays up, not ready
            self.error = f"{type(error).__name__}: {error}"
            log.error("model failed to load: %s", self.error)
            return
        described = self.model.describe()
        model = described["model"]
        log.info(
            "model %s version %s loaded; backend %s%s",
            model["name"],
            model["version"],
            described["backend"],
            f" ({described['fallback_reason']})" if described["fallback_reason"] else "",
        )


class BadRequestError(Exception):
    def __init__(self, status: int, reason: str, detail: str, errors: list[dict[str, str]] | None = None):
        super().__init__(detail)
        self.status, self.reason, self.detail, self.errors = status, reason, detail, errors or []


class Prediction(BaseModel):
    label: str
    probabilities: dict[str, float]


class ModelInfo(BaseModel):
    name: str
    version: str


class PredictionResponse(BaseModel):
    model: ModelInfo
    predictions: list[Prediction]


class FieldError(BaseModel):
    field: str
    message: str


class ErrorResponse(BaseModel):
    detail: str
    errors: list[FieldError] = []


def json_response(content: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type="application/json")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing (413) anything over limit bytes without reading more than that."""
    too_large = BadRequestError(
        413, "body_too_large", f"request body larger than {limit} bytes (serve.max_body_bytes)"
    )
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(
    contract: Contract, settings: ServeSettings, threshold: float, loader: Loader, delay_ms: float = 0.0
) -> FastAPI:
    """The service; `loader` runs once, in a background thread, when the app starts.

    delay_ms is for tests only: it adds that much latency to every /predict, to prove that the
    load-test gate fails a slow service.
    """
    record = record_model(contract)
    batch = batch_model(record, settings.max_batch_rows)
    known = known_categories(contract)
    positive, negative = contract.label.positive, contract.label.negative
    metrics = ServiceMetrics()
    slot = ModelSlot()
    counted = {label: metrics.predictions.labels(label) for label in (positive, negative)}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=slot.load, args=(loader,), name="model-loader", daemon=True).start()
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
    app.state.metrics = metrics

    def validate(payload: Any) -> list[dict[str, Any]]:
        if not isinstance(payload, dict):
            raise BadRequestError(
                422, "schema", 'body: expected a JSON object, one record or {"records": [...]}'
            )
        is_batch = "records" in payload
        try:
            if is_batch:
                records = payload["records"]
                if isinstance(records, list) and len(records) > settings.max_batch_rows:
                    raise BadRequestError(
                        413,
                        "batch_too_large",
                        f"records: {len(records)} records, more than {settings.max_batch_rows} "
                        "(serve.max_batch_rows)",
                    )
                batch.model_validate(payload)
                return records
            record.model_validate(payload)
            return [payload]
        except ValidationError as error:
            problems = error.errors(include_url=False, include_input=False)
            errors = [{"field": error_field(p["loc"]), "message": p["msg"]} for p in problems]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            reason = "empty_batch" if problems[0]["type"] == "too_short" else "schema"
            raise BadRequestError(
                422, reason, f"{errors[0]['field']}: {errors[0]['message']}{more}", errors
            ) from None

    @app.post(
        PREDICT,
        summary="Predict one record or a batch",
        response_model=PredictionResponse,
        responses={
            400: {"model": ErrorResponse, "description": "Malformed JSON (NaN and Infinity included)"},
            413: {"model": ErrorResponse, "description": "Body or batch over the configured limit"},
            422: {"model": ErrorResponse, "description": "A field is missing, extra or of the wrong type"},
            503: {"model": ErrorResponse, "description": "The model is not loaded yet"},
        },
        openapi_extra={
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
    )
    async def predict(request: Request) -> Response:
        served = slot.model
        if served is None:
            return json_response({"detail": "the model is not loaded yet", "errors": []}, 503)
        try:
            body = await read_body(request, settings.max_body_bytes)
            try:
                payload = orjson.loads(body)
            except orjson.JSONDecodeError as error:
                raise BadRequestError(400, "malformed_json", f"malformed JSON: {error}") from None
            records = validate(payload)
        except BadRequestError as bad:
            metrics.validation_failures.labels(bad.reason).inc()
            return json_response({"detail": bad.detail, "errors": bad.errors}, bad.status)
        for values in records:
            for column in unseen_categories(values, known):
                metrics.unseen_categories.labels(column).inc()
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        probabilities = served.chosen.backend.positive_probability(records).tolist()
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
        if positives:
            counted[positive].inc(positives)
        if len(predictions) - positives:
            counted[negative].inc(len(predictions) - positives)
        model = {"name": served.source.name, "version": served.source.version}
        return json_response({"model": model, "predictions": predictions})

    @app.get(HEALTH, summary="Liveness, with the model and backend once loaded")
    async def health() -> Response:
        served = slot.model
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
                [(record, "validation"), (batch, "validation")], ref_template="#/components/schemas/{model}"
            )
            schema.setdefault("components", {}).setdefault("schemas", {}).update(definitions["$defs"])
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(MetricsMiddleware, metrics=metrics)
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


class MetricsMiddleware:
    """Latency and counts of every HTTP request, by route (unknown paths count as "other")."""

    def __init__(self, app: Callable, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = scope["path"] if scope["path"] in ROUTES else "other"
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            self.metrics.observe_request(route, status, time.perf_counter() - started)
