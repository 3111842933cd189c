"""The project's one entry point: `<project> <stage>`; each stage is a module in stages/."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .config import MODEL_NAME, PROJECT, Paths
from .errors import StageError, UserError

STAGES = {
    "validate": "check data against the contract and the reference profile (a DVC stage, CI's first)",
    "profile": "record the raw data's distributions as the value-skew reference (data/reference.json)",
    "prepare": "load the raw data and split it into train and test sets (a DVC stage)",
    "train": "fit the model from params.yaml and register it in MLflow (a DVC stage)",
    "evaluate": "score the model on the test set; write metrics and plot data (a DVC stage)",
    "lint": "ruff lint and format check (CI stage)",
    "test": "the project's tests, with a JUnit report in reports/junit/ (CI stage)",
    "repro": "prepare -> train -> evaluate via dvc repro, skipping what has not changed (CI stage)",
    "model-tests": "the trained model's quality, training, behaviour and cost gates (CI stage)",
    "compare": "the new model against the registry's champion: promote, keep or first (CI stage)",
    "report": "gather test results, metrics and the comparison into reports/summary.md (CI stage)",
    "promote": "move the champion alias to the compared model if compare said so; main only (CI stage)",
    "pipeline": "every CI stage in CI's order: what CI runs, in one command",
    "serve": "the prediction service: POST /predict, GET /health, /ready, /metrics, docs on /docs",
    "loadtest": "load-test the service with the trained model; fail on a missed SLO (CI stage)",
}

TEST_ONLY_DELAY = "TEST ONLY: add this many milliseconds to every /predict (proves the load-test gate fails)"


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog=PROJECT, description=__doc__)
    commands = cli.add_subparsers(dest="stage", required=True, metavar="stage")
    for name, help_text in STAGES.items():
        command = commands.add_parser(name, help=help_text, description=help_text)
        if name == "pipeline":
            command.add_argument("--list", action="store_true", help="print the CI stages in order and exit")
        if name == "validate":
            command.add_argument("--data", type=Path, help="the CSV file to check (default: the raw data)")
        if name == "serve":
            command.add_argument(
                "--model",
                default="models/model",
                help=f"a model folder (default: %(default)s) or registry URI: models:/{MODEL_NAME}@champion",
            )
            command.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
            command.add_argument("--port", type=int, default=8000, help="port to bind (default: %(default)s)")
        if name in ("serve", "loadtest"):
            command.add_argument("--delay-ms", type=float, default=0, metavar="MS", help=TEST_ONLY_DELAY)
    return cli


def main(argv: Sequence[str] | None = None) -> int:
    """Run one stage; returns the process exit code (0 ok, 2 for a user error)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    args = parser().parse_args(argv)
    stage = importlib.import_module(f".stages.{args.stage.replace('-', '_')}", __package__)
    options = {key: value for key, value in vars(args).items() if key != "stage"}
    if options.pop("list", False):
        print("\n".join(stage.STAGES))
        return 0
    try:
        stage.run(Paths.here(), **options)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except StageError as error:
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    return 0
