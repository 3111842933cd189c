"""The local deploy target's service: one long-running `<project> serve` process, detached from the command
that started it, with its pid file, log and admin token in deploy.local.state_dir (.deploy/); and a client
of the service."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from ..config import Paths
from ..errors import DeployError, RegistryError, UserError
from ..io import registry
from ..io.files import write_atomic
from ..io.tools import environment
from ..settings import LocalDeploySettings


@dataclass(frozen=True)
class ServiceClient:
    """The service's public routes and, with its token, its admin routes (serving/admin.py)."""

    url: str
    token: str = ""

    def call(self, method: str, path: str, body: Any = None, timeout: float = 30) -> tuple[int, Any]:
        """(HTTP status, decoded JSON or text); a connection that fails is a DeployError."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        if path.startswith("/admin"):
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(f"{self.url}{path}", data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, _decoded(response.read(), response.headers.get_content_type())
        except urllib.error.HTTPError as error:
            return error.code, _decoded(error.read(), error.headers.get_content_type())
        except (urllib.error.URLError, OSError) as error:
            raise DeployError(
                f"the service at {self.url} does not answer {method} {path} ({error})"
            ) from None

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        status, answer = self.call(method, f"/admin{path}", body)
        if status >= 400:
            detail = answer.get("detail") if isinstance(answer, dict) else answer
            raise DeployError(f"the service refused {method} /admin{path}: HTTP {status} ({detail})")
        return answer

    def serving(self) -> str | None:
        """The version the service's stable model is, or None when it is not ready."""
        status, answer = self.call("GET", "/ready", timeout=5)
        return answer["model"]["version"] if status == 200 else None

    def metrics(self) -> str:
        return self.call("GET", "/metrics")[1]


def _decoded(content: bytes, content_type: str) -> Any:
    return json.loads(content) if content_type == "application/json" and content else content.decode()


class LocalService:
    """The service process of the local target, as found on disk (its state_dir) and on its port."""

    def __init__(self, paths: Paths, settings: LocalDeploySettings) -> None:
        self.paths = paths
        self.settings = settings
        self.folder = folder = paths.deployment(settings.state_dir)
        self.pid_file, self.log, self.token_file, self.predictions = (
            folder / "service.pid",
            folder / "service.log",
            folder / "admin-token",
            folder / "predictions.jsonl",  # its sampled prediction log, which `monitor` reads
        )
        self.url = f"http://{settings.host}:{settings.port}"

    def require_folder(self) -> None:
        """Its state_dir, made if missing; a one-line error naming the setting when it cannot be."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            reason = error.strerror or str(error)
            setting = f"deploy.local.state_dir {self.settings.state_dir}"
            raise UserError(f"{setting}: cannot be made ({reason})") from None

    def pid(self) -> int | None:
        """The service's process id, when its pid file names a process that runs."""
        try:
            pid = int(self.pid_file.read_text())
        except (OSError, ValueError):
            return None
        return pid if alive(pid) else None

    def model(self, version: str) -> str:
        """Where the service loads a registered version from: a copy in its own folder, so that it never
        reads the store of the project (or CI job workspace) that deployed it."""
        try:
            return str(registry.export(self.paths, version, self.folder / "models"))
        except RegistryError as error:
            raise DeployError(str(error)) from None

    def prune(self, serving: str) -> None:
        """Remove the model copies of versions the service no longer serves."""
        for copy in (self.folder / "models").glob("v*"):
            if copy.name != f"v{serving}":
                shutil.rmtree(copy, ignore_errors=True)

    def client(self) -> ServiceClient:
        token = self.token_file.read_text().strip() if self.token_file.is_file() else ""
        return ServiceClient(self.url, token)

    def start(self, model: str, timeout_s: float) -> ServiceClient:
        """Start `serve` with model, detached, and wait until it is ready; a DeployError (and nothing left
        running) when it does not get there."""
        self.folder.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(32)
        write_atomic(self.token_file, lambda tmp: tmp.write_text(token))  # mkstemp's file: owner only
        command = [
            sys.executable, "-m", __package__.split(".")[0], "serve", "--model", model,
            "--host", self.settings.host, "--port", str(self.settings.port),
            "--admin-token-file", str(self.token_file),
            "--prediction-log", str(self.predictions),
        ]  # fmt: skip
        with self.log.open("ab") as log:
            process = subprocess.Popen(
                command,
                cwd=self.paths.root,
                env=environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # outlives the deploy command, like a daemon
            )
        client = ServiceClient(self.url, token)
        deadline = time.monotonic() + timeout_s
        while client_version(client) is None:
            if process.poll() is not None:
                raise DeployError(
                    f"the service exited with code {process.returncode} before it was ready "
                    f"(see {self.paths.shown(self.log)})"
                )
            if time.monotonic() > deadline:
                self._kill(process.pid)
                raise DeployError(
                    f"the service was not ready within {timeout_s:g} s (see {self.paths.shown(self.log)})"
                )
            time.sleep(0.05)
        write_atomic(self.pid_file, lambda tmp: tmp.write_text(str(process.pid)))
        return client

    def stop(self, grace_s: float = 10) -> bool:
        """Stop the service if it runs; whether there was one."""
        pid = self.pid()
        if pid is None:
            return False
        self._kill(pid, grace_s)
        self.pid_file.unlink(missing_ok=True)
        return True

    @staticmethod
    def _kill(pid: int, grace_s: float = 10) -> None:
        """SIGTERM (uvicorn shuts down gracefully), SIGKILL if the process is still there after grace_s."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + grace_s
            while time.monotonic() < deadline:
                if not alive(pid):
                    return
                time.sleep(0.1)


def alive(pid: int) -> bool:
    """Whether a process runs (a child of this process that exited is reaped, not taken for alive)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass  # not our child: the system reaps it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def client_version(client: ServiceClient) -> str | None:
    """The version a service serves, or None when it does not answer or is not ready."""
    try:
        return client.serving()
    except DeployError:
        return None
