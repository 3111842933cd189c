import pytest

from {{ cookiecutter.package }}.core.compare import Delta
from {{ cookiecutter.package }}.core.decision import Evidence, Rules, decide

RULES = Rules(
    primary="roc_auc",
    rule="improve",
    min_delta=0.002,
    margin=0.005,
    max_slice_drop=0.01,
    max_latency_factor=2.0,
    primary_floor=0.85,
    slice_floor=0.85,
)


def auc(champion: float, challenger: float, low: float, high: float) -> Delta:
    return Delta(champion, challenger, round(challenger - champion, 6), low, high, higher_is_better=True)


def evidence(overall: Delta | None, slices: dict[str, Delta] | None = None, **changes) -> Evidence:
    primary = overall.challenger if overall else 0.93
    slices = slices if slices is not None else {"sex=Female": auc(0.95, 0.95, -0.001, 0.001)}
    values = {
        "challenger_primary": primary,
        "challenger_slices": {name: delta.challenger for name, delta in slices.items()},
        "overall": overall,
        "slices": slices if overall else {},
        "latency_factor": 1.0 if overall else None,
    }
    return Evidence(**(values | changes))


def test_first_model_clearing_the_floors_is_first():
    decision = decide(evidence(None), RULES)
    assert decision.outcome == "first"
    assert decision.promotes
    assert "no champion yet" in decision.reasons[0]


def test_first_model_below_a_floor_is_kept_out_and_says_why():
    decision = decide(evidence(None, {"sex=Female": auc(0, 0.80, 0, 0)}, challenger_primary=0.84), RULES)
    assert decision.outcome == "keep"
    assert not decision.promotes
    assert decision.reasons[1:] == (
        "roc_auc 0.8400 is below the floor 0.85",
        "slice sex=Female: roc_auc 0.8000 is below the floor 0.85",
    )


def test_a_clearly_better_challenger_is_promoted():
    decision = decide(evidence(auc(0.90, 0.93, 0.02, 0.04)), RULES)
    assert decision.outcome == "promote"
    assert decision.reasons[0].startswith("roc_auc +0.0300 (interval +0.0200 to +0.0400) meets the rule")


def test_a_worse_challenger_is_kept_out():
    decision = decide(evidence(auc(0.93, 0.90, -0.04, -0.02)), RULES)
    assert decision.outcome == "keep"
    assert "misses the rule" in decision.reasons[0]


@pytest.mark.parametrize(
    "delta",
    [auc(0.93, 0.9305, -0.001, 0.002), auc(0.93, 0.934, -0.0005, 0.008)],
    ids=["gain-below-min-delta", "interval-touches-zero"],
)
def test_a_challenger_equal_within_noise_is_kept_out(delta):
    assert decide(evidence(delta), RULES).outcome == "keep"


def test_a_challenger_better_overall_but_worse_on_one_slice_is_kept_out_naming_the_slice():
    slices = {"sex=Female": auc(0.95, 0.93, -0.03, -0.01), "sex=Male": auc(0.91, 0.95, 0.03, 0.05)}
    decision = decide(evidence(auc(0.92, 0.94, 0.01, 0.03), slices), RULES)
    assert decision.outcome == "keep"
    assert decision.reasons == (
        "slice sex=Female: roc_auc -0.0200 (interval -0.0300 to -0.0100) drops more than 0.01",
    )


def test_a_much_slower_challenger_is_kept_out():
    decision = decide(evidence(auc(0.90, 0.93, 0.02, 0.04), latency_factor=2.5), RULES)
    assert decision.outcome == "keep"
    assert decision.reasons == ("latency per row is 2.50x the champion's, above the limit 2.0x",)


def test_non_inferiority_accepts_a_small_loss_within_the_margin():
    rules = Rules(**{**RULES.__dict__, "rule": "non_inferior"})
    assert decide(evidence(auc(0.93, 0.929, -0.004, 0.002)), rules).outcome == "promote"
    assert decide(evidence(auc(0.93, 0.925, -0.009, -0.001)), rules).outcome == "keep"


def test_the_champion_against_itself_is_kept():
    decision = decide(evidence(auc(0.93, 0.93, 0, 0), same_version=True), RULES)
    assert decision.outcome == "keep"
    assert "already the champion" in decision.reasons[0]
