"""Clients that keep logging metrics through one URL (a load balancer) while the fleet changes.

Each client has a run of its own and logs metric `load` at steps 0, 1, 2, ... with one plain REST call
each (runs/log-metric, no client-side retries: a request the fleet fails is counted, not hidden).
`stop()` returns what they saw; `lost(url)` reads every run's history back through the real MLflow
client and returns the steps that were acknowledged but are not stored.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import requests
from mlflow.tracking import MlflowClient


@dataclass
class ClientRecord:
    run_id: str
    acknowledged: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    longest_gap: float = 0.0


class MetricClients:
    def __init__(self, url: str, count: int = 8, experiment: str = "fleet-load", pause: float = 0.2):
        self.url, self.pause = url, pause
        client = MlflowClient(url)
        found = client.get_experiment_by_name(experiment)
        experiment_id = found.experiment_id if found else client.create_experiment(experiment)
        self.records = [ClientRecord(client.create_run(experiment_id).info.run_id) for _ in range(count)]
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._log, args=(record,), daemon=True) for record in self.records]

    def start(self) -> MetricClients:
        for thread in self._threads:
            thread.start()
        return self

    def _log(self, record: ClientRecord) -> None:
        session = requests.Session()
        session.trust_env = False          # straight to the balancer on loopback, no proxy
        step, last_ok = 0, time.monotonic()
        while not self._stop.is_set():
            body = {"run_id": record.run_id, "key": "load", "value": float(step),
                    "timestamp": int(time.time() * 1000), "step": step}
            try:
                answer = session.post(f"{self.url}/api/2.0/mlflow/runs/log-metric", json=body, timeout=30)
                ok = answer.status_code == 200
                problem = f"step {step}: HTTP {answer.status_code} {answer.text[:200]}"
            except requests.RequestException as exc:
                ok, problem = False, f"step {step}: {type(exc).__name__}: {exc}"
            now = time.monotonic()
            if ok:
                record.acknowledged.append(step)
                record.longest_gap = max(record.longest_gap, now - last_ok)
                last_ok = now
            else:
                record.failures.append(problem)
            step += 1
            time.sleep(self.pause)

    def stop(self) -> MetricClients:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        return self

    @property
    def failures(self) -> list[str]:
        return [failure for record in self.records for failure in record.failures]

    @property
    def acknowledged(self) -> int:
        return sum(len(record.acknowledged) for record in self.records)

    @property
    def longest_gap(self) -> float:
        return max(record.longest_gap for record in self.records)

    def lost(self, url: str) -> dict[str, list[int]]:
        client, lost = MlflowClient(url), {}
        for record in self.records:
            stored = {metric.step for metric in client.get_metric_history(record.run_id, "load")}
            missing = sorted(set(record.acknowledged) - stored)
            if missing:
                lost[record.run_id] = missing
        return lost
