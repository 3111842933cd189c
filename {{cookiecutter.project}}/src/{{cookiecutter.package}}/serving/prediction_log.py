"""The sampled prediction log: some requests' inputs and outputs as JSON Lines, bounded in size and rotated.

One line per record of a sampled request: when, the request id (the client's X-Request-ID, else one the
service made; both are sent back in that header), the record's index in the batch, the model version, the
inputs, the probability and the label. `monitor` reads it (with the rotated files) against the champion's
training data and, when delayed labels arrive, joins them on the request id.
"""

from __future__ import annotations

import contextlib
import logging
import random
import re
import sys
import time
import uuid
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger(__name__)

REQUEST_ID = "X-Request-ID"
VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id(given: str | None) -> str:
    """The client's request id when it is a sensible one, else a new one."""
    return given if given and VALID_ID.match(given) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Gives every HTTP request its id (request_id of the client's X-Request-ID), in the request's state for
    the handlers, and sends it back on every response, errors included: a client can quote it either way.
    An unhandled exception before the response started is answered here, a 500 with the id (then raised on
    for the server's error log), not by Starlette's outer error handler, which would send no id."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(REQUEST_ID.lower().encode())
        found = request_id(given.decode("latin-1") if given else None)
        scope.setdefault("state", {})["request_id"] = found

        started = False

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [*message.get("headers", []), (REQUEST_ID.lower().encode(), found.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if not started:
                body = orjson.dumps({"detail": f"internal server error (request id {found})"})
                headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
                await send_with_id({"type": "http.response.start", "status": 500, "headers": headers})
                await send_with_id({"type": "http.response.body", "body": body})
            raise


def files(path: Path) -> list[Path]:
    """The log and its rotated predecessors (path.1 ... path.N), oldest first."""
    rotated = [p for p in path.parent.glob(f"{path.name}.*") if p.suffix[1:].isdigit()]  # not .bak, .gz
    return sorted(rotated, key=lambda p: -int(p.suffix[1:])) + ([path] if path.is_file() else [])


class _LogFile(RotatingFileHandler):
    """A rotating file whose failed writes (a full disk) are counted and said once a minute in the service's
    log, not each with logging's traceback: the service answers on, without its log for a while."""

    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        super().__init__(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        self.failures = 0
        self.said_at = -60.0

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        self.failures += 1
        if self.stream is not None:  # bytes left in its buffer would fail again at close: dropped, reopened
            with contextlib.suppress(OSError):
                self.stream.close()
            self.stream = None  # type: ignore[assignment]
        if time.monotonic() - self.said_at >= 60:
            self.said_at = time.monotonic()
            error, where = sys.exc_info()[1], self.baseFilename
            log.warning("prediction log %s: a write failed (%d so far): %s", where, self.failures, error)


class PredictionLog:
    """Writes a `sample_rate` share of requests to `path`, rotated past `max_bytes` into `backups` files;
    a request's lines in one write."""

    def __init__(self, path: Path, sample_rate: float, max_bytes: int, backups: int, seed: int | None = None):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.sample_rate = sample_rate
        self.random = random.Random(seed)
        self.logger = logging.Logger(f"predictions:{path}")  # not in logging's tree: nothing propagates
        self.file = _LogFile(path, max_bytes, backups)
        self.file.setFormatter(logging.Formatter("%(message)s"))
        self.logger.addHandler(self.file)

    def record(
        self,
        request: str,
        version: str,
        records: list[dict[str, Any]],
        probabilities: list[float],
        labels: list[str],
    ) -> None:
        if self.sample_rate <= 0 or self.random.random() >= self.sample_rate:
            return
        now = round(time.time(), 3)
        rows = enumerate(zip(records, probabilities, labels, strict=True))
        lines = [
            orjson.dumps(
                {
                    "time": now,
                    "request_id": request,
                    "index": index,
                    "model_version": version,
                    "inputs": inputs,
                    "probability": round(probability, 6),
                    "label": label,
                }
            )
            for index, (inputs, probability, label) in rows
        ]
        self.logger.info(b"\n".join(lines).decode())  # one write, one rotation check

    def close(self) -> None:
        for handler in self.logger.handlers:
            handler.close()
