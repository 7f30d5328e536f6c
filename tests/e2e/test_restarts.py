"""What the server reads at start is on the container as a checksum, so a run interrupted between
writing the settings and (re)creating the container cannot leave it stale; and a server that cannot
start fails the deploy within seconds, with its exit code and log, instead of after the health timeout.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import stat
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from e2e_support import docker, inspect, process_args, wait_healthy

pytestmark = pytest.mark.e2e

CALLBACKS = str(Path(__file__).resolve().parent / "callback_plugins")


def variables(tmp_path, name, port, **more):
    return {"mlflow_server_container_name": name, "mlflow_server_port": port, "mlflow_server_host": "127.0.0.1",
            "mlflow_server_data_dir": str(tmp_path / "data"), "mlflow_server_config_dir": str(tmp_path / "etc"),
            "mlflow_server_workers": 1, **more}


@pytest.fixture()
def teardown(run_playbook):
    deployed = []
    yield deployed.append
    for extra in deployed:
        run_playbook("teardown.yml", {**extra, "mlflow_server_purge_data": True})


def test_a_run_interrupted_after_the_env_file_restarts_the_server_on_the_next_run(run_playbook, teardown, tmp_path):
    first = variables(tmp_path, "oci-mlflow-e2e-interrupt", 5081)
    teardown(first)
    assert run_playbook("deploy.yml", first).returncode == 0
    before = inspect("oci-mlflow-e2e-interrupt")
    assert "--workers 1" in process_args("oci-mlflow-e2e-interrupt")

    second = {**first, "mlflow_server_workers": 2}
    interrupted = run_playbook("deploy.yml", second, env={
        **os.environ, "ANSIBLE_CALLBACK_PLUGINS": CALLBACKS, "ANSIBLE_CALLBACKS_ENABLED": "interrupt_after",
        "ORACLE_MLFLOW_INTERRUPT_AFTER": "Install the env file"})
    assert interrupted.returncode == 99, interrupted.output[-3000:]
    assert "MLFLOW_WORKERS=2" in (tmp_path / "etc" / "mlflow.env").read_text()
    # The run died there: the server still runs with the old settings.
    assert inspect("oci-mlflow-e2e-interrupt")["State"]["StartedAt"] == before["State"]["StartedAt"]

    resumed = run_playbook("deploy.yml", second)
    assert resumed.returncode == 0, resumed.output[-3000:]
    assert resumed.changed > 0, "the settings on disk changed but the server was not restarted"
    after = inspect("oci-mlflow-e2e-interrupt")
    assert after["State"]["StartedAt"] != before["State"]["StartedAt"]
    assert "--workers 2" in process_args("oci-mlflow-e2e-interrupt")
    assert after["Config"]["Labels"]["org.oracle.mlflow.config-checksum"] != \
        before["Config"]["Labels"]["org.oracle.mlflow.config-checksum"]
    wait_healthy("http://127.0.0.1:5081")
    # The label is keyed with the host's own secret (0600, root): seeing it (docker inspect, task output)
    # does not let anyone test guesses of a password in the env file.
    key_file = tmp_path / "etc" / "checksum.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and key_file.stat().st_uid == 0
    key, env_text = key_file.read_text(), (tmp_path / "etc" / "mlflow.env").read_text()
    env_sum = hashlib.sha256(env_text.encode()).hexdigest()
    label = after["Config"]["Labels"]["org.oracle.mlflow.config-checksum"]
    assert len(key) >= 32 and label == hashlib.sha256(f"{key}:{env_sum}:".encode()).hexdigest()
    assert label != hashlib.sha256(f":{env_sum}:".encode()).hexdigest()

    again = run_playbook("deploy.yml", second)
    assert again.returncode == 0 and again.changed == 0, again.output[-3000:]


def test_a_server_that_cannot_bind_its_port_fails_the_deploy_within_seconds(run_playbook, teardown, tmp_path):
    # A long health timeout: the deploy must end long before it (a build of the image may come first).
    extra = variables(tmp_path, "oci-mlflow-e2e-crash", 5082, mlflow_server_health_timeout=900)
    teardown(extra)
    # Another process on the host holds the port: only the running server meets this fault.
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", 5082))
    holder.listen()
    try:
        start = time.monotonic()
        run = run_playbook("deploy.yml", extra)
        elapsed = time.monotonic() - start
    finally:
        holder.close()
    assert run.returncode != 0
    text = " ".join(run.output.split())
    match = re.search(r"Container oci-mlflow-e2e-crash (is restarting|restarted|is exited) instead of answering "
                      r"http://127\.0\.0\.1:5082/health \(exit code (\d+), \d+ restart\(s\)\) after (\d+) s\. "
                      r"Last log lines: (.*)", text)
    assert match, run.output[-3000:]
    # The launcher's check: MLflow itself would log the bind error and exit 0, in a silent loop.
    assert match.group(2) == "2" and int(match.group(3)) <= 15, match.group(0)[:300]
    assert ("mlflow-launcher: error: MLFLOW_PORT: 127.0.0.1:5082 is already in use by another process on this host"
            in match.group(4)), match.group(4)[:500]
    assert elapsed < 450, elapsed
    print(f"\n[figure] crash loop: the wait failed after {match.group(3)} s (exit code {match.group(2)}); "
          f"the whole deploy took {elapsed:.0f} s with a {extra['mlflow_server_health_timeout']} s health timeout")
    docker("rm", "-f", "oci-mlflow-e2e-crash", check=False)


def test_a_stopping_server_drains_health_first_while_it_still_serves(run_playbook, teardown, tmp_path):
    """mlflow_server_drain_seconds: docker stop makes /health 503 (a balancer takes the host out) while
    the API still answers; then the server stops gracefully, well within the stop timeout."""
    extra = variables(tmp_path, "oci-mlflow-e2e-drain", 5083, mlflow_server_drain_seconds=4)
    teardown(extra)
    assert run_playbook("deploy.yml", extra).returncode == 0
    url = "http://127.0.0.1:5083"
    assert inspect("oci-mlflow-e2e-drain")["Config"]["StopTimeout"] == 34

    def status(path):
        try:
            with urllib.request.urlopen(url + path, timeout=2) as answer:
                return answer.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            return None

    assert status("/health") == 200
    start = time.monotonic()
    stop = subprocess.Popen(["docker", "stop", "oci-mlflow-e2e-drain"], stdout=subprocess.DEVNULL)
    # (seconds after stop, an API call, then /health): the API call first, so a 503 from /health right after it
    # proves the call was answered while the drain was on (in the other order, the last sample could see
    # the drain, then a server that has just stopped at its end)
    seen = []
    while stop.poll() is None and time.monotonic() - start < 30:
        at = time.monotonic() - start
        api = status("/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default")
        seen.append((at, api, status("/health")))
        time.sleep(0.2)
    stopped = time.monotonic() - start
    assert stop.wait(timeout=30) == 0
    draining = [entry for entry in seen if entry[2] == 503]
    assert draining, seen
    assert all(api == 200 for _at, api, _health in draining), seen      # still serving while draining
    assert draining[0][0] < 1.5, seen                                     # out of the balancer at once
    assert draining[-1][0] - draining[0][0] >= 2.5, seen                  # and for most of the 4 s drain
    assert 3.5 <= stopped < 15, stopped                                   # the drain, then a graceful stop
    assert inspect("oci-mlflow-e2e-drain")["State"]["ExitCode"] == 0
    print(f"\n[figure] drain: /health 503 after {draining[0][0]:.1f} s, API served for {draining[-1][0]:.1f} s "
          f"more, container stopped after {stopped:.1f} s (drain 4 s)")
