"""serve: the prediction service (FastAPI on uvicorn, one worker) for the trained or a registered model.

The model is resolved before the server starts (a missing one is a one-line error), then loaded and
converted to ONNX in the background: /health answers at once, /ready once the model is there.
"""

from __future__ import annotations

import logging

from ..config import Paths
from ..contract import load_contract
from ..core.request_schema import request_columns
from ..errors import UserError
from ..serving import model_source
from ..serving.app import ServedModel, create_app
from ..serving.backends import choose_backend
from ..settings import load_settings

DEFAULT_MODEL = "models/model"


def run(
    paths: Paths, model: str = DEFAULT_MODEL, host: str = "127.0.0.1", port: int = 8000, delay_ms: float = 0
) -> None:
    import uvicorn

    if not 0 <= port <= 65535:
        raise UserError(f"--port {port}: not a TCP port")
    if delay_ms < 0:
        raise UserError(f"--delay-ms {delay_ms:g}: must be >= 0")
    settings = load_settings(paths.params)
    contract = load_contract(paths.contract)
    source = model_source.resolve(paths, model)

    def loader() -> ServedModel:
        pipeline = model_source.load(source)
        return ServedModel(source, choose_backend(pipeline, contract, request_columns(contract)))

    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
    if delay_ms:
        logging.getLogger(__name__).warning(
            "test-only --delay-ms %g: every /predict is slowed down", delay_ms
        )
    app = create_app(contract, settings.serve, settings.evaluate.threshold, loader, delay_ms=delay_ms)
    # One worker; no access log (it would cost more than a prediction); httptools and uvloop when installed.
    uvicorn.run(
        app, host=host, port=port, workers=1, access_log=False, log_level="info", timeout_graceful_shutdown=5
    )
