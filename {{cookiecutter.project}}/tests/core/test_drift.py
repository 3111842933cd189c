"""PSI measures distribution shift for numbers and categories; the same data does not shift."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package }}.core.drift import Retraining, Shift, decide, profile, psi, shifts


def test_psi_is_zero_for_identical_distributions_and_grows_with_shift():
    assert psi([0.5, 0.5], [0.5, 0.5]) == 0
    assert 0 < psi([0.5, 0.5], [0.6, 0.4]) < psi([0.5, 0.5], [0.9, 0.1])


def test_profile_bins_numbers_at_deciles_and_counts_categories(sample, contract):
    reference = profile(sample, contract)["columns"]
    assert len(reference["age"]["proportions"]) == len(reference["age"]["edges"]) + 1
    assert sum(reference["age"]["proportions"]) == pytest.approx(1, abs=1e-4)
    assert set(reference["sex"]["frequencies"]) == {"Female", "Male"}
    assert reference["workclass"]["missing"] > 0


def test_a_fresh_sample_of_the_same_data_does_not_shift(raw, contract):
    reference = profile(raw, contract)
    batch = raw.sample(n=3000, random_state=5)
    assert all(shift.ok for shift in shifts(reference, batch, contract, psi_max=0.1, missing_max=0.02))


def test_shifted_numbers_categories_and_missing_rates_are_flagged(raw, contract):
    reference = profile(raw, contract)
    batch = raw.sample(n=3000, random_state=5).reset_index(drop=True)
    batch["age"] = (batch["age"] + 20).clip(upper=90)
    batch["race"] = "Black"
    batch.loc[: len(batch) // 3, "occupation"] = pd.NA
    found = shifts(reference, batch, contract, psi_max=0.2, missing_max=0.05)
    flagged = {(shift.column, shift.statistic) for shift in found if not shift.ok}
    assert {("age", "psi"), ("race", "psi"), ("occupation", "missing_rate_increase")} <= flagged
    assert not {column for column, _ in flagged} - {"age", "race", "occupation"}
    assert np.isfinite([shift.value for shift in found]).all()


def test_retraining_is_decided_by_the_champion_its_age_and_the_drifted_columns():
    calm, drifted = Shift("age", "psi", 0.02, 0.1), Shift("age", "psi", 0.31, 0.1)
    assert decide(None, None, [], 30) == Retraining(True, ("no champion yet: the first model is trained",))
    assert decide("3", 2.0, [calm], 30) == Retraining(
        False,
        ("no column drifted: largest PSI age 0.020 <= 0.1", "champion version 3 is 2.0 days old (max 30)"),
    )
    assert decide("3", 2.0, [calm, drifted], 30) == Retraining(True, ("age: psi 0.310 > 0.1",))
    stale = decide("3", 45.5, [calm], 30)
    assert stale == Retraining(True, ("champion version 3 is 45.5 days old (max 30)",))
    stale_on_its_data = decide("3", 45.5, [calm], 30, data_changed=False)
    assert not stale_on_its_data.retrain  # the same model again, which compare keeps, every scheduled run
    assert stale_on_its_data.reasons[1:] == (
        "champion version 3 is 45.5 days old (max 30)",
        "version 3 is past max_age_days, but the data is what version 3 was trained on: refresh the training "
        "data (drift.refresh)",
    )
    unmeasured = decide("3", 2.0, [], 30, measured=False)
    assert unmeasured.retrain
    assert unmeasured.reasons == ("no profile of champion version 3's training data: drift not measured",)
    missing = Shift("workclass", "missing_rate_increase", 0.08, 0.02)
    assert decide("3", 45.5, [missing], 30).reasons == (
        "workclass: missing rate increase 0.080 > 0.02",
        "champion version 3 is 45.5 days old (max 30)",
    )
    off = ("hours_per_week: psi 0.420 > 0.2",)
    assert decide("3", 2.0, [calm], 30, served=off) == Retraining(True, ("served data: " + off[0],))
    same_data = decide("3", 2.0, [calm], 30, served=off, data_changed=False)
    assert not same_data.retrain  # a retrain on the champion's own data gives the same model back
    assert same_data.reasons[-1] == (
        "served data is off (hours_per_week: psi 0.420 > 0.2), but the data is what version 3 was trained "
        "on: refresh the training data (drift.refresh)"
    )
