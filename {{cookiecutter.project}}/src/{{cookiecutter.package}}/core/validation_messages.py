"""Failed validation checks in one line each: which column, what was expected, what was seen."""

from __future__ import annotations

from ..artefacts import ExpectationOutcome
from .drift import Shift

DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}
SHOWN = 60
"""Characters of a value shown in a message; a longer one (a whole line read as a header, say) is cut."""


def shorten(value: object) -> str:
    """repr(value), cut to SHOWN characters with the length it had."""
    text = repr(value)
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}... ({len(text)} characters)"


def describe(outcome: ExpectationOutcome) -> str:
    """One line for a failed expectation."""
    where = outcome.column or ("columns" if "columns" in outcome.expectation else "rows")
    observed = outcome.observed
    if outcome.expectation == "expect_table_columns_to_match_set" and isinstance(observed, dict):
        parts = []
        if observed["missing"]:
            parts.append(f"missing {', '.join(observed['missing'])}")
        if observed["unexpected"]:
            parts.append(f"unexpected {', '.join(shorten(name) for name in observed['unexpected'])}")
        hint = delimiter_hint(observed["unexpected"])
        return f"columns: {'; '.join(parts)}{hint}"
    if outcome.expectation == "expect_table_row_count_to_be_between":
        return f"rows: expected {outcome.expected}, found {observed}"
    seen = f"found {observed}" if outcome.unexpected_count is None else _unexpected(outcome)
    return f"{where}: expected {outcome.expected}; {seen}"


def _unexpected(outcome: ExpectationOutcome) -> str:
    count = outcome.unexpected_count
    examples = ", ".join(shorten(value) for value in outcome.unexpected_examples)
    noun = "value" if count == 1 else "values"
    text = f"found {count} other {noun}"
    if outcome.expectation == "expect_column_values_to_not_be_null":
        text = f"found {count} empty {noun} ({outcome.observed})"
    elif examples:
        text += f" (e.g. {examples})"
    return text


def delimiter_hint(unexpected: list[str]) -> str:
    for name in unexpected:
        for delimiter, word in DELIMITERS.items():
            if delimiter in name:
                return f" (the file looks {word}-delimited; a comma-separated file is expected)"
    return ""


def describe_shift(shift: Shift) -> str:
    if shift.statistic == "psi":
        return (
            f"{shift.column}: distribution shifted from the reference "
            f"(PSI {shift.value:.3f} > {shift.limit:.3f})"
        )
    return (
        f"{shift.column}: missing rate rose by {shift.value:.1%} over the reference "
        f"(at most {shift.limit:.1%} allowed)"
    )
