"""The project's one entry point: `<project> <stage>`; each stage is a module in stages/."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from .config import PROJECT, Paths
from .errors import StageError, UserError

STAGES = {
    "prepare": "load the raw data and split it into train and test sets",
    "train": "fit the model from params.yaml and register it in MLflow",
    "evaluate": "score the model on the test set; write metrics and plot data",
    "pipeline": "run every stage in CI's order, skipping what has not changed (dvc repro)",
}


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog=PROJECT, description=__doc__)
    commands = cli.add_subparsers(dest="stage", required=True, metavar="stage")
    for name, help_text in STAGES.items():
        commands.add_parser(name, help=help_text, description=help_text)
    return cli


def main(argv: Sequence[str] | None = None) -> int:
    """Run one stage; returns the process exit code (0 ok, 2 for a user error)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    args = parser().parse_args(argv)
    stage = importlib.import_module(f".stages.{args.stage}", __package__)
    try:
        stage.run(Paths.here())
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except StageError as error:
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    return 0
