"""The deployment routes, on /admin, for `deploy` and `rollback` to drive a running service: stage a
candidate model beside the stable one, try it, give it a share of requests (a canary), promote it (an
atomic swap) or withdraw it, and revert to the previous model.

They exist only when the service was started with an admin token (`serve --admin-token-file`), answer
only requests that carry it (`Authorization: Bearer <token>`), and are not in the OpenAPI document.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import orjson
from fastapi import FastAPI, Request, Response

from .models import Loader, Models, ServedModel
from .requests import json_response

ADMIN = "/admin"


@dataclass(frozen=True)
class Admin:
    token: str
    loader_for: Callable[[str], Loader]
    """The loader of a model reference (a registry URI or a folder), resolved when it runs."""


Answer = Callable[[ServedModel | None, Request], Awaitable[Response]]


def add_admin_routes(app: FastAPI, models: Models, admin: Admin, answer: Answer) -> None:
    def authorised(request: Request) -> bool:
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {admin.token}".encode())

    def route(method: str, path: str) -> Callable:
        def decorate(handler: Callable[[Request], Awaitable[Response]]) -> None:
            async def guarded(request: Request) -> Response:
                if not authorised(request):
                    return json_response({"detail": "admin token missing or wrong"}, 401)
                return await handler(request)

            app.add_api_route(f"{ADMIN}{path}", guarded, methods=[method], include_in_schema=False)

        return decorate

    async def body(request: Request) -> dict:
        try:
            found = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            found = None
        return found if isinstance(found, dict) else {}

    @route("GET", "/models")
    async def describe(_: Request) -> Response:
        return json_response(models.describe())

    @route("PUT", "/candidate")
    async def stage(request: Request) -> Response:
        reference = (await body(request)).get("model")
        if not isinstance(reference, str) or not reference:
            return json_response({"detail": 'expected {"model": "<registry URI or folder>"}'}, 422)
        models.stage(admin.loader_for(reference))
        return json_response(models.describe(), 202)

    @route("DELETE", "/candidate")
    async def withdraw(_: Request) -> Response:
        models.withdraw()
        return json_response(models.describe())

    @route("POST", "/candidate/predict")
    async def try_candidate(request: Request) -> Response:
        return await answer(models.candidate.model if models.candidate else None, request)

    @route("PUT", "/share")
    async def share(request: Request) -> Response:
        value = (await body(request)).get("share")
        if not isinstance(value, int | float) or not 0 <= value <= 1:
            return json_response({"detail": 'expected {"share": <a number from 0 to 1>}'}, 422)
        if models.candidate is None or models.candidate.model is None:
            return json_response({"detail": "no loaded candidate to give a share to"}, 409)
        models.share = float(value)
        return json_response(models.describe())

    @route("POST", "/promote")
    async def promote(_: Request) -> Response:
        try:
            models.promote()
        except LookupError as error:
            return json_response({"detail": str(error)}, 409)
        return json_response(models.describe())

    @route("POST", "/revert")
    async def revert(_: Request) -> Response:
        try:
            models.revert()
        except LookupError as error:
            return json_response({"detail": str(error)}, 409)
        return json_response(models.describe())

    @route("DELETE", "/previous")
    async def forget(_: Request) -> Response:
        models.previous = None
        return json_response(models.describe())
