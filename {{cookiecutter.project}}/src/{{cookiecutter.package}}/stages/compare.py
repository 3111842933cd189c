"""compare: the model just trained (challenger) against the registry's champion, on the same holdout rows.

Decides promote, keep or first by the rules in params.yaml (compare:) and writes the evidence to
reports/compare.json and reports/compare.md. "keep" is a normal outcome (exit 0); an unusable
registry or champion, or models that take different records, are errors (exit 1). Nothing here
moves an alias: `promote` does, on the default branch only.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..artefacts import ComparedModel, Comparison, Holdout, Score, TrainedModel
from ..config import MODEL_NAME, Paths
from ..core.compare import (
    COMPARED,
    Bootstrap,
    paired_deltas,
    schema_differences,
    score,
    sliced_deltas,
    sliced_scores,
)
from ..core.decision import Evidence, Rules, decide
from ..core.latency import best_ms
from ..core.report import comparison_markdown
from ..core.scoring import PRIMARY
from ..errors import RegistryError
from ..io import mlflow_store, model_files, registry
from ..io.datasets import labels, read_split
from ..io.files import write_atomic
from ..io.versions import data_version
from ..settings import Settings, load_checked

READS = ("repro",)
LATENCY_REPEATS = 30
BATCH_ROWS = 1000


def outputs(paths: Paths) -> list[Path]:
    return [paths.comparison, paths.comparison_markdown, paths.mlruns]


def rules(settings: Settings) -> Rules:
    compare = settings.compare
    return Rules(
        primary=PRIMARY,
        rule=compare.rule,
        min_delta=compare.min_delta,
        margin=compare.non_inferiority_margin,
        max_slice_drop=compare.max_slice_drop,
        max_latency_factor=compare.max_latency_factor,
        primary_floor=compare.primary_floor,
        slice_floor=settings.model_tests.slice_floor,
    )


def latency(models: dict[str, model_files.LoadedModel], test: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Per-row milliseconds of each model (best of several calls): one row at a time, and within a batch."""
    row = test.head(1)
    batch = test.sample(n=BATCH_ROWS, replace=True, random_state=0)
    one = best_ms(
        {name: lambda m=m: m.pipeline.predict_proba(row) for name, m in models.items()}, LATENCY_REPEATS
    )
    many = best_ms({name: lambda m=m: m.pipeline.predict_proba(batch) for name, m in models.items()}, 3)
    return {name: (one[name], round(many[name] / BATCH_ROWS, 4)) for name in models}


def described(version: str, loaded: model_files.LoadedModel, cost: tuple[float, float]) -> ComparedModel:
    row_ms, batch_row_ms = cost
    return ComparedModel(
        name=MODEL_NAME,
        version=version,
        size_mb=round(loaded.size_bytes / 2**20, 3),
        row_ms=row_ms,
        batch_row_ms=batch_row_ms,
    )


def compare(paths: Paths) -> Comparison:
    """The challenger against the champion, by the rules; touches no alias."""
    settings, contract = load_checked(paths)
    trained = TrainedModel.read(paths.trained)
    test = read_split(paths.test_split)
    challenger = model_files.load_trained(paths)

    found = registry.champion(paths)
    champion = registry.load_version(paths, found) if found is not None else None
    if champion is not None and (differences := schema_differences(champion.inputs, challenger.inputs)):
        raise RegistryError(
            f"champion version {found.version} and the challenger take different records "
            f"({'; '.join(differences)}); they cannot be compared. Nothing was promoted; "
            "if the new input schema is intended, move the champion alias by hand in MLflow "
            "once its consumers are ready"
        )

    y_true = labels(test, contract)
    segments = test[contract.slice]
    threshold = settings.evaluate.threshold
    bootstrap = Bootstrap(settings.compare.resamples, settings.compare.confidence, settings.compare.seed)
    p_challenger = challenger.pipeline.predict_proba(test)[:, 1]
    models = {"challenger": challenger} | ({"champion": champion} if champion is not None else {})
    cost = latency(models, test)

    def alone(scores: dict[str, float]) -> dict[str, Score]:
        return {
            name: Score(challenger=value, higher_is_better=COMPARED[name].higher_is_better)
            for name, value in scores.items()
        }

    challenger_scores = score(y_true, p_challenger, threshold)
    challenger_slices = sliced_scores(y_true, p_challenger, segments, threshold)
    evidence = Evidence(
        challenger_primary=challenger_scores[PRIMARY],
        challenger_slices={f"{contract.slice}={s}": m[PRIMARY] for s, m in challenger_slices.items()},
    )
    scores = alone(challenger_scores)
    slices = {segment: alone(values) for segment, values in challenger_slices.items()}
    if champion is not None:
        p_champion = champion.pipeline.predict_proba(test)[:, 1]
        overall = paired_deltas(y_true, p_champion, p_challenger, threshold, bootstrap)
        sliced = sliced_deltas(y_true, p_champion, p_challenger, segments, threshold, bootstrap)
        scores = {name: Score.of(delta) for name, delta in overall.items()}
        slices = {
            segment: {name: Score.of(d) for name, d in deltas.items()} for segment, deltas in sliced.items()
        }
        evidence = replace(
            evidence,
            overall=overall[PRIMARY],
            slices={f"{contract.slice}={s}": m[PRIMARY] for s, m in sliced.items()},
            latency_factor=round(cost["challenger"][0] / cost["champion"][0], 3),
            same_version=found.version == trained.version,
        )
    decision = decide(evidence, rules(settings))
    return Comparison(
        decision=decision.outcome,
        reasons=decision.reasons,
        primary_metric=PRIMARY,
        holdout=Holdout(rows=len(test), data_version=data_version(paths.raw_data), threshold=threshold),
        challenger=described(trained.version, challenger, cost["challenger"]),
        champion=described(found.version, champion, cost["champion"]) if champion is not None else None,
        bootstrap=bootstrap,
        rules=rules(settings),
        scores=scores,
        slices={contract.slice: slices},
        latency_factor=evidence.latency_factor,
    )


def run(paths: Paths) -> None:
    # A failed comparison leaves the last one as it was: promote checks that it measured the trained model
    # against the current champion, so an old one can never promote anything.
    comparison = compare(paths)
    champion, version = comparison.champion, comparison.challenger.version
    registry.tag(
        paths,
        version,
        {"decision": comparison.decision, "compared_with": champion.version if champion else "none"},
    )
    comparison.write(paths.comparison)
    markdown = comparison_markdown(comparison)
    write_atomic(paths.comparison_markdown, lambda tmp: tmp.write_text(markdown, encoding="utf-8"))
    against = f"champion version {champion.version}" if champion else "no champion"
    print(f"compare: challenger version {version} against {against}: {comparison.decision}")
    for reason in comparison.reasons:
        print(f"  {reason}")
    print(f"  report: {paths.shown(paths.comparison)}, {paths.shown(paths.comparison_markdown)}")
    print(f"  MLflow: {mlflow_store.where(paths)}")
