"""The service's request schema, derived from the data contract: every column but the label
(Contract.input_columns).

Types follow the contract (integer, float, category); a column may be null when its contract allows
missing values. Ranges and category lists are not enforced: the model handles values outside them
(unseen categories encode as all zeros); ContractLimits finds them, for the service to count and report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from ..contract import Column, Contract

RECORD_CONFIG = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


def _field_type(column: Column) -> Any:
    python_type: Any = {"integer": int, "float": float, "category": str}[column.type]
    if column.nullable:
        return python_type | None
    # "" is a missing value to the model (as in the raw data): where none may be missing, it is refused
    return Annotated[str, StringConstraints(min_length=1)] if column.type == "category" else python_type


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


@dataclass(frozen=True)
class Violation:
    """A value the request schema accepts but the data contract does not expect."""

    column: str
    rule: str
    """below_min, above_max or unseen_category."""
    message: str


class ContractLimits:
    """The contract's ranges and categories for request columns, to check a valid record against fast."""

    def __init__(self, contract: Contract) -> None:
        inputs = contract.input_columns()
        self.ranges = {
            name: (contract.columns[name].min, contract.columns[name].max)
            for name in inputs
            if contract.columns[name].is_numeric
        }
        self.categories = {
            name: frozenset(contract.columns[name].values or ())
            for name in inputs
            if contract.columns[name].values is not None
        }

    def violations(self, record: dict[str, Any], where: str = "") -> list[Violation]:
        """Every value of record outside its range or its category list; null and "" (missing) are not."""
        found = []
        for name, (low, high) in self.ranges.items():
            value = record.get(name)
            if value is None:
                continue
            if low is not None and value < low:
                found.append(
                    Violation(
                        name, "below_min", f"{where}{name}: {value} is below the contract's minimum {low:g}"
                    )
                )
            elif high is not None and value > high:
                found.append(
                    Violation(
                        name, "above_max", f"{where}{name}: {value} is above the contract's maximum {high:g}"
                    )
                )
        for name, values in self.categories.items():
            value = record.get(name)
            if value and value not in values:
                found.append(
                    Violation(
                        name,
                        "unseen_category",
                        f"{where}{name}: {value!r} is not one of the contract's categories",
                    )
                )
        return found


def error_field(location: tuple[int | str, ...]) -> str:
    """A pydantic error location as a field path: ("records", 3, "age") -> "records[3].age"."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(body)"
