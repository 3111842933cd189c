"""What `monitor` compares the served positive share with: the model's own share on its training rows, which
its run records (the PredictionShift alert uses the same number), else the training labels' positive rate."""

from {{ cookiecutter.package }}.core.monitor import PredictionShare, training_share

LABELS_ONLY = {"columns": {"income": {"frequencies": {"<=50K": 0.76, ">50K": 0.24}}}}


def test_the_models_own_share_on_its_training_rows_comes_first_then_the_labels():
    recorded, wrong = ({**LABELS_ONLY, "predicted_positive_share": share} for share in (0.2, 1.5))
    assert training_share(recorded, "income", ">50K") == (0.2, "predictions")
    assert training_share(LABELS_ONLY, "income", ">50K") == (0.24, "labels")  # an older run
    assert training_share(wrong, "income", ">50K") == (0.24, "labels")
    assert training_share({"columns": {}}, "income", ">50K") is None


def test_a_share_holds_within_its_limit_of_the_baseline():
    assert PredictionShare(served=0.28, training=0.2, limit=0.1, baseline="predictions").ok
    assert not PredictionShare(served=0.34, training=0.2, limit=0.1, baseline="predictions").ok
