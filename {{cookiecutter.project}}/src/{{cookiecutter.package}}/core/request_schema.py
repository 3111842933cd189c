"""The service's request schema, derived from the data contract: every column but the label
(Contract.input_columns).

Types follow the contract (integer, float, category); a column may be null when its contract allows
missing values. Ranges and category lists are not enforced: the model handles values outside them
(unseen categories encode as all zeros), and the service counts unseen categories instead.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from ..contract import Column, Contract

RECORD_CONFIG = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


def _field_type(column: Column) -> Any:
    python_type: Any = {"integer": int, "float": float, "category": str}[column.type]
    return python_type | None if column.nullable else python_type


def _description(column: Column) -> str:
    parts = [column.type]
    if column.min is not None or column.max is not None:
        parts.append(f"expected range [{column.min}, {column.max}]")
    if column.nullable:
        parts.append("may be null")
    if column.values:
        parts.append("unseen categories are accepted and counted")
    return "; ".join(parts)


def record_model(contract: Contract) -> type[BaseModel]:
    """A strict pydantic model of one record: no extra or missing fields, no coercion, no NaN."""
    fields: dict[str, Any] = {
        name: (_field_type(column), Field(description=_description(column)))
        for name, column in contract.columns.items()
        if name != contract.label.column
    }
    return create_model("Record", __config__=RECORD_CONFIG, **fields)


def batch_model(record: type[BaseModel], max_rows: int) -> type[BaseModel]:
    """A batch: `{"records": [record, ...]}` with 1 to max_rows records."""
    return create_model(
        "Batch",
        __config__=RECORD_CONFIG,
        records=(list[record], Field(min_length=1, max_length=max_rows)),  # type: ignore[valid-type]
    )


def known_categories(contract: Contract) -> dict[str, frozenset[str]]:
    """The contract's category values per request column, for counting unseen ones fast."""
    return {
        name: frozenset(column.values)
        for name, column in contract.columns.items()
        if column.values is not None and name != contract.label.column
    }


def unseen_categories(record: dict[str, Any], known: dict[str, frozenset[str]]) -> list[str]:
    """Columns whose category in record is not in the contract; null and "" (missing) are not unseen."""
    return [name for name, values in known.items() if record.get(name) and record[name] not in values]


def error_field(location: tuple[int | str, ...]) -> str:
    """A pydantic error location as a field path: ("records", 3, "age") -> "records[3].age"."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(body)"
