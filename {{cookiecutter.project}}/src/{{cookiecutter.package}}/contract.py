"""The data contract (data/contract.yaml).

Columns with their types, nullability, ranges and categories; the label; the slice column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from .yamlfile import Strict, parse


class Column(Strict):
    type: Literal["integer", "float", "category"]
    min: float | None = None
    max: float | None = None
    values: tuple[str, ...] | None = None
    max_missing: float = Field(0.0, ge=0, le=1)
    unique: bool = False

    @model_validator(mode="after")
    def _range_is_ordered(self) -> Column:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self

    @property
    def is_numeric(self) -> bool:
        return self.type in ("integer", "float")

    @property
    def nullable(self) -> bool:
        return self.max_missing > 0


class Rows(Strict):
    min: int = Field(1, ge=0)
    max: int | None = Field(None, ge=1)


class Label(Strict):
    column: str
    positive: str
    negative: str


class Contract(Strict):
    label: Label
    slice: str
    rows: Rows = Rows()
    columns: dict[str, Column] = Field(min_length=2)

    @model_validator(mode="after")
    def _roles_are_columns(self) -> Contract:
        for role, name in (("label.column", self.label.column), ("slice", self.slice)):
            if name not in self.columns:
                raise ValueError(f"{role} {name!r} is not one of the columns")
        label, values = self.label, self.columns[self.label.column].values
        if label.positive == label.negative:
            raise ValueError(f"label.positive and label.negative are both {label.positive!r}")
        for role, value in (("positive", label.positive), ("negative", label.negative)):
            if values is not None and value not in values:  # a typo would make every row the other class
                listed = ", ".join(map(repr, values))
                raise ValueError(f"label.{role} {value!r} is not one of {label.column}'s values ({listed})")
        return self

    def feature_columns(self, drop: tuple[str, ...] = ()) -> list[str]:
        """Columns the model reads: every column but the label and those dropped."""
        unknown = sorted(set(drop) - set(self.columns))
        if unknown:
            raise ValueError(f"cannot drop unknown column(s): {', '.join(unknown)}")
        kept = [name for name in self.columns if name != self.label.column and name not in drop]
        if not kept:
            raise ValueError("drops every feature; the model needs at least one column to learn from")
        return kept

    def input_columns(self) -> list[str]:
        """A record as the model and the service take it: every column but the label."""
        return [name for name in self.columns if name != self.label.column]

    def numeric(self, columns: list[str]) -> list[str]:
        return [name for name in columns if self.columns[name].is_numeric]

    def categorical(self, columns: list[str]) -> list[str]:
        return [name for name in columns if not self.columns[name].is_numeric]


def load_contract(path: Path) -> Contract:
    return parse(Contract, path)
