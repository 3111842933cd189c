"""Read the raw CSV as the contract describes it; read and write the prepared splits; read a data profile."""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import PROJECT
from ..contract import Contract
from ..errors import DataError, UserError
from .files import write_atomic

PANDAS_TYPES = {"integer": "Int64", "float": "Float64", "category": "str"}


def _require_file(path: Path) -> None:
    if path.is_dir():
        raise UserError(f"{path}: is a directory, not a data file")
    if not path.is_file():
        raise UserError(f"{path}: data file not found")


def _first_undecodable(path: Path) -> str:
    """Where a file stops being UTF-8: the byte and its offset in the whole file (pandas reports an offset
    within the chunk it was decoding)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                return f"byte {block[error.start]:#04x} at offset {offset + error.start}"
            offset += len(block)
    return "a truncated character at the end"


def read_raw(path: Path, contract: Contract) -> pd.DataFrame:
    """Load the raw data with the contract's column types; any problem is one clear line."""
    return read_columns(path, contract, list(contract.columns))


def read_columns(path: Path, contract: Contract, columns: list[str]) -> pd.DataFrame:
    """A CSV file's columns, typed as the contract says (any other column as text); one line per problem."""
    _require_file(path)
    dtypes = {
        name: PANDAS_TYPES[contract.columns[name].type] if name in contract.columns else "str"
        for name in columns
    }
    try:
        frame = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        raise UserError(f"{path}: the file is empty") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text ({_first_undecodable(path)})") from None
    except (ValueError, pd.errors.ParserError) as error:
        raise UserError(f"{path}: cannot be read as the contract's columns ({error})") from None
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise UserError(f"{path}: missing column(s) {', '.join(missing)}")
    if frame.empty:
        raise UserError(f"{path}: no data rows")
    return frame[columns]


@dataclass(frozen=True)
class GoldenCase:
    """A record whose class every model must get right, and why (data/golden.csv)."""

    name: str
    record: dict[str, Any]
    """JSON-ready: the contract's columns but the label, missing values as None."""
    expected: str


def read_golden(path: Path, contract: Contract) -> list[GoldenCase]:
    """The golden cases: a `case` column naming each, the contract's columns, and the `expected` label."""
    columns = contract.input_columns()
    frame = read_columns(path, contract, ["case", *columns, "expected"])
    rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    return [
        GoldenCase(
            name=str(row["case"]),
            record={name: row[name].item() if hasattr(row[name], "item") else row[name] for name in columns},
            expected=str(row["expected"]),
        )
        for row in rows
    ]


def labels(frame: pd.DataFrame, contract: Contract) -> np.ndarray:
    """The label column as 0/1, 1 for the contract's positive class."""
    return (frame[contract.label.column] == contract.label.positive).to_numpy(dtype=int)


def write_split(frame: pd.DataFrame, path: Path) -> None:
    write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))


def read_split(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise UserError(f"{path}: not found; run the prepare stage first")
    return pd.read_parquet(path)


def read_text(path: Path) -> pd.DataFrame:
    """The file's cells as text (empty cells missing), for checking before any type is assumed.

    A missing file is a usage error (exit 2); a file that is not readable CSV text breaks the
    contract (exit 1).
    """
    _require_file(path)
    head = path.open("rb").read(8192)
    if not head:
        raise DataError(f"{path}: the file is empty")
    if b"\x00" in head:
        raise DataError(f"{path}: binary content, not CSV text")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text ({_first_undecodable(path)})") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: no header row") from None
    except pd.errors.ParserError as error:
        raise DataError(f"{path}: malformed CSV ({str(error).strip()})") from None


def typed(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """Text cells converted to the contract's types (after the schema checks have passed)."""
    converted = frame.copy()
    for name, column in contract.columns.items():
        if column.is_numeric and name in converted:
            converted[name] = pd.to_numeric(converted[name].str.strip())
    return converted


def read_profile(path: Path) -> dict:
    """A data profile (data/reference.json, as `profile` writes it); a one-line error when it is damaged."""
    again = f"write it again with `{PROJECT} profile`"
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserError(f"{path}: not a data profile ({error}); {again}") from None
    columns = found.get("columns") if isinstance(found, dict) else None
    if not isinstance(columns, dict) or not all(isinstance(entry, dict) for entry in columns.values()):
        raise UserError(f"{path}: not a data profile (no columns); {again}")
    return found
