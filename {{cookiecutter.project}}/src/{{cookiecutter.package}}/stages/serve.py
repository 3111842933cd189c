"""serve: the prediction service (FastAPI on uvicorn, one worker) for the trained or a registered model.

The model is resolved before the server starts (a missing one is a one-line error), then loaded and
converted to ONNX in the background: /health answers at once, /ready once the model is there. A model
that fails to load stops the process with exit code 3 (after /health said 503), so that a supervisor
or Kubernetes restarts it instead of keeping a service that can never answer.
"""

from __future__ import annotations

import argparse
import logging
import socket
from pathlib import Path

from ..config import MODEL_NAME, Paths
from ..errors import ServiceError, UserError
from ..io import registry
from ..serving.admin import Admin
from ..serving.app import create_app
from ..serving.backends import choose_backend
from ..serving.models import Loader, ServedModel
from ..serving.prediction_log import PredictionLog
from ..settings import ServeSettings, load_checked

DEFAULT_MODEL = "models/model"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help=f"a model folder (default: %(default)s) or registry URI: models:/{MODEL_NAME}@champion",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (default: %(default)s)")
    parser.add_argument(
        "--admin-token-file",
        type=Path,
        help="enable the deployment routes on /admin, for requests that carry the token this file holds",
    )
    parser.add_argument(
        "--prediction-log",
        type=Path,
        help="where the sampled prediction log goes (default: serve.prediction_log.path in params.yaml)",
    )


def run(
    paths: Paths,
    model: str = DEFAULT_MODEL,
    host: str = "127.0.0.1",
    port: int = 8000,
    admin_token_file: Path | None = None,
    prediction_log: Path | None = None,
) -> None:
    import uvicorn

    if not 0 <= port <= 65535:
        raise UserError(f"--port {port}: not a TCP port")
    settings, contract = load_checked(paths)
    reference = registry.resolve(paths, model)
    token = None if admin_token_file is None else read_token(admin_token_file)
    require_free(host, port)

    def load(found: registry.ModelReference) -> ServedModel:
        loaded = registry.load(found)
        chosen = choose_backend(loaded.pipeline, contract, contract.input_columns())
        return ServedModel.of(found, chosen, loaded, settings.evaluate.threshold)

    def loader_for(model: str) -> Loader:
        return lambda: load(registry.resolve(paths, model))

    admin = None if token is None else Admin(token, loader_for)

    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
    server: uvicorn.Server | None = None

    def stop() -> None:  # the model failed to load: end the process, for its supervisor to restart it
        if server is not None:
            server.should_exit = True

    logged = open_prediction_log(prediction_log or Path(settings.serve.prediction_log.path), settings.serve)
    app = create_app(
        contract, settings.serve, settings.evaluate.threshold, lambda: load(reference), stop, admin, logged
    )
    # One worker; no access log (it would cost more than a prediction); httptools and uvloop when installed.
    config = uvicorn.Config(
        app, host=host, port=port, workers=1, access_log=False, log_level="info", timeout_graceful_shutdown=5
    )
    server = uvicorn.Server(config)
    try:
        server.run()
    finally:
        if logged is not None:
            logged.close()
    if app.state.slot.error:
        raise ServiceError(f"the service stopped: its model failed to load ({app.state.slot.error})")


def open_prediction_log(path: Path, settings: ServeSettings) -> PredictionLog | None:
    """The sampled prediction log; None when the sample rate is 0, or, with a warning, when it cannot be
    written (a read-only container): serving never depends on it."""
    config = settings.prediction_log
    if config.sample_rate == 0:
        return None
    try:
        return PredictionLog(path, config.sample_rate, int(config.max_mb * 1024 * 1024), config.backups)
    except OSError as error:
        logging.getLogger(__name__).warning("no prediction log: %s: %s", path, error.strerror)
        return None


def read_token(path: Path) -> str:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise UserError(f"--admin-token-file {path}: cannot be read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise UserError(f"--admin-token-file {path}: not UTF-8 text") from None
    if len(token) < 16:
        raise UserError(f"--admin-token-file {path}: the token must be at least 16 characters")
    if not (token.isascii() and token.isprintable()):  # an HTTP header carries it: no request could match
        raise UserError(f"--admin-token-file {path}: the token must be printable ASCII")
    return token


def require_free(host: str, port: int) -> None:
    """A one-line error, before the server starts, when the host is no address or the port is taken. Probed
    as uvicorn binds (asyncio's create_server): every address the host resolves to ("" for all of them),
    an IPv6 one IPv6-only, SO_REUSEADDR set (only a listener is in the way)."""
    try:
        found = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as error:  # socket.gaierror; a name IDNA cannot encode
        reason = getattr(error, "strerror", None) or error
        raise UserError(f"--host {host}: not an address to listen on ({reason})") from None
    for family, kind, _, _, address in found:
        where = f"[{address[0]}]:{port}" if family == socket.AF_INET6 else f"{address[0]}:{port}"
        with socket.socket(family, kind) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(address)
            except OSError as error:
                raise UserError(f"--port {port}: cannot listen on {where} ({error.strerror})") from None
