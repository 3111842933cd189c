"""What one stage writes and another reads: one frozen, typed model per file, with its read and write.

Each artefact carries a schema version and names the stage that writes it, so a missing, corrupt or
out-of-date file is one line naming the file and the command that makes it again, never a KeyError
in a later stage.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError, model_validator

from .config import PROJECT
from .core.compare import Bootstrap, Delta
from .core.decision import Outcome, Rules
from .core.drift import Shift
from .core.monitor import LiveQuality, PredictionShare
from .core.slo import LoadStats, SloCheck
from .errors import UserError
from .io.files import write_atomic
from .settings import SloSettings


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Artefact(Frozen):
    """A file handed from one stage to the next; subclasses pin schema_version and name their PRODUCER."""

    PRODUCER: ClassVar[str]
    """The stage command that writes the file."""

    @classmethod
    def read(cls, path: Path) -> Self:
        again = f"run `{PROJECT} {cls.PRODUCER}`"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UserError(f"{path}: not found; {again} first") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise UserError(f"{path}: cannot be read ({error}); {again} again") from None
        wanted = cls.model_fields["schema_version"].default
        found = data.get("schema_version") if isinstance(data, dict) else None
        if found != wanted:
            raise UserError(
                f"{path}: schema version {found}, but this code reads version {wanted}; {again} again"
            )
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            problem = error.errors(include_url=False)[0]
            where = ".".join(str(part) for part in problem["loc"]) or "(top level)"
            raise UserError(f"{path}: {where}: {problem['msg'].lower()}; {again} again") from None

    def write(self, path: Path) -> None:
        text = self.model_dump_json(indent=2) + "\n"
        write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


class TrainedModel(Artefact):
    """models/run.json: the MLflow run and registered version of the model in models/model."""

    PRODUCER = "repro"
    schema_version: Literal[1] = 1
    run_id: str
    experiment: str
    registered_model: str
    version: str
    model_uri: str


class Reproduction(Artefact):
    """reports/repro.json: repro ran to its end, and the model and scores it leaves are this run's. Its DVC
    outputs (models/, reports/evaluation.json, plots) stay as they were when it fails, so the report takes
    them as this run's only beside this file, which repro removes when it starts (and `pipeline` too)."""

    PRODUCER = "repro"
    schema_version: Literal[1] = 1
    version: str
    run_id: str


class ExpectationOutcome(Frozen):
    """One Great Expectations result, in words a person can act on."""

    phase: str
    expectation: str
    column: str | None
    success: bool
    expected: str
    observed: JsonValue
    unexpected_count: int | None = None
    unexpected_examples: tuple[str, ...] = ()


class Validation(Artefact):
    """reports/validation.json: whether a data file keeps the contract, and every check behind it."""

    PRODUCER = "validate"
    schema_version: Literal[1] = 1
    valid: bool
    data: str
    rows: int
    inputs: dict[str, str]
    """What the verdict rests on: the MD5 of the data, the contract and the reference, the settings' hash."""
    problems: tuple[str, ...]
    notes: tuple[str, ...] = ()
    expectations: tuple[ExpectationOutcome, ...]
    value_skew: tuple[Shift, ...]


class DriftCheck(Artefact):
    """reports/drift.json: the scheduled run's data against the champion's training data, and the decision."""

    PRODUCER = "drift"
    schema_version: Literal[2] = 2
    retrain: bool
    reasons: tuple[str, ...]
    data: str
    rows: int
    refreshed: str
    """What the refresh did."""
    champion: str | None
    """The champion's version (None: no champion yet)."""
    champion_age_days: float | None
    reference: str | None
    """Where the reference profile came from (the champion's MLflow run, or a committed file)."""
    shifts: tuple[Shift, ...]
    served: Monitoring | None = None
    """`monitor`'s verdict on what the deployed service was asked, when its prediction log was found."""


class Monitoring(Artefact):
    """reports/monitor.json: the served data (the prediction log) against the champion's training data."""

    PRODUCER = "monitor"
    schema_version: Literal[1] = 1
    ok: bool
    problems: tuple[str, ...]
    log: tuple[str, ...]
    """The prediction log's files read."""
    rows: int
    models: dict[str, int]
    """Logged records by model version, all of them (rows: the judged version's)."""
    reference: str
    shifts: tuple[Shift, ...]
    prediction_share: PredictionShare | None
    """None when the training profile has neither score quantiles nor a label share to compare with."""
    quality: LiveQuality | None = None
    """Live quality, when delayed labels were given (--labels)."""
    skipped: tuple[str, ...] = ()
    """file:line of the log's lines left out: writes cut off when the service was stopped mid-line (none in a
    file written before this field: the code then stopped at such a line)."""


class ModelVersion(Frozen):
    name: str
    version: str


class Confusion(Frozen):
    tn: int
    fp: int
    fn: int
    tp: int


class Evaluation(Artefact):
    """reports/evaluation.json: the trained model's scores on the test split, overall and per slice."""

    PRODUCER = "repro"
    schema_version: Literal[1] = 1
    primary_metric: str
    threshold: float
    rows: int
    model: ModelVersion
    test: dict[str, float]
    confusion: Confusion
    slices: dict[str, dict[str, dict[str, float]]]
    """{slice column: {segment: {score name: value}}}, rows and positive rate included."""

    @model_validator(mode="after")
    def _scores_the_primary_metric(self) -> Evaluation:
        if self.primary_metric not in self.test:
            raise ValueError(f"test has no {self.primary_metric} score")
        return self

    @property
    def primary(self) -> float:
        return self.test[self.primary_metric]


class LoadTest(Artefact):
    """reports/loadtest.json: what the load test measured, and each SLO checked against it."""

    PRODUCER = "loadtest"
    schema_version: Literal[1] = 1
    stats: LoadStats
    slo: SloSettings
    checks: tuple[SloCheck, ...]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)


class Promotion(Artefact):
    """reports/promotion.json: what promote did with the compared version, for deploy."""

    PRODUCER = "promote"
    schema_version: Literal[1] = 1
    version: str
    """The compared (challenger) version."""
    promoted: bool
    """Whether the champion alias moved to it."""
    reason: str
    """Why it did or did not."""


class Deployment(Artefact):
    """reports/deploy.json: what the last deploy or rollback did, step by step, and why."""

    PRODUCER = "deploy"
    schema_version: Literal[1] = 1
    outcome: Literal["deployed", "skipped", "rolled_back", "unchanged", "failed"]
    """failed: the new version served, and putting the one before back failed too (after: what serves)."""
    target: str
    strategy: str
    before: str | None
    """The version serving before (None: nothing served)."""
    after: str | None
    """The version serving after."""
    image: str | None = None
    digest: str | None = None
    steps: tuple[str, ...] = ()
    """What was done, in order: the smoke tests and the canary's figures among them."""
    reasons: tuple[str, ...] = ()
    """Why it was skipped or rolled back."""


class ComparedModel(Frozen):
    """One side of a comparison: which version, and what it costs to run."""

    name: str
    version: str
    size_mb: float
    row_ms: float
    batch_row_ms: float


class Holdout(Frozen):
    rows: int
    data_version: str
    threshold: float


class Score(Frozen):
    """One metric of the challenger, and of the champion with the paired interval when there is one."""

    challenger: float
    champion: float | None = None
    delta: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    higher_is_better: bool

    @classmethod
    def of(cls, delta: Delta) -> Score:
        return cls(
            challenger=delta.challenger,
            champion=delta.champion,
            delta=delta.delta,
            ci_low=delta.low,
            ci_high=delta.high,
            higher_is_better=delta.higher_is_better,
        )


class Comparison(Artefact):
    """reports/compare.json: champion against challenger, the decision, its reasons and every number."""

    PRODUCER = "compare"
    schema_version: Literal[1] = 1
    decision: Outcome
    reasons: tuple[str, ...]
    primary_metric: str
    holdout: Holdout
    challenger: ComparedModel
    champion: ComparedModel | None
    bootstrap: Bootstrap
    rules: Rules
    scores: dict[str, Score]
    slices: dict[str, dict[str, dict[str, Score]]]
    """{slice column: {segment: {metric: Score}}}."""
    latency_factor: float | None = None

    @property
    def promotes(self) -> bool:
        return self.decision in ("promote", "first")
