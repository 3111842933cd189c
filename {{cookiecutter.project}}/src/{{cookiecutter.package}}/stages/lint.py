"""lint: ruff's lint rules and formatting check over the whole project."""

from __future__ import annotations

from ..config import Paths
from .tools import run_module


def run(paths: Paths) -> None:
    run_module("ruff", "check", ".", cwd=paths.root)
    run_module("ruff", "format", "--check", ".", cwd=paths.root)
