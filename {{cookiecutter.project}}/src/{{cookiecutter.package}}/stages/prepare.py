"""prepare: load the raw data as the contract describes it and split it reproducibly."""

from __future__ import annotations

from ..config import Paths
from ..contract import load_contract
from ..core.split import split
from ..io.datasets import read_raw, write_split
from ..settings import load_settings


def run(paths: Paths) -> None:
    settings = load_settings(paths.params).prepare
    contract = load_contract(paths.contract)
    frame = read_raw(paths.raw_data, contract)
    train, test = split(frame, contract.label.column, settings.test_size, settings.seed)
    write_split(train, paths.train_split)
    write_split(test, paths.test_split)
    print(f"prepare: {len(frame)} rows -> {len(train)} train, {len(test)} test")
