"""`make deploy` end to end: the playbooks, our image, and the real MLflow client.

The tests run in file order and share one deployment: deploy, use, redeploy, recreate, tear down.
"""

from __future__ import annotations

import http.client
import os
import re
import stat
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import requests
from mlflow.tracking import MlflowClient

from e2e_support import IMAGE_UID, MLFLOW_VERSION, docker, inspect, process_args, wait_healthy

URL = "http://127.0.0.1:5000"
CONTAINER = "oci-mlflow"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    return {"data": root / "data", "etc": root / "etc"}


@pytest.fixture(scope="module")
def deploy_vars(site):
    return {"mlflow_server_data_dir": str(site["data"]), "mlflow_server_config_dir": str(site["etc"])}


@pytest.fixture(scope="module")
def state():
    """What earlier tests leave for later ones (run id, container id, artifact bytes)."""
    return {}


@pytest.fixture(scope="module", autouse=True)
def clean_slate(run_playbook, deploy_vars):
    docker("rm", "-f", CONTAINER, check=False)
    yield
    run_playbook("teardown.yml", deploy_vars)


def test_deploy_brings_up_a_healthy_server(run_playbook, deploy_vars, state):
    run = run_playbook("deploy.yml", deploy_vars)
    assert run.returncode == 0, run.output[-3000:]
    assert f"MLflow tracking server is up: {URL}" in run.output
    container = inspect(CONTAINER)
    assert container["State"]["Running"]
    assert container["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert container["Config"]["Image"] == f"oci-mlflow:{MLFLOW_VERSION}"
    assert container["Config"]["User"] == "mlflow"
    state["container_id"] = container["Id"]
    state["started_at"] = container["State"]["StartedAt"]
    with urllib.request.urlopen(f"{URL}/health", timeout=5) as resp:
        assert resp.status == 200


def test_image_has_version_and_latest_tags():
    ids = {docker("image", "inspect", "-f", "{{.Id}}", ref).stdout.strip()
           for ref in ("oci-mlflow:latest", f"oci-mlflow:{MLFLOW_VERSION}")}
    assert len(ids) == 1


def test_settings_stay_out_of_docker_inspect(site):
    env_file = site["etc"] / "mlflow.env"
    st = env_file.stat()
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert st.st_uid == IMAGE_UID
    assert "MLFLOW_HOST=127.0.0.1" in env_file.read_text()
    env = inspect(CONTAINER)["Config"]["Env"]
    assert not [e for e in env if e.startswith(("MLFLOW_HOST=", "BACKEND_PROVIDER=", "MLFLOW_PORT="))]


def test_run_round_trip_with_the_mlflow_client(site, state, tmp_path):
    client = MlflowClient(tracking_uri=URL)
    exp_id = client.create_experiment(f"e2e-{time.time_ns()}")
    run = client.create_run(exp_id)
    run_id = run.info.run_id
    client.log_param(run_id, "alpha", "0.5")
    for step, value in enumerate([0.9, 0.7, 0.4]):
        client.log_metric(run_id, "loss", value, step=step)
    payload = os.urandom(256 * 1024)
    src = tmp_path / "model.bin"
    src.write_bytes(payload)
    client.log_artifact(run_id, str(src), artifact_path="weights")
    client.set_terminated(run_id)

    got = client.get_run(run_id)
    assert got.data.params == {"alpha": "0.5"}
    assert [m.value for m in client.get_metric_history(run_id, "loss")] == [0.9, 0.7, 0.4]
    assert [a.path for a in client.list_artifacts(run_id, "weights")] == ["weights/model.bin"]
    downloaded = Path(client.download_artifacts(run_id, "weights/model.bin", str(tmp_path / "dl")))
    assert downloaded.read_bytes() == payload

    # The server proxies artifacts into the host's data directory.
    on_host = [p for p in (site["data"] / "artifacts").rglob("model.bin") if run_id in str(p)]
    assert len(on_host) == 1 and on_host[0].read_bytes() == payload
    assert (site["data"] / "mlflow.db").is_file()
    state.update(run_id=run_id, experiment_id=exp_id, payload=payload)


def test_kept_alive_connections_do_not_stall():
    """uvicorn's multi-worker socket left TCP_NODELAY off: +40 ms per call on a reused connection
    (Nagle + delayed ACK), which is how the MLflow client talks. The image fixes that."""
    session = requests.Session()
    timings = []
    for _ in range(40):
        start = time.perf_counter()
        assert session.get(f"{URL}/health", timeout=5).status_code == 200
        timings.append(time.perf_counter() - start)
    median_ms = sorted(timings)[len(timings) // 2] * 1000
    assert median_ms < 20, f"median {median_ms:.1f} ms per request on a kept-alive connection"


def test_an_idle_connection_stays_open_longer_than_uvicorns_5_s():
    """MLFLOW_KEEPALIVE_SECONDS (75 s): a balancer or proxy reusing an idle connection after 5 s finds it open,
    not closed under the request it sends (uvicorn's own default would close it at 5 s)."""
    parts = urllib.parse.urlsplit(URL)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", "/health")
        first = connection.getresponse()
        first.read()
        socket_before = connection.sock
        time.sleep(7)
        connection.request("POST", "/api/2.0/mlflow/experiments/search", body='{"max_results": 1}',
                           headers={"Content-Type": "application/json"})
        second = connection.getresponse()
        second.read()
        assert (first.status, second.status) == (200, 200)
        assert connection.sock is socket_before        # the same connection, not a new one
    finally:
        connection.close()


def test_host_header_protection_accepts_our_names_only():
    def status(host_header: str) -> int:
        req = urllib.request.Request(f"{URL}/api/2.0/mlflow/experiments/search?max_results=1",
                                     headers={"Host": host_header})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                return resp.status
        except urllib.error.HTTPError as err:
            return err.code

    assert status("localhost:5000") == 200
    assert status(f"{os.uname().nodename}:5000") == 200
    assert status("attacker.example.com") in (400, 403)


def test_second_deploy_changes_nothing(run_playbook, deploy_vars, state):
    run = run_playbook("deploy.yml", deploy_vars)
    assert run.returncode == 0, run.output[-3000:]
    assert run.changed == 0, run.output[-3000:]
    container = inspect(CONTAINER)
    assert container["Id"] == state["container_id"]
    assert container["State"]["StartedAt"] == state["started_at"]


def test_check_mode_on_a_deployed_server_changes_nothing(run_playbook, deploy_vars):
    run = run_playbook("deploy.yml", deploy_vars, check=True)
    assert run.returncode == 0, run.output[-3000:]
    assert run.changed == 0, run.output[-3000:]


def test_a_module_an_older_release_staged_is_removed_from_the_build_context(run_playbook, deploy_vars, state):
    """A stale module left in the staged context would end up in the hash and the image: staging removes it."""
    staged = Path("/var/tmp/oracle-mlflow/image/launcher/mlflow_launcher")
    stale = staged / "removed_in_this_release.py"
    stale.write_text("raise ImportError('stale')\n")
    image_id = inspect(CONTAINER)["Image"]
    run = run_playbook("deploy.yml", deploy_vars)
    assert run.returncode == 0, run.output[-3000:]
    assert not stale.exists() and (staged / "cli.py").is_file()
    assert re.search(r"TASK \[oracle\.mlflow\.mlflow_image : Stage the build context\] \*+\nchanged: ", run.output), \
        run.output[-3000:]
    assert inspect(CONTAINER)["Image"] == image_id  # the context is what it was: no rebuild
    assert inspect(CONTAINER)["State"]["StartedAt"] == state["started_at"]


def test_changed_setting_restarts_the_server(run_playbook, deploy_vars, state):
    run = run_playbook("deploy.yml", {**deploy_vars, "mlflow_server_workers": 2})
    assert run.returncode == 0, run.output[-3000:]
    assert run.changed > 0
    container = inspect(CONTAINER)
    assert container["State"]["StartedAt"] != state["started_at"]
    top = process_args(CONTAINER)
    assert "--workers 2" in top
    state["container_id"] = container["Id"]


def test_removed_container_comes_back_with_old_runs(run_playbook, deploy_vars, state):
    docker("rm", "-f", CONTAINER)
    run = run_playbook("deploy.yml", deploy_vars)
    assert run.returncode == 0, run.output[-3000:]
    assert inspect(CONTAINER)["Id"] != state["container_id"]
    client = MlflowClient(tracking_uri=URL)
    run_data = client.get_run(state["run_id"])
    assert run_data.data.params == {"alpha": "0.5"}
    assert [a.path for a in client.list_artifacts(state["run_id"], "weights")] == ["weights/model.bin"]


def test_stop_is_fast_and_clean():
    start = time.monotonic()
    docker("stop", CONTAINER)
    elapsed = time.monotonic() - start
    state = inspect(CONTAINER)["State"]
    assert elapsed < 8, f"docker stop took {elapsed:.1f} s: SIGTERM did not reach the server"
    assert state["ExitCode"] == 0, state
    docker("start", CONTAINER)
    wait_healthy(URL)


def test_teardown_keeps_the_data(run_playbook, deploy_vars, site):
    run = run_playbook("teardown.yml", deploy_vars)
    assert run.returncode == 0, run.output[-3000:]
    assert inspect(CONTAINER) is None, run.output[-3000:]
    assert (site["data"] / "mlflow.db").is_file()
    assert list((site["data"] / "artifacts").rglob("model.bin"))
    assert (site["etc"] / "mlflow.env").is_file()


def test_upstream_guide_docker_run_line_serves_the_ui(state, tmp_path):
    """The upstream guide's exact command (detached here so the test can go on)."""
    docker("run", "-d", "--rm", "--name", CONTAINER, "--network", "host", "-e", "MLFLOW_HOST=0.0.0.0",
           "-e", "MLFLOW_GUNICORN_OPTS=--log-level debug", "oci-mlflow:latest")
    try:
        wait_healthy(URL)
        with urllib.request.urlopen(f"{URL}/", timeout=5) as resp:
            page = resp.read().decode()
        assert resp.status == 200 and "<title>MLflow</title>" in page
        client = MlflowClient(tracking_uri=URL)
        exp_id = client.create_experiment("upstream-line")
        run_id = client.create_run(exp_id).info.run_id
        client.log_metric(run_id, "m", 1.0)
        assert client.get_run(run_id).data.metrics == {"m": 1.0}
        assert "gunicorn" in process_args(CONTAINER)
    finally:
        docker("rm", "-f", CONTAINER, check=False)


def task_status(output: str, task: str) -> str:
    """'ok', 'changed' or 'skipping': how a task of the mlflow_server role ended in a playbook run."""
    match = re.search(rf"^TASK \[oracle\.mlflow\.mlflow_server : {re.escape(task)}\][^\n]*\n(\w+):", output, re.M)
    assert match, f"no task {task!r} in:\n{output[-3000:]}"
    return match.group(1)


def test_purge_in_check_mode_reports_and_deletes_nothing(run_playbook, deploy_vars, site):
    before = sorted(p.relative_to(site["etc"]) for p in site["etc"].rglob("*"))
    run = run_playbook("teardown.yml", {**deploy_vars, "mlflow_server_purge_data": True}, check=True)
    assert run.returncode == 0, run.output[-3000:]
    assert task_status(run.output, "Delete the configuration directory, left empty") == "changed"
    assert (site["data"] / "mlflow.db").is_file()
    assert sorted(p.relative_to(site["etc"]) for p in site["etc"].rglob("*")) == before


def test_teardown_with_purge_deletes_the_data(run_playbook, deploy_vars, site):
    run = run_playbook("teardown.yml", {**deploy_vars, "mlflow_server_purge_data": True})
    assert run.returncode == 0, run.output[-3000:]
    assert not site["data"].exists()
    assert not (site["etc"] / "mlflow.env").exists()
    assert not site["etc"].exists(), "the emptied configuration directory stayed"


def test_purge_keeps_a_config_dir_that_holds_other_files(run_playbook, deploy_vars, site):
    """What the role wrote goes; a file of someone else's keeps the directory (and itself)."""
    (site["etc"] / "oci").mkdir(parents=True)
    for name in ("mlflow.env", "mlflow.env.candidate", "oci/config", "notes.txt", ".hidden"):
        (site["etc"] / name).write_text("x\n")
    (site["data"] / "artifacts").mkdir(parents=True)
    for check in (True, False):
        run = run_playbook("teardown.yml", {**deploy_vars, "mlflow_server_purge_data": True}, check=check)
        assert run.returncode == 0, run.output[-3000:]
        assert task_status(run.output, "Delete the data directory, the env file and the copied OCI profile") \
            == "changed"
        assert task_status(run.output, "Delete the configuration directory, left empty") == "skipping"
    assert not site["data"].exists()
    assert sorted(p.name for p in site["etc"].iterdir()) == [".hidden", "notes.txt"]
