"""lint: ruff's lint rules and formatting check over the whole project."""

from __future__ import annotations

from pathlib import Path

from ..config import Paths
from ..io.tools import run_module

READS: tuple[str, ...] = ()


def outputs(paths: Paths) -> list[Path]:
    return []


def run(paths: Paths) -> None:
    run_module("ruff", "check", ".", cwd=paths.root)
    run_module("ruff", "format", "--check", ".", cwd=paths.root)
