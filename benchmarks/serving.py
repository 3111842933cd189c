"""Throughput and latency of the generated service against `mlflow models serve` and a bare FastAPI endpoint.

The same trained model (models/model of a generated project after `repro`) is served three ways, each with
one worker on a free 127.0.0.1 port, and driven by the same load generator with the same settings and the
same one-record payload: locust headless, FastHttpUser, back-to-back requests.

- service: `<project> serve` (ONNX Runtime unless it fell back to scikit-learn)
- mlflow: `mlflow models serve -m models/model --env-manager local -w 1`
- bare: a FastAPI endpoint on uvicorn that returns a constant, the ceiling of any FastAPI service here

    python benchmarks/serving.py              # bakes the default project into build/bench-serving, trains it
    UV_PROJECT_ENVIRONMENT=<its venv> python benchmarks/serving.py --project build/income-classifier

With --project, the project's environment is UV_PROJECT_ENVIRONMENT when set, else <project>/.venv; without
it, the template's shared test venv. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from baking import BUILD, bake_into, project_env
from tools import QUIET_TOOLS, UV

HOST = "127.0.0.1"
PORT = "{port}"
TARGETS = {"rps_vs_mlflow": 20.0, "p99_vs_mlflow": 10.0, "rps_vs_bare": 0.6}

LOCUSTFILE = """
import os
from pathlib import Path

from locust import FastHttpUser, constant, task

PATH = os.environ["BENCH_PATH"]
BODY = Path(os.environ["BENCH_BODY"]).read_bytes()
HEADERS = {"Content-Type": "application/json"}


class Client(FastHttpUser):
    wait_time = constant(0)

    @task
    def predict(self):
        self.client.post(PATH, data=BODY, headers=HEADERS)
"""

BARE_APP = """
from fastapi import FastAPI

app = FastAPI()


@app.post("/predict")
async def predict():
    return {"label": "<=50K"}


@app.get("/ready")
async def ready():
    return {"ready": True}
"""

RECORD = """
import json, sys
import pandas as pd
from income_classifier.contract import load_contract
contract = load_contract(__import__("pathlib").Path("data/contract.yaml"))
row = pd.read_parquet("data/prepared/test.parquet").drop(columns=[contract.label.column]).iloc[0]
print(json.dumps({k: (None if pd.isna(v) else v.item() if hasattr(v, "item") else v) for k, v in row.items()}))
"""


@dataclass(frozen=True)
class Server:
    name: str
    command: list[str]
    ready_path: str
    predict_path: str
    body: bytes


@dataclass(frozen=True)
class Result:
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p99_ms: float

    @property
    def failure_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 1.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{url} not ready within {timeout_s:g} s")


@contextmanager
def serving(server: Server, port: int, cwd: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    url = f"http://{HOST}:{port}"
    with log.open("wb") as output:
        process = subprocess.Popen(server.command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_ready(url + server.ready_path, process, timeout_s=120)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def drive(python: Path, url: str, server: Server, args: argparse.Namespace, work: Path, env: dict[str, str]) -> Result:
    locustfile = work / "locustfile.py"
    locustfile.write_text(LOCUSTFILE)
    body = work / f"{server.name}.json"
    body.write_bytes(server.body)
    prefix = work / server.name
    command = [
        str(python), "-m", "locust", "-f", str(locustfile), "--headless", "--host", url,
        "--users", str(args.users), "--spawn-rate", str(args.spawn_rate), "--run-time", f"{args.duration}s",
        "--stop-timeout", "5", "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    locust_env = {**env, "BENCH_PATH": server.predict_path, "BENCH_BODY": str(body)}
    subprocess.run(command, env=locust_env, timeout=args.duration + 90, capture_output=True, check=False)
    with Path(f"{prefix}_stats.csv").open(newline="") as handle:
        total = next(row for row in csv.DictReader(handle) if row["Name"] == "Aggregated")
    return Result(
        requests=int(total["Request Count"]),
        failures=int(total["Failure Count"]),
        rps=float(total["Requests/s"]),
        p50_ms=float(total["50%"] or 0),
        p99_ms=float(total["99%"] or 0),
    )


def servers(project: Path, python: Path, record: dict, work: Path) -> list[Server]:
    """The three servers; PORT in a command stands for the free port each gets."""
    bin_dir = python.parent
    one = json.dumps(record).encode()
    (work / "bare_app.py").write_text(BARE_APP)
    return [
        Server(
            "service",
            [str(python), "-m", project_package(project), "serve", "--host", HOST, "--port", PORT],
            "/ready",
            "/predict",
            one,
        ),
        Server(
            "mlflow",
            [
                str(bin_dir / "mlflow"),
                "models",
                "serve",
                "-m",
                "models/model",
                "--env-manager",
                "local",
                "-w",
                "1",
                "-h",
                HOST,
                "-p",
                PORT,
            ],
            "/ping",
            "/invocations",
            json.dumps({"dataframe_records": [record]}).encode(),
        ),
        Server(
            "bare",
            [
                str(python),
                "-m",
                "uvicorn",
                "bare_app:app",
                "--app-dir",
                str(work),
                "--host",
                HOST,
                "--port",
                PORT,
                "--workers",
                "1",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            "/ready",
            "/predict",
            one,
        ),
    ]


def project_package(project: Path) -> str:
    return next(p.name for p in (project / "src").iterdir() if (p / "__init__.py").is_file())


def bake_and_train() -> Path:
    """The default project, set up in the shared venv and trained; its venv becomes this run's."""
    folder = BUILD / "bench-serving"
    subprocess.run(["rm", "-rf", str(folder)], check=True)
    project = bake_into(folder)
    env = project_env()
    for command in ([UV, "sync", "--locked"], [UV, "run", "--no-sync", project.name, "repro"]):
        subprocess.run(command, cwd=project, env=env, check=True, capture_output=True)
    os.environ["UV_PROJECT_ENVIRONMENT"] = env["UV_PROJECT_ENVIRONMENT"]
    return project


def main() -> int:
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--project", type=Path, help="a generated project after `repro` (default: bake one)")
    cli.add_argument("--users", type=int, default=20)
    cli.add_argument("--spawn-rate", type=float, default=20)
    cli.add_argument("--duration", type=int, default=20, help="seconds of load per server")
    args = cli.parse_args()
    if args.project is None:
        args.project = bake_and_train()
    project = args.project.resolve()
    venv = Path(os.environ.get("UV_PROJECT_ENVIRONMENT") or project / ".venv")
    python = venv / "bin" / "python"
    if not (project / "models" / "model" / "MLmodel").is_file():
        cli.error(f"{project}: no models/model; run `repro` in the project first")
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "MLFLOW_TRACKING_URI")}
    env.update(QUIET_TOOLS)
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env.get("PATH", "")])  # mlflow serve finds the venv

    found = subprocess.run(
        [str(python), "-c", RECORD], cwd=project, env=env, check=True, capture_output=True, text=True
    )
    record = json.loads(found.stdout)
    results: dict[str, Result] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for server in servers(project, python, record, work):
            port = free_port()
            server = replace(server, command=[part.replace(PORT, str(port)) for part in server.command])
            with serving(server, port, project, env, work / f"{server.name}.log") as url:
                results[server.name] = drive(python, url, server, args, work, env)

    print("| server | RPS | p50 | p99 | failure ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, result in results.items():
        print(
            f"| {name} | {result.rps:.0f} | {result.p50_ms:g} ms | {result.p99_ms:g} ms | {result.failure_ratio:.4f} |"
        )
    service, mlflow, bare = results["service"], results["mlflow"], results["bare"]
    ratios = [
        ("service RPS / mlflow RPS", service.rps / mlflow.rps, TARGETS["rps_vs_mlflow"], "x"),
        ("mlflow p99 / service p99", mlflow.p99_ms / max(service.p99_ms, 1.0), TARGETS["p99_vs_mlflow"], "x"),
        ("service RPS / bare RPS", service.rps / bare.rps, TARGETS["rps_vs_bare"], ""),
    ]
    print("\n| ratio | measured | target | met |")
    print("| --- | ---: | ---: | :---: |")
    for name, measured, target, unit in ratios:
        shown = f"{measured:.1f}x" if unit else f"{measured:.0%}"
        wanted = f">= {target:g}x" if unit else f">= {target:.0%}"
        print(f"| {name} | {shown} | {wanted} | {'yes' if measured >= target else 'NO'} |")
    print(
        f"\n{os.cpu_count()} cores, 1 worker each, locust FastHttpUser: {args.users} users, "
        f"spawn rate {args.spawn_rate:g}/s, {args.duration} s, one record per request"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
