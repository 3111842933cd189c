"""The load test's simulated client: POST /predict with one record drawn from LOADTEST_PAYLOADS (JSON list).

Run by the loadtest stage with `locust --headless`; FastHttpUser keeps the load generator itself cheap.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

from locust import FastHttpUser, constant, task

PAYLOADS = [
    json.dumps(record).encode() for record in json.loads(Path(os.environ["LOADTEST_PAYLOADS"]).read_text())
]


class PredictUser(FastHttpUser):
    wait_time = constant(0)  # back to back: each user sends its next request when the last one returns

    @task
    def predict(self) -> None:
        self.client.post(
            "/predict",
            data=random.choice(PAYLOADS),
            headers={"Content-Type": "application/json"},
            name="/predict",
        )
