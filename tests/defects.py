"""Defects injected into a generated project: each must make the matching model test fail, so the
pipeline stops at model-tests before anything downstream runs."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from baking import DEFAULTS


def shuffle_labels(project: Path, only: tuple[str, str] | None = None) -> None:
    """Permute the income column, over all rows or within one slice (so label frequencies stay)."""
    raw = project / "data" / "raw" / "adult.csv"
    with raw.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    chosen = [row for row in rows if only is None or row[only[0]] == only[1]]
    incomes = [row["income"] for row in chosen]
    random.Random(7).shuffle(incomes)
    for row, income in zip(chosen, incomes, strict=True):
        row["income"] = income
    with raw.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def diverging_learning_rate(project: Path) -> None:
    edit(project / "params.yaml", "learning_rate: 0.1", "learning_rate: 1000.0")


HIST_GRADIENT_BOOSTING = """    kind: hist_gradient_boosting
    learning_rate: 0.1
    max_iter: 200
    max_leaf_nodes: 31
    min_samples_leaf: 20
    l2_regularization: 0.0
"""


def non_deterministic_forest(project: Path) -> None:
    """A random forest whose seed is dropped in the code: two trainings now differ."""
    edit(project / "params.yaml", HIST_GRADIENT_BOOSTING, "    kind: random_forest\n    n_estimators: 30\n")
    models = project / "src" / DEFAULTS["package"] / "core" / "models.py"
    edit(models, "random_state=seed,\n                n_jobs=1", "random_state=None,\n                n_jobs=1")


DEFECTS = {
    "diverging-training": (diverging_learning_rate, "test_training_loss_decreases"),
    "shuffled-labels": (shuffle_labels, "test_beats_a_majority_class_baseline"),
    "sabotaged-slice": (lambda p: shuffle_labels(p, only=("sex", "Female")), "test_every_slice_clears_the_floor"),
    "non-deterministic": (non_deterministic_forest, "test_same_seed_same_data_same_model"),
}
