"""The request schema follows the contract: its columns but the label, types, nullability, no extras."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package }}.core.request_schema import (
    ContractLimits,
    batch_model,
    error_field,
    record_model,
)

RECORD = {
    "age": 39, "workclass": "State-gov", "fnlwgt": 77516, "education": "Bachelors", "education_num": 13,
    "marital_status": "Never-married", "occupation": "Adm-clerical", "relationship": "Not-in-family",
    "race": "White", "sex": "Male", "capital_gain": 2174, "capital_loss": 0, "hours_per_week": 40,
    "native_country": "United-States",
}  # fmt: skip


def test_columns_are_the_contract_without_the_label(contract):
    assert contract.input_columns() == [name for name in contract.columns if name != "income"]
    assert set(record_model(contract).model_fields) == set(RECORD)


def test_accepts_a_valid_record_and_null_only_where_missing_values_are_allowed(contract):
    record = record_model(contract)
    record.model_validate({**RECORD, "workclass": None})
    with pytest.raises(ValidationError, match="sex"):
        record.model_validate({**RECORD, "sex": None})


@pytest.mark.parametrize(
    ("change", "field"),
    [({"age": "39"}, "age"), ({"age": 39.0}, "age"), ({"age": float("nan")}, "age"), ({"race": 3}, "race"),
     ({"extra": 1}, "extra")],
)  # fmt: skip
def test_rejects_coercion_nan_and_extra_fields(contract, change, field):
    with pytest.raises(ValidationError) as error:
        record_model(contract).model_validate({**RECORD, **change})
    assert error.value.errors()[0]["loc"] == (field,)


def test_a_batch_holds_one_to_max_records(contract):
    batch = batch_model(record_model(contract), max_rows=2)
    batch.model_validate({"records": [RECORD, RECORD]})
    for records in ([], [RECORD] * 3):
        with pytest.raises(ValidationError):
            batch.model_validate({"records": records})


def test_finds_values_outside_the_contract_but_not_missing_ones(contract):
    limits = ContractLimits(contract)
    odd = {**RECORD, "race": "Martian", "workclass": None, "occupation": "", "age": 120, "hours_per_week": 0}
    found = [(violation.column, violation.rule) for violation in limits.violations(odd)]
    assert found == [("age", "above_max"), ("hours_per_week", "below_min"), ("race", "unseen_category")]
    assert limits.violations(RECORD) == []
    [violation] = limits.violations({**RECORD, "age": 5}, where="records[2].")
    assert violation.message == "records[2].age: 5 is below the contract's minimum 17"


def test_error_locations_read_as_field_paths():
    assert error_field(("records", 3, "age")) == "records[3].age"
    assert error_field(("age",)) == "age"
    assert error_field(()) == "(body)"
