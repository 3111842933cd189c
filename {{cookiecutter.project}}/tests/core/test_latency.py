import time

from {{ cookiecutter.package }}.core.latency import best_ms


def test_the_slower_call_measures_slower_and_each_is_called_every_round():
    calls = {"fast": 0, "slow": 0}

    def fast():
        calls["fast"] += 1

    def slow():
        calls["slow"] += 1
        time.sleep(0.002)

    times = best_ms({"fast": fast, "slow": slow}, repeats=5)

    assert times["slow"] >= 2 > times["fast"]
    assert calls == {"fast": 6, "slow": 6}  # a warm-up call, then one a round
