"""Great Expectations (GX Core 1.x): the data contract as expectation suites, run as checkpoints.

Two phases, because ranges can only be checked once values are known to be numbers:
`schema` runs on the file's raw text (columns, row count, types, categories, missing values,
uniqueness); `values` runs on the typed data (numeric ranges) when the schema holds.
Results come back as ExpectationOutcome (artefacts.py) and as Data Docs HTML.
"""

from __future__ import annotations

import logging
from pathlib import Path

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
from great_expectations.data_context.types.base import ProgressBarsConfig

from ..artefacts import ExpectationOutcome
from ..contract import Contract

logging.getLogger("great_expectations").setLevel(logging.ERROR)

TYPE_PATTERNS = {
    "integer": r"^\s*[-+]?\d+\s*$",
    "float": r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$",
}
EXAMPLES = 5


def schema_expectations(contract: Contract, present: list[str]) -> list[gxe.Expectation]:
    rows = contract.rows
    found: list[gxe.Expectation] = [
        gxe.ExpectTableColumnsToMatchSet(column_set=list(contract.columns), exact_match=True),
        gxe.ExpectTableRowCountToBeBetween(min_value=rows.min, max_value=rows.max),
    ]
    for name, column in contract.columns.items():
        if name not in present:
            continue  # reported once by the column-set expectation
        if column.is_numeric:
            found.append(gxe.ExpectColumnValuesToMatchRegex(column=name, regex=TYPE_PATTERNS[column.type]))
        elif column.values is not None:
            found.append(gxe.ExpectColumnValuesToBeInSet(column=name, value_set=list(column.values)))
        found.append(
            gxe.ExpectColumnValuesToNotBeNull(column=name, mostly=1 - column.max_missing)
            if column.nullable
            else gxe.ExpectColumnValuesToNotBeNull(column=name)
        )
        if column.unique:
            found.append(gxe.ExpectColumnValuesToBeUnique(column=name))
    return found


def value_expectations(contract: Contract) -> list[gxe.Expectation]:
    return [
        gxe.ExpectColumnValuesToBeBetween(column=name, min_value=column.min, max_value=column.max)
        for name, column in contract.columns.items()
        if column.is_numeric and (column.min is not None or column.max is not None)
    ]


def expected_text(expectation: str, kwargs: dict) -> str:
    if expectation == "expect_table_columns_to_match_set":
        return f"exactly the columns {', '.join(kwargs['column_set'])}"
    if expectation == "expect_table_row_count_to_be_between":
        upper = f" and at most {kwargs['max_value']}" if kwargs.get("max_value") else ""
        return f"at least {kwargs['min_value']} rows{upper}"
    if expectation == "expect_column_values_to_match_regex":
        kind = "integers" if kwargs["regex"] == TYPE_PATTERNS["integer"] else "numbers"
        return f"{kind}"
    if expectation == "expect_column_values_to_be_in_set":
        return f"one of {', '.join(map(str, kwargs['value_set']))}"
    if expectation == "expect_column_values_to_not_be_null":
        mostly = kwargs.get("mostly")
        return f"at most {1 - mostly:.0%} empty" if mostly is not None and mostly < 1 else "no empty values"
    if expectation == "expect_column_values_to_be_unique":
        return "unique values"
    if expectation == "expect_column_values_to_be_between":
        return f"values from {kwargs.get('min_value')} to {kwargs.get('max_value')}"
    return expectation


def _outcome(phase: str, result) -> ExpectationOutcome:
    config = result.expectation_config
    kwargs = config.kwargs
    details = result.result or {}
    observed = details.get("observed_value")
    if config.type == "expect_table_columns_to_match_set":
        mismatched = (details.get("details") or {}).get("mismatched") or {}
        observed = {
            "missing": sorted(mismatched.get("missing", [])),
            "unexpected": sorted(mismatched.get("unexpected", [])),
        }
    elif observed is None and details.get("unexpected_percent") is not None:
        observed = f"{details['unexpected_percent']:.2f}% of rows unexpected"
    examples = tuple(
        _plain(str(value)) for value in (details.get("partial_unexpected_list") or [])[:EXAMPLES]
    )
    if result.exception_info and result.exception_info.get("raised_exception"):
        observed = f"could not be checked: {result.exception_info.get('exception_message')}"
    return ExpectationOutcome(
        phase=phase,
        expectation=config.type,
        column=kwargs.get("column"),
        success=bool(result.success),
        expected=expected_text(config.type, kwargs),
        observed=_plain(observed),
        unexpected_count=None
        if details.get("unexpected_count") is None
        else int(details["unexpected_count"]),
        unexpected_examples=examples,
    )


KEPT = 200
"""Characters of a text value kept in reports/validation.json (a header line can be megabytes long)."""


def _plain(value: object) -> object:
    """GX's observed value as plain JSON data: numpy scalars as Python numbers, long texts cut."""
    if isinstance(value, str):
        return value if len(value) <= KEPT else f"{value[:KEPT]}... ({len(value)} characters)"
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value.item() if hasattr(value, "item") else value


class Validator:
    """An ephemeral GX context that runs named checkpoints, then writes their Data Docs to one folder.

    The docs are built once for all checkpoints (build_docs): rendering them costs more than validating.
    """

    def __init__(self, docs: Path) -> None:
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.context.add_data_docs_site(
            site_name="local",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
        self.source = self.context.data_sources.add_pandas("data")

    def run(
        self, phase: str, frame: pd.DataFrame, expectations: list[gxe.Expectation]
    ) -> list[ExpectationOutcome]:
        batch = self.source.add_dataframe_asset(phase).add_batch_definition_whole_dataframe(phase)
        suite = self.context.suites.add(gx.ExpectationSuite(name=phase, expectations=expectations))
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=phase, data=batch, suite=suite)
        )
        checkpoint = self.context.checkpoints.add(
            gx.Checkpoint(
                name=phase,
                validation_definitions=[definition],
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLES},
            )
        )
        result = checkpoint.run(batch_parameters={"dataframe": frame})
        validation = next(iter(result.run_results.values()))
        return [_outcome(phase, item) for item in validation.results]

    def build_docs(self) -> None:
        self.context.build_data_docs(site_names=["local"])
