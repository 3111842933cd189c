"""params.yaml as strict, typed settings: a mistyped key is an error naming the key and the file."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from .config import PROJECT, Paths
from .contract import Contract, load_contract
from .errors import UserError
from .yamlfile import Strict, parse

Seed = Annotated[int, Field(ge=0, le=2**32 - 1)]
"""A random seed: what numpy and scikit-learn accept (0 to 2**32 - 1)."""


class ValidateSettings(Strict):
    psi_max: float = Field(0.2, gt=0)
    missing_increase_max: float = Field(0.05, ge=0, le=1)


class DriftSettings(Strict):
    psi_max: float = Field(0.1, gt=0)
    missing_increase_max: float = Field(0.02, ge=0, le=1)
    max_age_days: float = Field(30, gt=0)
    refresh: str = ""
    """A shell command that brings the newest data into data/raw/ (empty: `dvc update`/`dvc pull`)."""


class PrepareSettings(Strict):
    test_size: float = Field(gt=0, lt=1)
    seed: Seed


class FeatureSettings(Strict):
    drop: tuple[str, ...] = ()


class HistGradientBoosting(Strict):
    kind: Literal["hist_gradient_boosting"]
    learning_rate: float = Field(0.1, gt=0)
    max_iter: int = Field(200, ge=1)
    max_leaf_nodes: int = Field(31, ge=2)
    min_samples_leaf: int = Field(20, ge=1)
    l2_regularization: float = Field(0.0, ge=0)


class LogisticRegression(Strict):
    kind: Literal["logistic_regression"]
    C: float = Field(1.0, gt=0)
    max_iter: int = Field(1000, ge=1)


class RandomForest(Strict):
    kind: Literal["random_forest"]
    n_estimators: int = Field(200, ge=1)
    max_depth: int | None = Field(None, ge=1)
    min_samples_leaf: int = Field(1, ge=1)


ModelSettings = Annotated[
    HistGradientBoosting | LogisticRegression | RandomForest, Field(discriminator="kind")
]


class TrainSettings(Strict):
    seed: Seed
    model: ModelSettings


class EvaluateSettings(Strict):
    threshold: float = Field(0.5, gt=0, lt=1)


class ModelTestSettings(Strict):
    baseline_margin: float = Field(0.01, ge=0)
    slice_floor: float = Field(0.85, ge=0, le=1)
    max_model_mb: float = Field(20, gt=0)
    max_latency_ms_row: float = Field(100, gt=0)
    max_latency_ms_batch: float = Field(1000, gt=0)
    max_load_mb: float = Field(600, gt=0)


class PredictionLogSettings(Strict):
    path: str = Field("logs/predictions.jsonl", min_length=1)
    sample_rate: float = Field(0.1, ge=0, le=1)
    max_mb: float = Field(10, gt=0)
    backups: int = Field(5, ge=1)


class ServeSettings(Strict):
    max_batch_rows: int = Field(1000, ge=1)
    max_body_bytes: int = Field(1_048_576, ge=1024)
    body_timeout_s: float = Field(10, gt=0)
    prediction_log: PredictionLogSettings = PredictionLogSettings()


class MonitorSettings(Strict):
    min_rows: int = Field(200, ge=1)
    psi_max: float = Field(0.2, gt=0)
    missing_increase_max: float = Field(0.05, ge=0, le=1)
    prediction_shift_max: float = Field(0.1, gt=0, le=1)
    min_roc_auc: float = Field(0.8, ge=0, le=1)
    min_labels: int = Field(100, ge=1)
    """Labelled records a live ROC AUC needs, overall and per segment: fewer are not judged."""


class SloSettings(Strict):
    p95_ms: float = Field(100, gt=0)
    p99_ms: float = Field(150, gt=0)
    max_failure_ratio: float = Field(0.01, ge=0, le=1)
    min_rps: float = Field(50, ge=0)


class LoadtestSettings(Strict):
    users: int = Field(10, ge=1)
    spawn_rate: float = Field(10, gt=0)
    duration_s: int = Field(5, ge=1)
    payload_rows: int = Field(200, ge=1)
    startup_timeout_s: float = Field(60, gt=0)
    slo: SloSettings = SloSettings()


class CompareSettings(Strict):
    resamples: int = Field(1000, ge=100)
    confidence: float = Field(0.95, gt=0.5, lt=1)
    seed: Seed = 0
    rule: Literal["improve", "non_inferior"] = "improve"
    min_delta: float = Field(0.002, ge=0)
    non_inferiority_margin: float = Field(0.005, ge=0)
    max_slice_drop: float = Field(0.01, ge=0)
    max_latency_factor: float = Field(2.0, ge=1)
    primary_floor: float = Field(0.85, ge=0, le=1)


class CanarySettings(Strict):
    share: float = Field(0.2, gt=0, lt=1)
    requests: int = Field(200, ge=1)
    window_s: float = Field(60, gt=0)
    max_error_ratio: float = Field(0.01, ge=0, le=1)
    max_latency_factor: float = Field(2.0, ge=1)


class SmokeSettings(Strict):
    timeout_s: float = Field(60, gt=0)


LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST_NAME = re.compile(rf"(?=.{{1,253}}$){LABEL}(\.{LABEL})*")
"""A DNS host name: dot-separated labels of letters, digits and inner hyphens."""


class LocalDeploySettings(Strict):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    state_dir: str = Field(".deploy", min_length=1)

    @model_validator(mode="after")
    def _host_is_an_address_or_a_name(self) -> LocalDeploySettings:
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            if re.fullmatch(r"[\d.]+", self.host) or not HOST_NAME.fullmatch(self.host):
                raise ValueError(f"host {self.host!r} is neither an IP address nor a host name") from None
        return self


class ImageSettings(Strict):
    push: bool = False
    registry: str = ""
    repository: str = PROJECT
    base: str = ""


class KubernetesSettings(Strict):
    overlay: str = "production"
    url: str = ""
    """Where the Service answers, for the smoke test after a rollout."""
    preview_url: str = ""
    """Where the preview Service answers (blue-green's idle colour, canary's pods), for their smoke test."""
    rollout_timeout_s: int = Field(300, ge=1)


class DeploySettings(Strict):
    target: Literal["local", "kubernetes"] = "local"
    strategy: Literal["blue-green", "canary", "rolling"] = "blue-green"
    canary: CanarySettings = CanarySettings()
    smoke: SmokeSettings = SmokeSettings()
    local: LocalDeploySettings = LocalDeploySettings()
    image: ImageSettings = ImageSettings()
    kubernetes: KubernetesSettings = KubernetesSettings()

    @model_validator(mode="after")
    def _rolling_needs_kubernetes(self) -> DeploySettings:
        if self.strategy == "rolling" and self.target != "kubernetes":
            raise ValueError("strategy rolling needs target kubernetes (local deploys blue-green or canary)")
        return self


class Settings(Strict):
    # "validate" would shadow a pydantic method, hence the alias.
    validate_: ValidateSettings = Field(ValidateSettings(), alias="validate")
    drift: DriftSettings = DriftSettings()
    prepare: PrepareSettings
    features: FeatureSettings = FeatureSettings()
    train: TrainSettings
    evaluate: EvaluateSettings = EvaluateSettings()
    model_tests: ModelTestSettings = ModelTestSettings()
    compare: CompareSettings = CompareSettings()
    serve: ServeSettings = ServeSettings()
    loadtest: LoadtestSettings = LoadtestSettings()
    deploy: DeploySettings = DeploySettings()
    monitor: MonitorSettings = MonitorSettings()


def load_settings(path: Path) -> Settings:
    return parse(Settings, path)


def load_checked(paths: Paths) -> tuple[Settings, Contract]:
    """params.yaml and the data contract, each valid and the two consistent: what every stage checks first,
    so that a bad setting stops it before it touches a file."""
    settings, contract = load_settings(paths.params), load_contract(paths.contract)
    try:
        contract.feature_columns(settings.features.drop)
    except ValueError as error:
        raise UserError(f"{paths.params}: features.drop: {error}") from None
    return settings, contract
