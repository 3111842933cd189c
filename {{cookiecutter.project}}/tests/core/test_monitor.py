"""What `monitor` compares the served positive share with: the model's own share on its training rows at the
service's threshold (from the score quantiles its run records; the PredictionShift alert uses the same
number), else the training labels' positive rate."""

from {{ cookiecutter.package }}.core.monitor import PredictionShare, training_share

LABELS_ONLY = {"columns": {"income": {"frequencies": {"<=50K": 0.76, ">50K": 0.24}}}}
QUANTILES = [round(step / 100, 2) for step in range(101)]  # scores spread evenly over 0..1


def test_the_models_own_share_on_its_training_rows_comes_first_then_the_labels():
    recorded = {**LABELS_ONLY, "training_score_quantiles": QUANTILES}
    assert training_share(recorded, "income", ">50K", 0.8) == (0.2, "predictions")
    assert training_share(recorded, "income", ">50K", 0.5) == (0.5, "predictions")
    assert training_share(LABELS_ONLY, "income", ">50K", 0.5) == (0.24, "labels")  # an older run
    for damaged in ([0.5], [0.9, 0.1], ["a", "b"], [0.1, 1.5], None):
        found = training_share({**LABELS_ONLY, "training_score_quantiles": damaged}, "income", ">50K", 0.5)
        assert found == (0.24, "labels"), damaged
    assert training_share({"columns": {}}, "income", ">50K", 0.5) is None


def test_a_share_holds_within_its_limit_of_the_baseline():
    assert PredictionShare(served=0.28, training=0.2, limit=0.1, baseline="predictions").ok
    assert not PredictionShare(served=0.34, training=0.2, limit=0.1, baseline="predictions").ok
