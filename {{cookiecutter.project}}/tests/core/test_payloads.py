"""Load-test payloads are real rows as plain JSON records, without the label."""

from __future__ import annotations

import json

from {{ cookiecutter.package }}.core.payloads import sample_records


def test_records_are_json_ready_with_none_for_missing(sample, contract):
    columns = [name for name in contract.columns if name != "income"]
    records = sample_records(sample, columns, rows=500, seed=0)

    assert len(records) == 500
    assert all(set(record) == set(columns) for record in records)
    assert any(record["workclass"] is None for record in records)
    assert all(type(record["age"]) is int for record in records)
    json.dumps(records, allow_nan=False)


def test_asks_for_no_more_rows_than_there_are(sample, contract):
    assert len(sample_records(sample.head(3), ["age"], rows=10, seed=0)) == 3
