"""profile: record the raw data's distributions as the reference that `validate` measures skew against.

Run it when you accept a new dataset (the one the next model will train on), and commit
data/reference.json with the data change.
"""

from __future__ import annotations

from ..config import Paths
from ..contract import load_contract
from ..core.drift import profile
from ..io.datasets import read_raw
from ..io.files import write_json


def run(paths: Paths) -> None:
    contract = load_contract(paths.contract)
    frame = read_raw(paths.raw_data, contract)
    write_json(paths.reference, {"data": paths.raw_data.name, **profile(frame, contract)})
    print(f"profile: {len(frame)} rows of {paths.raw_data.name} -> {paths.shown(paths.reference)}")
