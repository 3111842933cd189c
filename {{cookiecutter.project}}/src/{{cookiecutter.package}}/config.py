"""Every path the project reads or writes, in one place, relative to the project root."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT = "{{ cookiecutter.project }}"
MODEL_NAME = PROJECT
"""Name of the experiment and of the registered model in MLflow."""
DEFAULT_BRANCH = "{{ cookiecutter._default_branch }}"
"""The branch whose pipeline promotes; the CI definitions are generated with the same name."""
QUIET = {"MLFLOW_DISABLE_TELEMETRY": "true", "DVC_NO_ANALYTICS": "1", "GX_ANALYTICS_ENABLED": "false"}
"""Telemetry off, for every tool the project runs and every process it starts (they inherit it)."""
for _name, _value in QUIET.items():
    os.environ.setdefault(_name, _value)


@dataclass(frozen=True)
class Paths:
    root: Path

    @classmethod
    def here(cls) -> Paths:
        return cls(Path.cwd())

    def shown(self, path: Path) -> str:
        """A path as the user would write it: relative to the project when inside it."""
        resolved, root = path.resolve(), self.root.resolve()
        return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else str(path)

    @property
    def params(self) -> Path:
        return self.root / "params.yaml"

    @property
    def contract(self) -> Path:
        return self.root / "data" / "contract.yaml"

    @property
    def raw_data(self) -> Path:
        return self.root / "data" / "raw" / "adult.csv"

    @property
    def reference(self) -> Path:
        """The reference profile value skew is measured against (`profile` writes it)."""
        return self.root / "data" / "reference.json"

    @property
    def validation(self) -> Path:
        return self.root / "reports" / "validation.json"

    @property
    def data_docs(self) -> Path:
        """Great Expectations Data Docs (HTML) of the last validation."""
        return self.root / "reports" / "data_docs"

    def checked(self, data: Path) -> tuple[Path, Path]:
        """Where `validate --data FILE` reports on another file: its validation and Data Docs, apart from
        the pipeline's own (reports/checked/<file name>/)."""
        folder = self.root / "reports" / "checked" / data.stem
        return folder / "validation.json", folder / "data_docs"

    @property
    def prepared(self) -> Path:
        return self.root / "data" / "prepared"

    @property
    def train_split(self) -> Path:
        return self.prepared / "train.parquet"

    @property
    def test_split(self) -> Path:
        return self.prepared / "test.parquet"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def model(self) -> Path:
        """The trained model, an MLflow model folder."""
        return self.models / "model"

    @property
    def trained(self) -> Path:
        """Which MLflow run and registered version the trained model is (artefacts.TrainedModel)."""
        return self.models / "run.json"

    @property
    def evaluation(self) -> Path:
        """Test-set scores, overall and per slice (artefacts.Evaluation; DVC's metrics file)."""
        return self.root / "reports" / "evaluation.json"

    @property
    def reproduced(self) -> Path:
        """That repro ran to its end (artefacts.Reproduction): its DVC outputs outlive a failed run."""
        return self.root / "reports" / "repro.json"

    @property
    def plots(self) -> Path:
        return self.root / "reports" / "plots"

    @property
    def comparison(self) -> Path:
        """Champion against challenger: the decision, its reasons and every number behind it."""
        return self.root / "reports" / "compare.json"

    @property
    def drift(self) -> Path:
        """The scheduled run's drift check: whether to retrain, and why."""
        return self.root / "reports" / "drift.json"

    @property
    def monitoring(self) -> Path:
        """What `monitor` found in the served data."""
        return self.root / "reports" / "monitor.json"

    @property
    def promotion(self) -> Path:
        """What promote did: the version it moved the champion alias to, or why it did not."""
        return self.root / "reports" / "promotion.json"

    @property
    def comparison_markdown(self) -> Path:
        return self.root / "reports" / "compare.md"

    @property
    def junit(self) -> Path:
        """JUnit XML reports that CI publishes."""
        return self.root / "reports" / "junit"

    @property
    def report_markdown(self) -> Path:
        """The pipeline's results as Markdown: the pull-request comment and the CI job summary."""
        return self.root / "reports" / "report.md"

    @property
    def report_html(self) -> Path:
        """The same results as one self-contained HTML file, with charts."""
        return self.root / "reports" / "report.html"

    @property
    def loadtest_reports(self) -> Path:
        """locust's CSV statistics and HTML report, and the service's log, of the last load test."""
        return self.root / "reports" / "loadtest"

    @property
    def loadtest(self) -> Path:
        """The load test's figures and SLO checks (artefacts.LoadTest)."""
        return self.root / "reports" / "loadtest.json"

    @property
    def golden(self) -> Path:
        """Records whose class every model must get right: the model tests' and the deploy smoke test's."""
        return self.root / "data" / "golden.csv"

    def deployment(self, state_dir: str = ".deploy") -> Path:
        """The local deploy target's service state: its pid file, log and admin token (not in git);
        state_dir (deploy.local.state_dir) relative to the project, absolute, or under ~."""
        return self.root / Path(state_dir).expanduser()

    @property
    def deploy_report(self) -> Path:
        """What the last deploy or rollback did (artefacts.Deployment)."""
        return self.root / "reports" / "deploy.json"

    @property
    def kubernetes(self) -> Path:
        """Kustomize manifests: base/ and overlays/<name>/."""
        return self.root / "deploy" / "kubernetes"

    @property
    def dvc_lock(self) -> Path:
        return self.root / "dvc.lock"

    @property
    def mlruns(self) -> Path:
        """Embedded MLflow store: a sqlite database and an artifact folder."""
        return self.root / "mlruns"
