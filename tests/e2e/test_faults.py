"""Faults the server survives, with MLflow's own client and figures (issue 14, point 5).

One server, deployed with the role: MySQL (MariaDB) through a loopback relay the test can cut, and its
artifacts on a 16 MiB tmpfs mounted into the container (mlflow_server_extra_volumes).

- The database away for 5 s while 8 clients log metrics: restarting the shared MariaDB would disturb the
  tests running beside this one, so the relay between this server and MariaDB is cut instead (every
  connection reset, new ones refused: what the server sees of a restart). The server answers 503, which
  MLflow's client retries with backoff: every metric is read back.
- The artifact volume full: the upload fails at once with the server's one-line reason (507, not retried),
  nothing partial is listed or left on the volume, the server keeps serving, and once space is freed the
  same upload works, bytes intact.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from mlflow.tracking import MlflowClient

from e2e_support import IMAGE_UID, IMAGE_VARS, create_database, drop_database, free_port, wait_healthy
from support.tcp_relay import TcpRelay

pytestmark = [pytest.mark.e2e]

PASSWORD = "Faults-e2e-pw1"
MIB = 1024 * 1024
VOLUME_MIB = 16
CONTAINER_ARTIFACTS = "/artifacts-small"
OUTAGE_SECONDS = 5.0
CLIENTS = 8


@dataclass
class Server:
    url: str
    relay: TcpRelay
    volume: Path
    name: str


@pytest.fixture(scope="module")
def small_volume(tmp_path_factory):
    """A 16 MiB tmpfs on the host, owned by the image's user: an artifact volume that fills up for real."""
    volume = tmp_path_factory.mktemp("faults") / "artifacts"
    volume.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={VOLUME_MIB}m,uid={IMAGE_UID},gid={IMAGE_UID},mode=0750",
                    "tmpfs", str(volume)], check=True, capture_output=True)
    yield volume
    subprocess.run(["umount", "-l", str(volume)], check=False)


@pytest.fixture(scope="module")
def server(run_playbook, small_volume, tmp_path_factory):
    database = create_database("mlflow_faults", PASSWORD)
    state = tmp_path_factory.mktemp("faults-server")
    name, port = "oci-mlflow-e2e-faults", free_port()
    with TcpRelay(3306) as relay:
        variables = {
            **IMAGE_VARS,
            "mlflow_server_container_name": name, "mlflow_server_port": port,
            "mlflow_server_data_dir": str(state / "data"), "mlflow_server_config_dir": str(state / "etc"),
            "mlflow_server_backend_provider": "mysql",
            # The password goes to the playbook in its 0600 vars file, and to the container in its env file.
            "mlflow_server_backend_store_uri":
                f"mysql+mysqlconnector://{database}:{PASSWORD}@127.0.0.1:{relay.port}/{database}",
            "mlflow_server_workers": 2,
            "mlflow_server_artifacts_destination": CONTAINER_ARTIFACTS,
            "mlflow_server_extra_volumes": [f"{small_volume}:{CONTAINER_ARTIFACTS}"],
        }
        try:
            run = run_playbook("deploy.yml", variables)
            assert run.returncode == 0, run.output[-4000:]
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url)
            yield Server(url, relay, small_volume, name)
        finally:
            run_playbook("teardown.yml", {**variables, "mlflow_server_purge_data": True})
            drop_database(database)


@dataclass
class Logger:
    """One client logging metric `load` at steps 0, 1, 2... with MlflowClient.log_metric (its retries)."""
    client: MlflowClient
    run_id: str
    acknowledged: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    slowest: float = 0.0

    def run(self, stop: threading.Event) -> None:
        step = 0
        while not stop.is_set():
            start = time.monotonic()
            try:
                self.client.log_metric(self.run_id, "load", float(step), step=step)
                self.acknowledged.append(step)
            except Exception as exc:  # noqa: BLE001 - a metric the client gave up on is what is counted
                self.errors.append(f"step {step}: {exc}"[:300])
            self.slowest = max(self.slowest, time.monotonic() - start)
            step += 1
            time.sleep(0.05)

    def lost(self) -> list[int]:
        stored = {metric.step for metric in self.client.get_metric_history(self.run_id, "load")}
        return sorted(set(range(len(self.acknowledged) + len(self.errors))) - stored)


def test_database_cut_while_8_clients_log_loses_no_metric(server):
    client = MlflowClient(server.url)
    experiment = client.create_experiment("faults-database")
    loggers = [Logger(client, client.create_run(experiment).info.run_id) for _ in range(CLIENTS)]
    stop = threading.Event()
    threads = [threading.Thread(target=logger.run, args=(stop,), daemon=True) for logger in loggers]
    for thread in threads:
        thread.start()
    time.sleep(3)
    connections_before = server.relay.connections_seen
    server.relay.cut()
    time.sleep(OUTAGE_SECONDS)
    server.relay.restore()
    outage_end = time.monotonic()
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join(timeout=180)
    caught_up = time.monotonic() - outage_end
    errors = [error for logger in loggers for error in logger.errors]
    lost = {logger.run_id: missing for logger in loggers if (missing := logger.lost())}
    logged = sum(len(logger.acknowledged) for logger in loggers)
    slowest = max(logger.slowest for logger in loggers)
    print(f"[figure] database cut for {OUTAGE_SECONDS:.0f} s while {CLIENTS} MLflow clients logged: "
          f"{logged} metrics logged, {sum(map(len, lost.values()))} lost, {len(errors)} client errors; "
          f"slowest log_metric {slowest:.1f} s (retrying 503s), all clients done {caught_up:.1f} s after the "
          f"database came back; {server.relay.connections_seen - connections_before} new database connections")
    assert not errors and not lost, (errors[:5], lost)
    assert server.relay.connections_seen > connections_before      # the outage did reach the server
    assert slowest > OUTAGE_SECONDS / 2                              # and did hold clients up


def fill(volume: Path, leave_mib: int) -> Path:
    """A file filling the volume but `leave_mib`: what other runs' artifacts would take."""
    filler = volume / "filler.bin"
    free = os.statvfs(volume).f_bavail * os.statvfs(volume).f_frsize
    filler.write_bytes(b"\0" * (free - leave_mib * MIB))
    return filler


def uploading_leftovers(volume: Path) -> list[str]:
    return [str(path) for path in volume.rglob("*") if path.name.startswith(".artifact.uploading.")]


def test_a_full_artifact_volume_fails_the_upload_at_once_and_recovers(server, tmp_path):
    client = MlflowClient(server.url)
    run_id = client.create_run(client.create_experiment("faults-volume")).info.run_id
    (tmp_path / "notes.txt").write_text("small")
    client.log_artifact(run_id, str(tmp_path / "notes.txt"))
    model = tmp_path / "weights.bin"
    model.write_bytes(os.urandom(6 * MIB))
    filler = fill(server.volume, leave_mib=2)

    start = time.monotonic()
    with pytest.raises(Exception) as failed:
        client.log_artifact(run_id, str(model), artifact_path="model")
    to_error = time.monotonic() - start
    reason = re.search(r'"message": ?"([^"]*)"', str(failed.value))
    print(f"[figure] artifact volume full: a 6 MiB log_artifact failed after {to_error:.2f} s, "
          f"{str(failed.value).split(' for url')[0]}: {reason.group(1) if reason else failed.value}")
    assert "no space left on the server's artifact store" in str(failed.value)
    assert to_error < 10
    assert [item.path for item in client.list_artifacts(run_id)] == ["notes.txt"]
    assert client.list_artifacts(run_id, "model") == []
    assert not uploading_leftovers(server.volume)

    # The server keeps serving: health, tracking, and the artifacts that fit.
    assert requests.get(f"{server.url}/health", timeout=5).status_code == 200
    client.log_metric(run_id, "after_full", 1.0)
    assert client.get_run(run_id).data.metrics == {"after_full": 1.0}

    filler.unlink()          # space returns
    client.log_artifact(run_id, str(model), artifact_path="model")
    back = Path(client.download_artifacts(run_id, "model/weights.bin", str(tmp_path / "back")))
    assert hashlib.sha256(back.read_bytes()).digest() == hashlib.sha256(model.read_bytes()).digest()
    assert sorted(item.path for item in client.list_artifacts(run_id)) == ["model", "notes.txt"]
