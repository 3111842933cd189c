"""A reproducible, label-stratified train/test split."""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import train_test_split


def split(frame: pd.DataFrame, label: str, test_size: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split rows so both parts keep the class balance; the same seed gives the same split."""
    train, test = train_test_split(
        frame, test_size=test_size, random_state=seed, stratify=frame[label], shuffle=True
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)
