"""The model fits where it will run: its size, its prediction latency and the memory it takes to load."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def median_ms(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def test_model_size_on_disk(shipped, gates):
    size_mb = sum(path.stat().st_size for path in shipped.model.rglob("*") if path.is_file()) / 2**20
    assert size_mb <= gates.max_model_mb, f"model is {size_mb:.1f} MB, budget {gates.max_model_mb} MB"


def test_latency_of_one_row(model, test, gates):
    row = test.head(1)
    model.predict_proba(row)  # warm up
    latency = median_ms(lambda: model.predict_proba(row), repeat=50)
    assert latency <= gates.max_latency_ms_row, (
        f"{latency:.1f} ms per row, budget {gates.max_latency_ms_row} ms"
    )


def test_latency_of_a_batch(model, test, gates):
    batch = test.sample(n=1000, replace=True, random_state=0)
    latency = median_ms(lambda: model.predict_proba(batch), repeat=5)
    assert latency <= gates.max_latency_ms_batch, (
        f"{latency:.1f} ms per 1,000 rows, budget {gates.max_latency_ms_batch} ms"
    )


def test_memory_to_load_the_model(shipped, gates):
    script = (
        "import resource, sys\n"
        "from {{ cookiecutter.package }}.io.model_files import load\n"
        "load(__import__('pathlib').Path(sys.argv[1]))\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(shipped.model)], capture_output=True, text=True, check=True
    )
    peak_mb = int(result.stdout.strip().splitlines()[-1]) / 1024
    assert peak_mb <= gates.max_load_mb, f"loading takes {peak_mb:.0f} MB, budget {gates.max_load_mb} MB"
