"""The train/test split is reproducible, disjoint and keeps the class balance."""

from {{ cookiecutter.package }}.core.split import split


def test_same_seed_gives_the_same_split(sample):
    first, _ = split(sample, "income", test_size=0.25, seed=7)
    again, _ = split(sample, "income", test_size=0.25, seed=7)
    other, _ = split(sample, "income", test_size=0.25, seed=8)
    assert first.equals(again)
    assert not first.equals(other)


def test_split_is_disjoint_and_complete(sample):
    marked = sample.assign(row=range(len(sample)))
    train, test = split(marked, "income", test_size=0.25, seed=7)
    assert len(test) == 500
    assert set(train["row"]).isdisjoint(test["row"])
    assert len(train) + len(test) == len(sample)


def test_split_keeps_the_class_balance(sample):
    train, test = split(sample, "income", test_size=0.25, seed=7)
    overall = (sample["income"] == ">50K").mean()
    for part in (train, test):
        assert abs((part["income"] == ">50K").mean() - overall) < 0.01
