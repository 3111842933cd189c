"""What /predict accepts: a bounded body, parsed with orjson (which rejects NaN and Infinity) and validated
with the request models derived from the data contract. Every bad request becomes one BadRequestError
naming the field, and the response models document both outcomes in OpenAPI."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from fastapi import Request, Response
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect

from ..contract import Contract
from ..core.request_schema import batch_model, error_field, record_model
from ..settings import ServeSettings

CLIENT_CLOSED = 499
"""The status counted for a request whose client disconnected (nginx's convention); nothing is sent."""


class BadRequestError(Exception):
    """A request refused with a 4xx: `reason` labels it in /metrics, `detail` says what is wrong."""

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
    warnings: list[str] = []
    """Values outside the data contract (a range, a category): predicted all the same, and counted."""


class FieldError(BaseModel):
    field: str
    message: str


class ErrorResponse(BaseModel):
    detail: str
    errors: list[FieldError] = []


def json_response(content: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type="application/json")


class RequestReader:
    """Reads /predict bodies into validated records, within the limits in params.yaml (serve:)."""

    def __init__(self, contract: Contract, settings: ServeSettings) -> None:
        self.settings = settings
        self.record = record_model(contract)
        self.batch = batch_model(self.record, settings.max_batch_rows)

    async def records(self, request: Request) -> list[dict[str, Any]]:
        timeout = self.settings.body_timeout_s
        try:
            body = await asyncio.wait_for(self.body(request), timeout)
        except TimeoutError:
            raise BadRequestError(
                408, "body_timeout", f"request body not received within {timeout:g} s (serve.body_timeout_s)"
            ) from None
        except ClientDisconnect:
            # The client went away before sending its whole body: its error, not the service's.
            raise BadRequestError(CLIENT_CLOSED, "client_disconnected", "the client disconnected") from None
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise BadRequestError(400, "malformed_json", f"malformed JSON: {error}") from None
        return self.validate(payload)

    async def body(self, request: Request) -> bytes:
        """The body, refusing (413) anything over the limit without reading more than that."""
        limit = self.settings.max_body_bytes
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

    def validate(self, payload: Any) -> list[dict[str, Any]]:
        if not isinstance(payload, dict):
            raise BadRequestError(
                422, "schema", 'body: expected a JSON object, one record or {"records": [...]}'
            )
        try:
            if "records" not in payload:
                self.record.model_validate(payload)
                return [payload]
            records = payload["records"]
            limit = self.settings.max_batch_rows
            if isinstance(records, list) and len(records) > limit:
                raise BadRequestError(
                    413,
                    "batch_too_large",
                    f"records: {len(records)} records, more than {limit} (serve.max_batch_rows)",
                )
            self.batch.model_validate(payload)
            return records
        except ValidationError as error:
            problems = error.errors(include_url=False, include_input=False)
            errors = [{"field": error_field(p["loc"]), "message": p["msg"]} for p in problems]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            reason = "empty_batch" if problems[0]["type"] == "too_short" else "schema"
            raise BadRequestError(
                422, reason, f"{errors[0]['field']}: {errors[0]['message']}{more}", errors
            ) from None
