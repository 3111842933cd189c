"""Wall time of what a new user does: generate a project, set it up, run its pipeline; then a no-op rerun.

cold: an empty uv cache (every package downloaded from the index) and a new venv.
warm: the machine's uv cache, a new venv.
no-op: `pipeline` again in the warm project (lint and tests run again, DVC finds nothing changed),
and `repro` alone, which is DVC's no-op.
A project is on its default branch, so `pipeline` ends by deploying it as a local service: stopped after
each run (`deploy --stop`, not timed), so that the next project's deploy finds the port free.

Run with `make bench`; prints a Markdown table.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from baking import bake_into
from tools import QUIET_TOOLS, UV


def timed(step, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = step(*args)
    return time.perf_counter() - started, result


def run(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-30:])
        raise SystemExit(f"{' '.join(command)}: exit code {result.returncode}\n{tail}")


def pipeline(project: Path, env: dict[str, str]) -> float:
    """`pipeline`'s wall time; the service its deploy started is stopped afterwards, also when it failed."""
    try:
        return timed(run, [UV, "run", "--no-sync", project.name, "pipeline"], project, env)[0]
    finally:
        run([UV, "run", "--no-sync", project.name, "deploy", "--stop"], project, env)


def generate_setup_pipeline(workdir: Path, env: dict[str, str]) -> tuple[dict[str, float], Path]:
    seconds: dict[str, float] = {}
    seconds["generate"], project = timed(bake_into, workdir)
    seconds["setup"], _ = timed(run, [UV, "sync", "--locked"], project, env)
    seconds["pipeline"] = pipeline(project, env)
    return seconds, project


def main() -> int:
    base = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "MLFLOW_TRACKING_URI")}
    base.update(QUIET_TOOLS)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cold_env = {**base, "UV_CACHE_DIR": str(Path(tmp) / "uv-cache")}
        cold, _ = generate_setup_pipeline(Path(tmp) / "cold", cold_env)
        rows.append(("cold (empty uv cache)", cold))
        warm, project = generate_setup_pipeline(Path(tmp) / "warm", base)
        rows.append(("warm (uv cache filled)", warm))
        rows.append(("no-op rerun of pipeline", {"generate": 0.0, "setup": 0.0, "pipeline": pipeline(project, base)}))
        noop, _ = timed(run, [UV, "run", "--no-sync", project.name, "repro"], project, base)
        rows.append(("no-op rerun of repro", {"generate": 0.0, "setup": 0.0, "pipeline": noop}))

    print("| run | generate | setup (uv sync) | pipeline | total |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, seconds in rows:
        cells = [f"{seconds[step]:.1f} s" for step in ("generate", "setup", "pipeline")]
        print(f"| {name} | {' | '.join(cells)} | {sum(seconds.values()):.1f} s |")
    print(f"\n{os.cpu_count()} cores, Python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
