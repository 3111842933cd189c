"""The service on a real socket: clients that stop sending or go away are their own errors, counted as such,
with no traceback and no 5xx; the service keeps answering others."""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from urllib.parse import urlsplit

from {{ cookiecutter.package }}.serving.app import create_app


def metric(url: str, line_start: str) -> float:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(line_start):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def send_part(url: str, declared: int, body: bytes) -> socket.socket:
    """Open a connection and send a /predict request whose body is shorter than its Content-Length."""
    address = urlsplit(url)
    connection = socket.create_connection((address.hostname, address.port), timeout=10)
    connection.sendall(
        b"POST /predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {declared}\r\n\r\n".encode()
        + body
    )
    return connection


def reply_to(connection: socket.socket) -> str:
    """The whole HTTP reply: headers and body may come in separate segments, so read until the body that
    Content-Length announces is in (within the socket's timeout)."""
    received = b""
    while b"\r\n\r\n" not in received or len(received.partition(b"\r\n\r\n")[2]) < _length(received):
        chunk = connection.recv(4096)
        if not chunk:
            break
        received += chunk
    return received.decode()


def _length(received: bytes) -> int:
    for line in received.partition(b"\r\n\r\n")[0].decode().lower().splitlines():
        if line.startswith("content-length:"):
            return int(line.split(":", 1)[1])
    return 0


def predict(url: str, record: dict) -> int:
    request = urllib.request.Request(
        f"{url}/predict", data=json.dumps(record).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_a_client_that_disconnects_mid_body_is_counted_as_its_own_error(
    live_app, contract, settings, served, records, capfd
):
    url = live_app(create_app(contract, settings.serve, settings.evaluate.threshold, lambda: served))
    assert predict(url, records[0]) == 200

    send_part(url, declared=1000, body=b'{"age": 3').close()
    deadline = time.monotonic() + 10
    while not metric(url, 'http_requests_total{route="/predict",status="499"}'):
        assert time.monotonic() < deadline, "the disconnected request was never counted"
        time.sleep(0.05)

    assert metric(url, 'input_validation_failures_total{reason="client_disconnected"}') == 1
    assert not metric(url, 'http_requests_total{route="/predict",status="500"}')
    assert predict(url, records[0]) == 200
    assert "Traceback" not in capfd.readouterr().err


def test_a_body_that_does_not_arrive_in_time_gets_a_408(live_app, contract, settings, served, records):
    config = settings.serve.model_copy(update={"body_timeout_s": 0.5})
    url = live_app(create_app(contract, config, settings.evaluate.threshold, lambda: served))

    connection = send_part(url, declared=1000, body=b'{"age": 3')
    with connection:
        reply = reply_to(connection)

    assert reply.startswith("HTTP/1.1 408 ")
    assert "request body not received within 0.5 s (serve.body_timeout_s)" in reply
    assert metric(url, 'input_validation_failures_total{reason="body_timeout"}') == 1
    assert predict(url, records[0]) == 200
