"""prepare: load the raw data as the contract describes it and split it reproducibly."""

from __future__ import annotations

from ..config import Paths
from ..core.split import split
from ..io.datasets import read_raw, write_split
from ..settings import load_checked


def run(paths: Paths) -> None:
    settings, contract = load_checked(paths)
    frame = read_raw(paths.raw_data, contract)
    train, test = split(frame, contract.label.column, settings.prepare.test_size, settings.prepare.seed)
    write_split(train, paths.train_split)
    write_split(test, paths.test_split)
    print(f"prepare: {len(frame)} rows -> {len(train)} train, {len(test)} test")
