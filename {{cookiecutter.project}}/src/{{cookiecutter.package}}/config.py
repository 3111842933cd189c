"""Every path the project reads or writes, in one place, relative to the project root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROJECT = "{{ cookiecutter.project }}"
MODEL_NAME = PROJECT
"""Name of the experiment and of the registered model in MLflow."""
DEFAULT_BRANCH = "main"
"""The branch whose pipeline promotes (and, later, deploys); the CI definitions name it too."""


@dataclass(frozen=True)
class Paths:
    root: Path

    @classmethod
    def here(cls) -> Paths:
        return cls(Path.cwd())

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
    def model(self) -> Path:
        return self.root / "models" / "model"

    @property
    def run_info(self) -> Path:
        return self.root / "models" / "run.json"

    @property
    def metrics(self) -> Path:
        return self.root / "reports" / "metrics.json"

    @property
    def plots(self) -> Path:
        return self.root / "reports" / "plots"

    @property
    def compare(self) -> Path:
        """Champion against challenger: the decision, its reasons and every number behind it."""
        return self.root / "reports" / "compare.json"

    @property
    def compare_markdown(self) -> Path:
        return self.root / "reports" / "compare.md"

    @property
    def junit(self) -> Path:
        """JUnit XML reports that CI publishes."""
        return self.root / "reports" / "junit"

    @property
    def summary(self) -> Path:
        """The pipeline's results as Markdown, for CI job summaries and reviews."""
        return self.root / "reports" / "summary.md"

    @property
    def loadtest(self) -> Path:
        """locust's CSV statistics and HTML report, and the service's log, of the last load test."""
        return self.root / "reports" / "loadtest"

    @property
    def loadtest_summary(self) -> Path:
        """The load test's figures, SLOs and verdicts."""
        return self.root / "reports" / "loadtest.json"

    @property
    def mlruns(self) -> Path:
        """Embedded MLflow store: a sqlite database and an artifact folder."""
        return self.root / "mlruns"
