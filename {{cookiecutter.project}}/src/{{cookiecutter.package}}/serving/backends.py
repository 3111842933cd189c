"""Inference backends: ONNX Runtime (the fast path) or the scikit-learn pipeline itself.

Both take validated request records (dicts of contract columns) and return the positive class's
probability per record. The ONNX graph has one input per contract column, so records go straight
into numpy arrays: no pandas on the hot path.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline

from ..contract import Contract

log = logging.getLogger(__name__)

POSITIVE = 1
"""The class index the pipeline was trained with for the contract's positive label."""

ONNX_MISSING = ""
"""How a missing category reaches the ONNX graph (ONNX string tensors have no null)."""


class Backend(Protocol):
    name: str

    def positive_probability(self, records: list[dict[str, Any]]) -> np.ndarray: ...


@dataclass(frozen=True)
class Chosen:
    backend: Backend
    fallback_reason: str | None
    """Why the ONNX fast path is not used; None when it is."""


class SklearnBackend:
    name = "sklearn"

    def __init__(self, pipeline: Pipeline, columns: list[str]) -> None:
        self.pipeline = pipeline
        self.columns = columns
        self.positive = list(pipeline.classes_).index(POSITIVE)

    def positive_probability(self, records: list[dict[str, Any]]) -> np.ndarray:
        frame = pd.DataFrame.from_records(records, columns=self.columns)
        frame = frame.replace({ONNX_MISSING: np.nan, None: np.nan})  # "" is missing, as in the raw data
        return self.pipeline.predict_proba(frame)[:, self.positive]


class OnnxBackend:
    name = "onnx"

    def __init__(self, model: bytes, contract: Contract, columns: list[str], positive: int) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # one request at a time per worker; threads only add overhead
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        self.numeric = [name for name in columns if contract.columns[name].is_numeric]
        self.categorical = [name for name in columns if not contract.columns[name].is_numeric]
        self.output = "probabilities"
        self.positive = positive

    def feeds(self, records: list[dict[str, Any]]) -> dict[str, np.ndarray]:
        """One [N, 1] array per column; numpy turns None into NaN for floats, ONNX strings get "" instead."""
        feeds = {
            name: np.array([[record[name]] for record in records], dtype=np.float32) for name in self.numeric
        }
        for name in self.categorical:
            feeds[name] = np.array([[record[name] or ONNX_MISSING] for record in records], dtype=object)
        return feeds

    def positive_probability(self, records: list[dict[str, Any]]) -> np.ndarray:
        (probabilities,) = self.session.run([self.output], self.feeds(records))
        return probabilities[:, self.positive]


def onnx_ready(pipeline: Pipeline) -> Pipeline:
    """A copy whose categorical imputers treat "" as missing: skl2onnx converts string imputers only
    with a string marker, and "" is what the service feeds for a missing category."""
    ready = copy.deepcopy(pipeline)
    for step in _estimators(ready):
        if isinstance(step, SimpleImputer) and getattr(step, "statistics_", np.array([])).dtype == object:
            step.missing_values = ONNX_MISSING
    return ready


def _estimators(estimator: Any) -> list[Any]:
    found = [estimator]
    children = getattr(estimator, "steps", None) or [
        (name, child) for name, child, _ in getattr(estimator, "transformers_", [])
    ]
    for _, child in children:
        if not isinstance(child, str):
            found.extend(_estimators(child))
    return found


def convert_to_onnx(pipeline: Pipeline, contract: Contract, columns: list[str]) -> bytes:
    """The pipeline as an ONNX graph with one [N, 1] input per column (float or string)."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    types = [
        (
            name,
            FloatTensorType([None, 1]) if contract.columns[name].is_numeric else StringTensorType([None, 1]),
        )
        for name in columns
    ]
    ready = onnx_ready(pipeline)
    options = {id(ready.steps[-1][1]): {"zipmap": False}}
    return convert_sklearn(ready, initial_types=types, options=options).SerializeToString()


PARITY = 1e-4
"""Largest difference allowed between ONNX's and scikit-learn's probabilities (float32 against float64)."""


def probe_records(contract: Contract, columns: list[str]) -> list[dict[str, Any]]:
    """Records across the contract: each number at its minimum, middle and maximum in turn, each category
    in turn, and every column that may be missing, missing. What ONNX is checked on against scikit-learn at
    load."""

    def value(name: str, step: int) -> Any:
        column = contract.columns[name]
        if not column.is_numeric:
            choices = column.values or ("unseen",)
            return choices[step % len(choices)]
        low = column.min if column.min is not None else 0.0
        high = column.max if column.max is not None else low + 100
        number = low + (high - low) * (step % 3) / 2
        return round(number) if column.type == "integer" else number

    steps = max(3, *(len(contract.columns[name].values or ()) for name in columns))
    probes = [{name: value(name, step) for name in columns} for step in range(steps)]
    missing = {name: None for name in columns if contract.columns[name].nullable}
    return [*probes, {**probes[1], **missing}] if missing else probes


def choose_backend(pipeline: Pipeline, contract: Contract, columns: list[str]) -> Chosen:
    """ONNX Runtime when the pipeline converts and gives scikit-learn's probabilities on probe records (the
    converter can get a model wrong without failing); otherwise scikit-learn, with the reason logged."""
    sklearn = SklearnBackend(pipeline, columns)
    try:
        model = convert_to_onnx(pipeline, contract, columns)
        backend = OnnxBackend(model, contract, columns, positive=list(pipeline.classes_).index(POSITIVE))
        probes = probe_records(contract, columns)
        expected = sklearn.positive_probability(probes)
        gap = float(np.max(np.abs(backend.positive_probability(probes) - expected)))
    except Exception as error:  # any converter or runtime failure means: use scikit-learn
        reason = f"ONNX conversion failed: {type(error).__name__}: {_first_line(error)}"
        log.warning("serving with scikit-learn; %s", reason)
        return Chosen(sklearn, reason)
    if not gap <= PARITY:  # NaN too
        reason = f"ONNX disagrees with scikit-learn on probe records (by {gap:.3g}, more than {PARITY:g})"
        log.warning("serving with scikit-learn; %s", reason)
        return Chosen(sklearn, reason)
    return Chosen(backend, None)


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else ""
