"""Raw data is read with the contract's types; unreadable files give one clear line."""

from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package }}.errors import UserError
from {{ cookiecutter.package }}.io.datasets import labels, read_raw, read_split, write_split


def test_reads_types_and_missing_values_from_the_contract(raw, contract):
    assert str(raw["age"].dtype) == "Int64"
    assert raw["workclass"].isna().sum() > 0  # unknown values stay missing, not "?"
    assert set(labels(raw.head(100), contract)) <= {0, 1}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"age,sex\n30,Male\n", "missing column(s) workclass"),
        (b"\xff\xfe\x00garbage\x00\xff", "not UTF-8"),
    ],
    ids=["empty", "missing-columns", "binary"],
)
def test_unreadable_data_is_a_one_line_user_error(tmp_path, contract, content, expected):
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    with pytest.raises(UserError) as error:
        read_raw(path, contract)
    assert expected in str(error.value)
    assert str(error.value).startswith(str(path))


def test_text_in_a_numeric_column_names_the_problem(tmp_path, raw, contract):
    path = tmp_path / "data.csv"
    broken = raw.head(5).astype(object)
    broken.loc[2, "age"] = "forty"
    broken.to_csv(path, index=False)
    with pytest.raises(UserError, match="forty"):
        read_raw(path, contract)


def test_missing_file(tmp_path, contract):
    with pytest.raises(UserError, match="data file not found"):
        read_raw(tmp_path / "nope.csv", contract)


def test_split_round_trips_with_types(tmp_path: Path, sample: pd.DataFrame):
    path = tmp_path / "prepared" / "train.parquet"
    write_split(sample, path)
    again = read_split(path)
    pd.testing.assert_frame_equal(again, sample)
    assert not list(path.parent.glob(".*.tmp"))
