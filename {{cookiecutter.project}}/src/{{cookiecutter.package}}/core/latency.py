"""Prediction latency of several models, measured side by side.

The best of many timed calls is a model's own cost: a busy machine (a shared CI runner, thread
pools waiting for a core) only ever adds to it, so the minimum compares models fairly where a
median would compare the machine's load at two moments.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def best_ms(calls: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Fastest milliseconds per call of each callable, calls interleaved round by round after a warm-up."""
    for call in calls.values():
        call()
    best = dict.fromkeys(calls, float("inf"))
    for _ in range(repeats):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            best[name] = min(best[name], (time.perf_counter() - started) * 1000)
    return {name: round(value, 3) for name, value in best.items()}
