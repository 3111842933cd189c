"""The smoke test every rollout passes: the golden cases (data/golden.csv) through the service, each given
the class it must get, by the version that was meant to answer."""

from __future__ import annotations

from typing import Any

from ..io.datasets import GoldenCase


def payload(cases: list[GoldenCase]) -> dict[str, Any]:
    return {"records": [case.record for case in cases]}


def problems(status: int, answer: Any, cases: list[GoldenCase], version: str) -> list[str]:
    """What is wrong with a service's answer to the golden cases; empty when it passes."""
    if status != 200 or not isinstance(answer, dict):
        detail = answer.get("detail") if isinstance(answer, dict) else answer
        return [f"the golden cases got HTTP {status} ({detail})"]
    found = []
    if answer["model"]["version"] != version:
        found.append(f"version {answer['model']['version']} answered, not {version}")
    for case, prediction in zip(cases, answer["predictions"], strict=True):
        if prediction["label"] != case.expected:
            found.append(f"golden case '{case.name}': {prediction['label']}, expected {case.expected}")
    return found
