"""Failed checks read as one line: which column, what was expected, what was seen."""

from {{ cookiecutter.package }}.artefacts import ExpectationOutcome
from {{ cookiecutter.package }}.core.drift import Shift
from {{ cookiecutter.package }}.core.validation_messages import describe, describe_shift


def outcome(expectation, observed, column=None, expected="", count=None, examples=()):
    return ExpectationOutcome(
        phase="schema",
        expectation=expectation,
        column=column,
        success=False,
        observed=observed,
        expected=expected,
        unexpected_count=count,
        unexpected_examples=examples,
    )


def test_column_mismatch_names_missing_and_unexpected_columns_and_spots_the_delimiter():
    line = describe(
        outcome(
            "expect_table_columns_to_match_set",
            {"missing": ["age", "sex"], "unexpected": ["age;sex"]},
        )
    )
    assert line == (
        "columns: missing age, sex; unexpected 'age;sex' "
        "(the file looks semicolon-delimited; a comma-separated file is expected)"
    )


def test_value_problems_show_count_and_examples():
    line = describe(
        outcome(
            "expect_column_values_to_be_in_set",
            None,
            "sex",
            "one of Female, Male",
            2,
            ("Alien", "?"),
        )
    )
    assert line == "sex: expected one of Female, Male; found 2 other values (e.g. 'Alien', '?')"


def test_shifts_explain_the_statistic_and_its_limit():
    assert describe_shift(Shift("age", "psi", 0.31, 0.2)) == (
        "age: distribution shifted from the reference (PSI 0.310 > 0.200)"
    )
    assert "missing rate rose by 12.0%" in describe_shift(
        Shift("occupation", "missing_rate_increase", 0.12, 0.05)
    )
