"""Validation speed and memory: the shipped data and a 1,000,000-row synthetic copy, next to the other stages.

Each stage runs as the CLI command a user or CI runs (process start, imports and all), in a baked
default project using the template's shared venv. Peak memory is the child process's max RSS.
The 1M-row copy is a seeded bootstrap sample of the shipped rows, so it passes every check.

Run with `make bench`; prints a Markdown table.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from baking import DEFAULTS, bake_into, project_env
from tools import UV

ROWS = 1_000_000


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one command, run in a fresh child process."""
    wrapper = [sys.executable, "-c", "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True);"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)", *command]  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(wrapper, cwd=cwd, env=env, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    return seconds, int(result.stdout.strip().splitlines()[-1]) / 1024


def main() -> int:
    env = project_env()
    with tempfile.TemporaryDirectory() as tmp:
        project = bake_into(Path(tmp))
        subprocess.run([UV, "sync", "--locked", "-q"], cwd=project, env=env, check=True)
        cli = [str(Path(env["UV_PROJECT_ENVIRONMENT"]) / "bin" / DEFAULTS["project"])]
        raw = project / "data" / "raw" / "adult.csv"
        big = Path(tmp) / "adult-1m.csv"
        header, *lines = raw.read_text().splitlines(keepends=True)
        big.write_text(header + "".join(random.Random(0).choices(lines, k=ROWS)))
        shipped_rows = len(lines)
        rows = []
        for name, command, count in [
            ("validate (shipped data)", [*cli, "validate"], shipped_rows),
            ("validate (1M-row copy)", [*cli, "validate", "--data", str(big)], ROWS),
            ("prepare", [*cli, "prepare"], shipped_rows),
            ("train", [*cli, "train"], shipped_rows),
            ("evaluate", [*cli, "evaluate"], shipped_rows),
        ]:
            seconds, peak = measure(command, project, env)
            rows.append((name, count, seconds, peak))

    print("| stage | rows | wall time | rows/s | peak memory |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, count, seconds, peak in rows:
        print(f"| {name} | {count:,} | {seconds:.1f} s | {count / seconds:,.0f} | {peak:,.0f} MiB |")
    print(f"\n{os.cpu_count()} cores; each stage in its own process (imports included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
