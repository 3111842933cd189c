"""The data contract describes the shipped data and derives the model's columns."""

from pathlib import Path

import pytest

from {{ cookiecutter.package }}.contract import load_contract
from {{ cookiecutter.package }}.errors import UserError


def test_shipped_data_matches_the_contract(raw, contract):
    assert list(raw.columns) == list(contract.columns)
    for name, column in contract.columns.items():
        values = raw[name].dropna()
        if not column.nullable:
            assert raw[name].notna().all(), name
        if column.values is not None:
            assert set(values) <= set(column.values), name
        if column.min is not None:
            assert values.min() >= column.min, name
        if column.max is not None:
            assert values.max() <= column.max, name


def test_feature_columns_leave_out_label_and_dropped(contract):
    columns = contract.feature_columns(("fnlwgt",))
    assert contract.label.column not in columns
    assert "fnlwgt" not in columns
    assert contract.slice in columns
    assert set(contract.numeric(columns)) | set(contract.categorical(columns)) == set(columns)


def test_dropping_an_unknown_column_is_refused(contract):
    with pytest.raises(ValueError, match="unknown column"):
        contract.feature_columns(("salary",))


def test_label_must_be_a_column(tmp_path):
    path = tmp_path / "contract.yaml"
    path.write_text(
        "label: {column: y, positive: '1', negative: '0'}\nslice: a\n"
        "columns: {a: {type: category}, b: {type: integer}}\n",
        encoding="utf-8",
    )
    with pytest.raises(UserError, match=r"label.column 'y' is not one of the columns"):
        load_contract(path)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            ('positive: ">50K"', 'positive: ">50k"'),
            "label.positive '>50k' is not one of income's values ('<=50K', '>50K')",
        ),
        (('negative: "<=50K"', 'negative: ">50K"'), "label.positive and label.negative are both '>50K'"),
        (("integer, min: 17, max: 90}", "integer, min: 90, max: 17}"), "min 90 is above max 17"),
    ],
    ids=["positive-typo", "one-class", "range-upside-down"],
)
def test_a_contract_mistake_is_one_line_before_anything_trains_on_it(tmp_path, change, problem):
    shipped = (Path(__file__).resolve().parents[1] / "data" / "contract.yaml").read_text(encoding="utf-8")
    old, new = change
    assert old in shipped
    path = tmp_path / "contract.yaml"
    path.write_text(shipped.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(UserError) as error:
        load_contract(path)
    assert problem in str(error.value)
    assert "\n" not in str(error.value)
