"""serve: the prediction service (FastAPI on uvicorn, one worker) for the trained or a registered model.

The model is resolved before the server starts (a missing one is a one-line error), then loaded and
converted to ONNX in the background: /health answers at once, /ready once the model is there.
"""

from __future__ import annotations

import argparse
import logging

from ..config import MODEL_NAME, Paths
from ..contract import load_contract
from ..errors import UserError
from ..io import registry
from ..serving.app import ServedModel, create_app
from ..serving.backends import choose_backend
from ..settings import load_settings

DEFAULT_MODEL = "models/model"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help=f"a model folder (default: %(default)s) or registry URI: models:/{MODEL_NAME}@champion",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (default: %(default)s)")


def run(paths: Paths, model: str = DEFAULT_MODEL, host: str = "127.0.0.1", port: int = 8000) -> None:
    import uvicorn

    if not 0 <= port <= 65535:
        raise UserError(f"--port {port}: not a TCP port")
    settings = load_settings(paths.params)
    contract = load_contract(paths.contract)
    reference = registry.resolve(paths, model)

    def loader() -> ServedModel:
        pipeline = registry.load(reference).pipeline
        return ServedModel(reference, choose_backend(pipeline, contract, contract.input_columns()))

    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
    app = create_app(contract, settings.serve, settings.evaluate.threshold, loader)
    # One worker; no access log (it would cost more than a prediction); httptools and uvloop when installed.
    uvicorn.run(
        app, host=host, port=port, workers=1, access_log=False, log_level="info", timeout_graceful_shutdown=5
    )
