"""Request payloads drawn from real rows: what the load test sends."""

from __future__ import annotations

from typing import Any

import pandas as pd


def sample_records(frame: pd.DataFrame, columns: list[str], rows: int, seed: int) -> list[dict[str, Any]]:
    """Up to `rows` rows of frame as JSON-ready records with only `columns`; missing values are None."""
    chosen = frame[columns].sample(n=min(rows, len(frame)), random_state=seed)
    records = chosen.astype(object).where(chosen.notna(), None).to_dict(orient="records")
    return [{key: _plain(value) for key, value in record.items()} for record in records]


def _plain(value: Any) -> Any:
    """numpy and pandas scalars as Python ones, so json.dumps takes them."""
    return value.item() if hasattr(value, "item") else value
