"""The models a service holds: the stable one, and during a deployment a candidate and the previous one.

The stable model loads in the background at start-up (/ready says 503 until it is there). A deployment
stages a candidate (loaded beside the stable one), may route a share of requests to it (a canary), then
promotes it (an atomic swap: requests in flight finish on the model they started with) or withdraws it;
the replaced model is kept until the deployment is over, to revert to.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core.scoring import positive_share
from ..io.model_files import LoadedModel
from ..io.registry import ModelReference
from .backends import Chosen

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServedModel:
    reference: ModelReference
    chosen: Chosen
    trained_at: float | None = None
    """Seconds since the epoch (model_trained_timestamp_seconds), when the model folder says."""
    positive_share: float | None = None
    """The share of its training rows it predicts positive at the service's threshold
    (model_predicted_positive_share), when the model carries its score quantiles."""

    @classmethod
    def of(
        cls, reference: ModelReference, chosen: Chosen, loaded: LoadedModel, threshold: float
    ) -> ServedModel:
        quantiles = loaded.score_quantiles
        share = None if quantiles is None else positive_share(quantiles, threshold)
        return cls(reference, chosen, loaded.trained_at, share)

    @property
    def version(self) -> str:
        return self.reference.version

    def describe(self) -> dict[str, Any]:
        reference = self.reference
        return {
            "model": {"name": reference.name, "version": reference.version, "alias": reference.alias},
            "backend": self.chosen.backend.name,
            "fallback_reason": self.chosen.fallback_reason,
        }


Loader = Callable[[], ServedModel]


class ModelSlot:
    """One model, loaded in a background thread; `error` says why it could not be."""

    def __init__(self, role: str, on_failure: Callable[[], None] = lambda: None) -> None:
        self.role = role
        self.model: ServedModel | None = None
        self.error: str | None = None
        self.on_failure = on_failure

    def load_in_background(self, loader: Loader) -> None:
        threading.Thread(target=self.load, args=(loader,), name=f"{self.role}-loader", daemon=True).start()

    def load(self, loader: Loader) -> None:
        try:
            self.model = loader()
        except Exception as error:  # any failure to load: reported by the service and its log
            self.error = f"{type(error).__name__}: {error}"
            log.error("%s model failed to load: %s", self.role, self.error)
            self.on_failure()
            return
        described = self.model.describe()
        log.info(
            "%s model %s version %s loaded; backend %s%s",
            self.role,
            described["model"]["name"],
            described["model"]["version"],
            described["backend"],
            f" ({described['fallback_reason']})" if described["fallback_reason"] else "",
        )

    @property
    def state(self) -> str:
        return "ready" if self.model else "failed" if self.error else "loading"


class Models:
    """The stable model (its failure to load stops the service: on_failure), a candidate and a previous."""

    def __init__(self, on_failure: Callable[[], None] = lambda: None, seed: int | None = None) -> None:
        self.stable = ModelSlot("stable", on_failure)
        self.candidate: ModelSlot | None = None
        self.previous: ServedModel | None = None
        self.share = 0.0
        self._random = random.Random(seed)

    def pick(self) -> ServedModel | None:
        """The model for one request: the candidate for `share` of them once loaded, else the stable one."""
        candidate = self.candidate.model if self.candidate else None
        if candidate is not None and self.share > 0 and self._random.random() < self.share:
            return candidate
        return self.stable.model

    def stage(self, loader: Loader) -> None:
        """Load a candidate beside the stable model (replacing an earlier one); it takes no request yet."""
        self.share = 0.0
        self.candidate = ModelSlot("candidate")
        self.candidate.load_in_background(loader)

    def promote(self) -> ServedModel:
        """The loaded candidate becomes the stable model in one assignment; the replaced one is kept."""
        if self.candidate is None or self.candidate.model is None:
            raise LookupError("no loaded candidate to promote")
        self.previous, self.stable.model = self.stable.model, self.candidate.model
        self.candidate, self.share = None, 0.0
        return self.stable.model

    def revert(self) -> ServedModel:
        """The previous model becomes the stable one again."""
        if self.previous is None:
            raise LookupError("no previous model to revert to")
        self.stable.model, self.previous = self.previous, None
        return self.stable.model

    def withdraw(self) -> None:
        self.candidate, self.share = None, 0.0

    def describe(self) -> dict[str, Any]:
        candidate = self.candidate
        return {
            "stable": self.stable.model.describe() if self.stable.model else None,
            "candidate": None
            if candidate is None
            else {
                "state": candidate.state,
                "error": candidate.error,
                **(candidate.model.describe() if candidate.model else {}),
            },
            "previous": self.previous.version if self.previous else None,
            "share": self.share,
        }
