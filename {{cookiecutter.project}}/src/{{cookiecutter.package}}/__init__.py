"""Validate, prepare, train, evaluate, compare and serve this project's model; `cli` is the entry point."""

from . import config  # noqa: F401  (switches the tools' telemetry off before any of them is imported)
