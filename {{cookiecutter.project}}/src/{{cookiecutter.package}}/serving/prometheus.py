"""The service's Prometheus metrics, in a registry of its own (one per app, so tests stay independent),
and the middleware that times and counts every request."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily, Metric

if TYPE_CHECKING:
    from .models import Models

disable_created_metrics()  # the *_created series only add noise to scrapes

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class ServiceMetrics:
    def __init__(self) -> None:
        self._children: dict[tuple[str, int], tuple[Any, Any, Any]] = {}
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Request latency by route",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.requests = Counter(
            "http_requests", "Requests by route and status", ["route", "status"], registry=self.registry
        )
        self.errors = Counter(
            "http_request_errors",
            "Requests answered with a 4xx or 5xx status, by route and status",
            ["route", "status"],
            registry=self.registry,
        )
        self.predictions = Counter(
            "predictions",
            "Predictions by model version and predicted class (each version's share is judged on its own)",
            ["version", "label"],
            registry=self.registry,
        )
        self.validation_failures = Counter(
            "input_validation_failures",
            "Rejected /predict requests by reason",
            ["reason"],
            registry=self.registry,
        )
        self.non_finite = Counter(
            "prediction_non_finite",
            "Predicted probabilities that were NaN or infinite (answered with a 500), by model version",
            ["version"],
            registry=self.registry,
        )
        self.contract_violations = Counter(
            "contract_violations",
            "Values outside the data contract, by column and rule (below_min, above_max, unseen_category)",
            ["column", "rule"],
            registry=self.registry,
        )

        self.model_requests = Counter(
            "model_requests",
            "Predict requests by the model version that answered them and outcome (ok, error)",
            ["version", "outcome"],
            registry=self.registry,
        )
        self.model_latency = Histogram(
            "model_request_duration_seconds",
            "Time a model version took to predict a request (what a canary is judged on, beside errors)",
            ["version"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def watch(self, models: Models, positive: str) -> None:
        """Export the models' versions, training times and positive shares, read at each scrape (see
        ModelsCollector); `positive` is the label predictions_total counts positive predictions under."""
        self.registry.register(ModelsCollector(models, positive))

    def observe_model(self, version: str, outcome: str, seconds: float) -> None:
        self.model_requests.labels(version, outcome).inc()
        self.model_latency.labels(version).observe(seconds)

    def observe_request(self, route: str, status: int, seconds: float) -> None:
        """Latency, request and error counts of one request (label children cached: this is per request)."""
        children = self._children.get((route, status))
        if children is None:
            code = str(status)
            errors = self.errors.labels(route, code) if status >= 400 else None
            children = (self.latency.labels(route), self.requests.labels(route, code), errors)
            self._children[(route, status)] = children
        latency, requests, errors = children
        latency.observe(seconds)
        requests.inc()
        if errors is not None:
            errors.inc()


class ModelsCollector:
    """model_info{role, name, version} = 1, model_trained_timestamp_seconds{role, version} and
    model_predicted_positive_share{role, version, label} for the stable model and, during a deployment, the
    candidate: read at each scrape, so always the ones serving. The last is the share of its training rows the
    model predicts positive at the service's threshold (from the score quantiles it carries), under the label
    predictions_total counts them by: the PredictionShift alert compares each version's served share with
    its own, whatever the data and the model."""

    def __init__(self, models: Models, positive: str) -> None:
        self.models = models
        self.positive = positive

    def describe(self) -> list[Metric]:
        return []  # nothing to check at registration: the series exist only once a model is loaded

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            "model_info", "The model each role serves", labels=["role", "name", "version"]
        )
        trained = GaugeMetricFamily(
            "model_trained_timestamp_seconds",
            "When the serving model was trained (saved), in seconds since the epoch",
            labels=["role", "version"],
        )
        share = GaugeMetricFamily(
            "model_predicted_positive_share",
            "The share of its training rows the model predicts positive at the service's threshold "
            "(under predictions_total's label)",
            labels=["role", "version", "label"],
        )
        slots = [self.models.stable, *([self.models.candidate] if self.models.candidate else [])]
        for slot in slots:
            if (served := slot.model) is None:
                continue
            info.add_metric([slot.role, served.reference.name, served.version], 1)
            if served.trained_at is not None:
                trained.add_metric([slot.role, served.version], served.trained_at)
            if served.positive_share is not None:
                share.add_metric([slot.role, served.version, self.positive], served.positive_share)
        yield info
        yield trained
        yield share


class MetricsMiddleware:
    """Latency and counts of every HTTP request, by route (paths not in `routes` count as "other")."""

    def __init__(self, app: Callable, metrics: ServiceMetrics, routes: frozenset[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = scope["path"] if scope["path"] in self.routes else "other"
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            self.metrics.observe_request(route, status, time.perf_counter() - started)
