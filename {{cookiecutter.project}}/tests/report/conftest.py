"""A STAND-IN forge: a stateful HTTP server on 127.0.0.1 that speaks the parts of the GitHub REST API (v3) and
the GitLab REST API (v4) that posting the report uses. It is not GitHub nor GitLab; its wire format is checked
once against PyGithub and python-gitlab (test_forge.py). Lists are served two items a page, so every test
that posts walks several pages.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

PAGE_SIZE = 2
BOT = "github-actions[bot]"
"""Who comments with a workflow's GITHUB_TOKEN; that token cannot read GET /user (403)."""
TOKENS = {
    "actions-token": BOT,
    "jenkins-token": "jenkins-bot",
    "gitlab-token": "report-bot",
    "reviewer-token": "reviewer",
}


@dataclass
class Fault:
    """Answer `count` requests matching method and path with status (and headers) instead."""

    method: str
    path: str
    status: int
    count: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0
    body: str | None = None
    """The answer's body as is (default: a JSON message)."""
    performed: bool = False
    """Carry the request out, then answer with status instead (a proxy that lost the answer)."""


@dataclass
class Forge:
    url: str
    BOT: ClassVar[str] = BOT
    heads: dict[str, str] = field(default_factory=dict)
    """Head commit per thread ("github:owner/repo#1", "gitlab:7!1")."""
    comments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    next_id: int = 100

    def add(self, thread: str, author: str, body: str, system: bool = False) -> int:
        """A comment already on the thread, as if someone had written it."""
        self.next_id += 1
        self.comments.setdefault(thread, []).append(
            {"id": self.next_id, "author": author, "body": body, "system": system}
        )
        return self.next_id

    def fail(self, method: str, path: str, status: int, count: int = 1, **more: Any) -> None:
        """Answer the next `count` requests matching method and path (a regex) with status instead."""
        self.faults.append(Fault(method, path, status, count, **more))

    def bodies(self, thread: str, author: str | None = None) -> list[str]:
        return [c["body"] for c in self.comments.get(thread, []) if author is None or c["author"] == author]


def _handler(forge: Forge) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self._send_raw(status, data, {"Content-Type": "application/json", **(headers or {})})

        def _send_raw(self, status: int, data: bytes, headers: dict[str, str]) -> None:
            if (lost := getattr(self, "lost", None)) is not None:  # carried out; the answer replaced
                status, data, headers, self.lost = lost.status, b'{"message": "lost"}', {}, None
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            for key, value in {"Content-Type": "text/html", **headers}.items():
                self.send_header(key, value)
            try:
                self.end_headers()
                self.wfile.write(data)
            except ConnectionError:  # the client gave up waiting (a delayed fault): nothing to answer
                self.close_connection = True

        def _user(self) -> str | None:
            auth = self.headers.get("Authorization", "")
            token = self.headers.get("PRIVATE-TOKEN") or re.sub(r"^(token|Bearer) ", "", auth)
            return TOKENS.get(token)

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"{}")

        def _page(self, items: list[Any], url: urllib.parse.SplitResult) -> None:
            query = urllib.parse.parse_qs(url.query)
            page = int(query.get("page", ["1"])[0])
            chunk = items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            headers = {}
            if page * PAGE_SIZE < len(items):
                query["page"] = [str(page + 1)]
                next_url = f"{forge.url}{url.path}?{urllib.parse.urlencode(query, doseq=True)}"
                headers = {"Link": f'<{next_url}>; rel="next"', "X-Next-Page": str(page + 1)}
            self._send(200, chunk, headers)

        def _handle(self, method: str) -> None:
            url = urllib.parse.urlsplit(self.path)
            forge.requests.append((method, url.path))
            self.lost: Fault | None = None
            for fault in forge.faults:
                if fault.count > 0 and fault.method == method and re.fullmatch(fault.path, url.path):
                    fault.count -= 1
                    if fault.performed:
                        self.lost = fault
                        break
                    time.sleep(fault.delay_s)
                    if fault.body is not None:
                        return self._send_raw(fault.status, fault.body.encode(), fault.headers)
                    return self._send(
                        fault.status, {"message": f"stand-in fault {fault.status}"}, fault.headers
                    )
            user = self._user()
            if user is None:
                return self._send(401, {"message": "Bad credentials"})
            path = url.path
            if match := re.fullmatch(r"/api/v3/user", path):
                if user == BOT:
                    return self._send(403, {"message": "Resource not accessible by integration"})
                return self._send(200, {"login": user, "id": 1})
            if re.fullmatch(r"/api/v4/user", path):
                return self._send(200, {"username": user, "id": 1})
            if match := re.fullmatch(r"/api/v3/repos/([^/]+/[^/]+)", path):
                return self._send(200, {"full_name": match[1], "url": f"{forge.url}{path}"})
            if match := re.fullmatch(r"/api/v3/repos/([^/]+/[^/]+)/issues/(\d+)", path):
                if f"github:{match[1]}#{match[2]}" not in forge.heads:
                    return self._send(404, {"message": "Not Found"})
                return self._send(200, {"number": int(match[2]), "url": f"{forge.url}{path}"})
            if match := re.fullmatch(r"/api/v3/repos/([^/]+/[^/]+)/pulls/(\d+)", path):
                head = forge.heads.get(f"github:{match[1]}#{match[2]}")
                if head is None:
                    return self._send(404, {"message": "Not Found"})
                return self._send(200, {"number": int(match[2]), "head": {"sha": head}})
            if match := re.fullmatch(r"/api/v4/projects/([^/]+)/merge_requests/(\d+)", path):
                head = forge.heads.get(f"gitlab:{urllib.parse.unquote(match[1])}!{match[2]}")
                if head is None:
                    return self._send(404, {"message": "404 Not found"})
                return self._send(200, {"iid": int(match[2]), "sha": head})
            if match := re.fullmatch(r"/api/v3/repos/([^/]+/[^/]+)/issues/(\d+)/comments", path):
                return self._thread(method, f"github:{match[1]}#{match[2]}", user, url)
            if match := re.fullmatch(r"/api/v4/projects/([^/]+)/merge_requests/(\d+)/notes", path):
                return self._thread(method, f"gitlab:{urllib.parse.unquote(match[1])}!{match[2]}", user, url)
            if match := re.fullmatch(r"/api/v3/repos/([^/]+/[^/]+)/issues/comments/(\d+)", path):
                return self._one(method, "github", int(match[2]), user)
            if match := re.fullmatch(r"/api/v4/projects/([^/]+)/merge_requests/(\d+)/notes/(\d+)", path):
                return self._one(method, "gitlab", int(match[3]), user)
            return self._send(404, {"message": f"the stand-in does not serve {method} {path}"})

        def _shown(self, forge_name: str, comment: dict[str, Any]) -> dict[str, Any]:
            if forge_name == "github":
                thread = next(name for name, items in forge.comments.items() if comment in items)
                repo = thread.split(":")[1].split("#")[0]
                return {
                    "id": comment["id"],
                    "url": f"{forge.url}/api/v3/repos/{repo}/issues/comments/{comment['id']}",
                    "body": comment["body"],
                    "user": {"login": comment["author"]},
                }
            return {
                "id": comment["id"],
                "body": comment["body"],
                "author": {"username": comment["author"]},
                "system": comment["system"],
            }

        def _thread(self, method: str, thread: str, user: str, url: urllib.parse.SplitResult) -> None:
            name = thread.split(":")[0]
            if forge.heads.get(thread) is None:
                return self._send(404, {"message": "Not Found"})
            items = forge.comments.setdefault(thread, [])
            if method == "GET":
                return self._page([self._shown(name, c) for c in items], url)
            if method == "POST":
                body = self._body().get("body")
                if not body:
                    return self._send(422, {"message": "body is missing"})
                forge.next_id += 1
                comment = {"id": forge.next_id, "author": user, "body": body, "system": False}
                items.append(comment)
                return self._send(201, self._shown(name, comment))
            return self._send(405, {"message": "Method Not Allowed"})

        def _one(self, method: str, forge_name: str, comment_id: int, user: str) -> None:
            for thread, items in forge.comments.items():
                for comment in items:
                    if comment["id"] == comment_id and thread.startswith(forge_name):
                        if method in ("PATCH", "PUT", "DELETE") and comment["author"] != user:
                            return self._send(403, {"message": "not your comment"})
                        if method in ("PATCH", "PUT"):
                            comment["body"] = self._body()["body"]
                            return self._send(200, self._shown(forge_name, comment))
                        if method == "DELETE":
                            items.remove(comment)
                            return self._send(204)
                        return self._send(200, self._shown(forge_name, comment))
            return self._send(404, {"message": "Not Found"})

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

        def do_PUT(self) -> None:
            self._handle("PUT")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

    return Handler


class _Server(ThreadingHTTPServer):
    """Stopping closes every connection still open (a client's kept-alive one, or one whose client gave up
    on a delayed answer) and waits for their threads: none outlives its test to write, or print, into the
    next one."""

    daemon_threads = False  # so that server_close joins them

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.connections: set[socket.socket] = set()

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.connections.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        for connection in list(self.connections):
            with suppress(OSError):  # closed meanwhile
                connection.shutdown(socket.SHUT_RDWR)
        super().server_close()


@contextmanager
def serving() -> Iterator[Forge]:
    """A stand-in forge on a free 127.0.0.1 port, stopped on leaving, its answers under way included. The
    template's own CI tests start it from this file too, for the report jobs of its GitHub and GitLab
    front-ends."""
    state = Forge(url="")
    server = _Server(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    # shutdown() waits for serve_forever's next poll: 0.5 s by default, in every test's teardown.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def forge() -> Iterator[Forge]:
    with serving() as state:
        yield state


@pytest.fixture
def stand_in() -> Callable[[], AbstractContextManager[Forge]]:
    """`serving` itself, for the test of how the stand-in stops."""
    return serving
