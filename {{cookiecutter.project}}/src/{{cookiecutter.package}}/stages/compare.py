"""compare: the model just trained (challenger) against the registry's champion, on the same holdout rows.

Decides promote, keep or first by the rules in params.yaml (compare:) and writes the evidence to
reports/compare.json and reports/compare.md. "keep" is a normal outcome (exit 0); an unusable
registry or champion, or models that take different records, are errors (exit 1). Nothing here
moves an alias: `promote` does, on the default branch only.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from ..config import MODEL_NAME, Paths
from ..contract import load_contract
from ..core.compare import (
    Bootstrap,
    paired_deltas,
    schema_differences,
    score,
    sliced_deltas,
    sliced_scores,
)
from ..core.decision import Evidence, Rules, decide
from ..core.latency import best_ms
from ..core.metrics import PRIMARY
from ..core.report import compare_markdown
from ..errors import RegistryError, UserError
from ..io import registry, tracking
from ..io.datasets import labels, read_split
from ..io.files import read_json, write_atomic, write_json
from ..io.versions import file_md5
from ..settings import Settings, load_settings

LATENCY_REPEATS = 30
BATCH_ROWS = 1000


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


def latency(models: dict[str, registry.Loaded], test: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per-row milliseconds of each model (best of several calls): one row at a time, and within a batch."""
    row = test.head(1)
    batch = test.sample(n=BATCH_ROWS, replace=True, random_state=0)
    one = best_ms(
        {name: lambda m=m: m.model.predict_proba(row) for name, m in models.items()}, LATENCY_REPEATS
    )
    many = best_ms({name: lambda m=m: m.model.predict_proba(batch) for name, m in models.items()}, 3)
    return {name: {"row_ms": one[name], "batch_row_ms": round(many[name] / BATCH_ROWS, 4)} for name in models}


def describe(name: str, version: str, loaded: registry.Loaded, cost: dict[str, float]) -> dict[str, Any]:
    return {"name": name, "version": version, "size_mb": round(loaded.size_bytes / 2**20, 3), **cost}


def compare(paths: Paths) -> dict[str, Any]:
    """Everything compare.json holds; touches no alias."""
    settings = load_settings(paths.params)
    contract = load_contract(paths.contract)
    if not paths.run_info.is_file():
        raise UserError(f"{paths.run_info}: not found; run the train stage (or repro) first")
    trained = read_json(paths.run_info)
    test = read_split(paths.test_split)
    if not paths.model.is_dir():
        raise UserError(f"{paths.model}: no model; run the train stage (or repro) first")
    challenger = registry.load_folder(paths.model)

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
    p_challenger = challenger.model.predict_proba(test)[:, 1]
    challenger_scores = score(y_true, p_challenger, threshold)
    challenger_slices = sliced_scores(y_true, p_challenger, segments, threshold)
    models = {"challenger": challenger} | ({"champion": champion} if champion is not None else {})
    cost = latency(models, test)

    report: dict[str, Any] = {
        "primary_metric": PRIMARY,
        "holdout": {
            "rows": len(test),
            "data_version": f"md5:{file_md5(paths.raw_data)}",
            "threshold": threshold,
        },
        "challenger": describe(MODEL_NAME, trained["version"], challenger, cost["challenger"]),
        "champion": None,
        "bootstrap": {
            "resamples": bootstrap.resamples,
            "confidence": bootstrap.confidence,
            "seed": bootstrap.seed,
        },
        "rules": settings.compare.model_dump() | {"slice_floor": settings.model_tests.slice_floor},
        "metrics": {name: {"challenger": value} for name, value in challenger_scores.items()},
        "slices": {
            contract.slice: {
                s: {n: {"challenger": v} for n, v in m.items()} for s, m in challenger_slices.items()
            }
        },
    }
    evidence = Evidence(
        challenger_primary=challenger_scores[PRIMARY],
        challenger_slices={f"{contract.slice}={s}": m[PRIMARY] for s, m in challenger_slices.items()},
    )
    if champion is not None:
        p_champion = champion.model.predict_proba(test)[:, 1]
        overall = paired_deltas(y_true, p_champion, p_challenger, threshold, bootstrap)
        sliced = sliced_deltas(y_true, p_champion, p_challenger, segments, threshold, bootstrap)
        report["champion"] = describe(MODEL_NAME, found.version, champion, cost["champion"])
        report["metrics"] = {name: delta.as_dict() for name, delta in overall.items()}
        report["slices"] = {
            contract.slice: {s: {n: d.as_dict() for n, d in m.items()} for s, m in sliced.items()}
        }
        evidence = replace(
            evidence,
            overall=overall[PRIMARY],
            slices={f"{contract.slice}={s}": m[PRIMARY] for s, m in sliced.items()},
            latency_factor=round(cost["challenger"]["row_ms"] / cost["champion"]["row_ms"], 3),
            same_version=found.version == trained["version"],
        )
        report["latency_factor"] = evidence.latency_factor
    decision = decide(evidence, rules(settings))
    return {"decision": decision.outcome, "reasons": list(decision.reasons), **report}


def run(paths: Paths) -> None:
    for stale in (paths.compare, paths.compare_markdown):  # a failed compare leaves no decision behind
        stale.unlink(missing_ok=True)
    report = compare(paths)
    champion = report["champion"]
    registry.tag(
        paths,
        report["challenger"]["version"],
        {"decision": report["decision"], "compared_with": champion["version"] if champion else "none"},
    )
    write_json(paths.compare, report)
    markdown = compare_markdown(report)
    write_atomic(paths.compare_markdown, lambda tmp: tmp.write_text(markdown, encoding="utf-8"))
    against = f"champion version {champion['version']}" if champion else "no champion"
    version = report["challenger"]["version"]
    print(f"compare: challenger version {version} against {against}: {report['decision']}")
    for reason in report["reasons"]:
        print(f"  {reason}")
    print(
        f"  report: {paths.compare.relative_to(paths.root)}, {paths.compare_markdown.relative_to(paths.root)}"
    )
    print(f"  MLflow: {tracking.redact(tracking.tracking_uri(paths))}")
