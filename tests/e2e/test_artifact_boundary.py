"""The artifact store is a boundary: tried as an attacker with only HTTP to the server (no OCI credentials),
no request makes the server read or write outside its configured destination, and nothing phones home.

Each attack runs twice on the same data: with the boundary off (MLFLOW_ARTIFACTS_ALLOWED_ROOTS=*, what a
plain `mlflow server` does), where it succeeds, then with the image's default, where it is refused with a
400 naming the allowed root and, for oci://, the emulator's request log shows no request outside the
destination prefix. The figures (status before -> after) are printed.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import urllib.parse
from pathlib import Path

import mlflow.artifacts
import pytest
import requests
from mlflow.tracking import MlflowClient

from e2e_support import IMAGE_UID, PASSED_VARS, docker, identity_args, wait_healthy
from oci_emulator import realm

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("served_image")]  # docker runs the image itself

IMAGE = os.environ.get("MLFLOW_E2E_IMAGE", "oci-mlflow:latest")
PORT = 5084
URL = f"http://127.0.0.1:{PORT}"
BUCKET, PREFIX, OTHER = "mlflow-art", "team-a/mlflow/", "other-bucket"
DEST = f"oci://{BUCKET}@{realm.NAMESPACE}/{PREFIX}"
SECRET = b"the plans of team b"


@contextlib.contextmanager
def serve(name: str, *args: str, boundary: bool = True):
    container = f"oci-mlflow-boundary-{name}"
    docker("rm", "-f", container, check=False)
    docker("run", "-d", "--name", container, "--network", "host", "-e", "MLFLOW_HOST=127.0.0.1",
           "-e", f"MLFLOW_PORT={PORT}", "-e", "MLFLOW_WORKERS=1",
           *([] if boundary else ["-e", "MLFLOW_ARTIFACTS_ALLOWED_ROOTS=*"]), *args, IMAGE)
    try:
        try:
            wait_healthy(URL, timeout=120)
        except TimeoutError:
            pytest.fail(docker("logs", container, check=False).stderr[-3000:])
        yield container
    finally:
        docker("rm", "-f", container, check=False)


def post(path: str, body: dict) -> requests.Response:
    return requests.post(URL + path, json=body, timeout=30)


def refused(response: requests.Response, root: str) -> bool:
    return (response.status_code == 400 and response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
            and "outside this server's artifact store" in response.json()["message"] and root in response.json()["message"])


def experiment(name: str, location: str, via: str = "api") -> requests.Response:
    return post(f"/{via}/2.0/mlflow/experiments/create", {"name": name, "artifact_location": location})


def model_version(model: str, source: str, via: str = "api") -> requests.Response:
    post(f"/{via}/2.0/mlflow/registered-models/create", {"name": model})
    return post(f"/{via}/2.0/mlflow/model-versions/create", {"name": model, "source": source})


def upload(run_id: str, path: str, data: bytes) -> requests.Response:
    """The UI's upload route."""
    return requests.post(f"{URL}/ajax-api/2.0/mlflow/upload-artifact", params={"run_uuid": run_id, "path": path},
                         data=data, timeout=30)


def outside_requests(emu, since: int) -> list:
    """Object Storage requests that reach past the destination: another bucket, an object or upload
    outside the prefix, a listing of another prefix (the namespace and the bucket itself are fine)."""
    bad = []
    for entry in emu.requests_for("object_storage")[since:]:
        path = entry["path"]
        if "/b/" not in path:
            continue
        bucket, _, rest = path.split("/b/", 1)[1].partition("/")
        kind, _, name = rest.partition("/")
        query = urllib.parse.parse_qs(entry.get("query") or "")
        if bucket != BUCKET:
            bad.append(entry)
        elif kind in ("o", "u") and name and not urllib.parse.unquote(name).startswith(PREFIX):
            bad.append(entry)
        elif kind == "o" and not name and not query.get("prefix", [""])[0].startswith(PREFIX):
            bad.append(entry)
    return bad


def legitimate_use(client: MlflowClient, tmp_path: Path) -> None:
    """Log, list, download, register a model from a run, and load it through models:/ - all unchanged."""
    exp = client.create_experiment(f"legit-{time.monotonic_ns()}")
    run = client.create_run(exp).info.run_id
    client.log_param(run, "alpha", "0.5")
    model_dir = tmp_path / f"model-{run}"
    model_dir.mkdir()
    (model_dir / "MLmodel").write_text("flavors: {}\n")
    (model_dir / "weights.bin").write_bytes(b"\x00\x01" * 100)
    client.log_artifacts(run, str(model_dir), "model")
    assert sorted(f.path for f in client.list_artifacts(run, "model")) == ["model/MLmodel", "model/weights.bin"]
    got = mlflow.artifacts.download_artifacts(run_id=run, artifact_path="model/weights.bin",
                                              dst_path=str(tmp_path / f"dl-{run}"), tracking_uri=URL)
    assert Path(got).read_bytes() == b"\x00\x01" * 100
    name = f"legit-model-{run[:8]}"
    client.create_registered_model(name)
    version = client.create_model_version(name, f"runs:/{run}/model", run_id=run)
    mlflow.set_tracking_uri(URL)
    loaded = mlflow.artifacts.download_artifacts(f"models:/{name}/{version.version}",
                                                 dst_path=str(tmp_path / f"mv-{run}"))
    assert (Path(loaded) / "weights.bin").read_bytes() == b"\x00\x01" * 100


@pytest.fixture()
def figures():
    rows = []
    yield rows.append
    print("\n[figure] artifact boundary, status before -> after:")
    for attack, before, after in rows:
        print(f"[figure]   {attack}: {before} -> {after}")


def test_the_oci_store_is_a_boundary(clean_oci_emulator, container_files, tmp_path, figures, monkeypatch):
    emu = clean_oci_emulator
    for name in PASSED_VARS:
        monkeypatch.delenv(name, raising=False)   # the client has no OCI configuration and no proxy
    emu.state.add_bucket(BUCKET)
    emu.state.add_bucket(OTHER)
    emu.state.put_object(BUCKET, "team-a/secret/plans.txt", SECRET)
    emu.state.put_object(OTHER, "secret.txt", SECRET)
    data = tmp_path / "data"
    data.mkdir()
    os.chown(data, IMAGE_UID, IMAGE_UID)
    args = ["--env-file", container_files["env_file"], "-v", f"{container_files['ca']}:{container_files['ca']}:ro",
            "-v", f"{data}:/mlflow", "-e", f"MLFLOW_ARTIFACTS_DESTINATION={DEST}",
            *identity_args(container_files, "api_key")]

    # Before: the boundary off (a plain `mlflow server`). Every attack succeeds.
    before = {}
    with serve("oci-open", *args, boundary=False):
        before["experiment in another bucket"] = experiment("evil", f"oci://{OTHER}@{realm.NAMESPACE}/x").status_code
        evil = requests.get(f"{URL}/api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": "evil"},
                            timeout=10).json()["experiment"]["experiment_id"]
        run = post("/api/2.0/mlflow/runs/create", {"experiment_id": evil}).json()["run"]["info"]["run_id"]
        before["upload through the UI route into it"] = upload(run, "planted.txt", b"planted").status_code
        assert [name for name in emu.state.objects(OTHER) if name.endswith("/planted.txt")]   # written there
        before["model version sourced from another prefix"] = \
            model_version("stolen", f"oci://{BUCKET}@{realm.NAMESPACE}/team-a/secret/").status_code
        stolen = requests.get(f"{URL}/model-versions/get-artifact",
                              params={"name": "stolen", "version": "1", "path": "plans.txt"}, timeout=10)
        before["its get-artifact"] = stolen.status_code
        assert stolen.content == SECRET            # the server read team b's object and handed it over
    assert all(code == 200 for code in before.values()), before

    # After: the image's default. Each is refused with a 400 naming the allowed root, and the server
    # makes no request outside its prefix; what was stored before is refused at use.
    with serve("oci-closed", *args):
        since = len(emu.requests_for("object_storage"))
        after = {
            "experiment in another bucket": experiment("evil-2", f"oci://{OTHER}@{realm.NAMESPACE}/x"),
            "upload through the UI route into it": upload(run, "planted-2.txt", b"planted"),
            "model version sourced from another prefix":
                model_version("stolen-2", f"oci://{BUCKET}@{realm.NAMESPACE}/team-a/secret/"),
            "its get-artifact": requests.get(f"{URL}/model-versions/get-artifact",
                                             params={"name": "stolen", "version": "1", "path": "plans.txt"}, timeout=10),
        }
        more = {
            "experiment, same bucket, other prefix (ajax-api)":
                experiment("evil-3", f"oci://{BUCKET}@{realm.NAMESPACE}/team-a/secret/", via="ajax-api"),
            "model version, other bucket (ajax-api)":
                model_version("stolen-3", f"oci://{OTHER}@{realm.NAMESPACE}/", via="ajax-api"),
            "run get-artifact of the planted run": requests.get(f"{URL}/get-artifact",
                                                                params={"run_uuid": run, "path": "planted.txt"}, timeout=10),
            "artifact listing of the planted run": requests.get(f"{URL}/api/2.0/mlflow/artifacts/list",
                                                                params={"run_id": run}, timeout=10),
        }
        for attack, response in {**after, **more}.items():
            assert refused(response, DEST), (attack, response.status_code, response.text[:300])
            figures((attack, before.get(attack, "-"), response.status_code))
        assert outside_requests(emu, since) == [], outside_requests(emu, since)
        assert not [name for name in emu.state.objects(OTHER) if name.endswith("planted-2.txt")]

        # A directory path on a model-version download: refused after one listing, no object fetched.
        client = MlflowClient(URL)
        legit_run = client.create_run(client.create_experiment("dirs")).info.run_id
        tree = tmp_path / "tree"
        tree.mkdir()
        for i in range(4):
            (tree / f"part-{i}").write_bytes(b"p" * 4096)
        client.log_artifacts(legit_run, str(tree), "tree")
        # A source in the store itself (inside the boundary), as a client without the proxy would give it.
        stored = client.get_run(legit_run).info.artifact_uri.replace("mlflow-artifacts:/", DEST)
        client.create_registered_model("dir-model")
        client.create_model_version("dir-model", stored, run_id=legit_run)
        seen = len(emu.requests_for("object_storage"))
        whole = requests.get(f"{URL}/model-versions/get-artifact",
                             params={"name": "dir-model", "version": "1", "path": "tree"}, timeout=30)
        gets = [e for e in emu.requests_for("object_storage")[seen:] if e["method"] == "GET" and "/o/" in e["path"]]
        assert whole.status_code == 400 and "is a directory" in whole.text, whole.text[:300]
        assert gets == [], gets
        one = requests.get(f"{URL}/model-versions/get-artifact",
                           params={"name": "dir-model", "version": "1", "path": "tree/part-2"}, timeout=30)
        assert one.status_code == 200 and one.content == b"p" * 4096
        figures(("model-version get-artifact of a directory", "-", whole.status_code))

        legitimate_use(client, tmp_path)


def test_the_local_store_is_a_boundary(tmp_path, figures):
    data = tmp_path / "data"
    data.mkdir()
    os.chown(data, IMAGE_UID, IMAGE_UID)
    args = ["-v", f"{data}:/mlflow"]

    def written_outside(container: str) -> list[str]:
        """What `docker diff` shows added outside the data volume (where the artifacts live)."""
        return [line for line in docker("diff", container).stdout.splitlines()
                if line.startswith("A ") and line.split(" ", 1)[1].startswith(("/home/mlflow/", "/tmp/planted"))]

    with serve("local-open", *args, boundary=False) as container:
        before = {"experiment at /home/mlflow": experiment("home", "/home/mlflow/x").status_code,
                  "experiment at file:///tmp": experiment("tmp", "file:///tmp/planted").status_code}
        for name in ("home", "tmp"):
            exp_id = requests.get(f"{URL}/api/2.0/mlflow/experiments/get-by-name",
                                  params={"experiment_name": name}, timeout=10).json()["experiment"]["experiment_id"]
            run = post("/api/2.0/mlflow/runs/create", {"experiment_id": exp_id}).json()["run"]["info"]["run_id"]
            before[f"upload into {name}"] = upload(run, "planted.txt", b"planted").status_code
        planted = written_outside(container)
    assert all(code == 200 for code in before.values()) and planted, (before, planted)

    with serve("local-closed", *args) as container:
        after = {"experiment at /home/mlflow": experiment("home-2", "/home/mlflow/x"),
                 "experiment at file:///tmp": experiment("tmp-2", "file:///tmp/planted"),
                 "experiment at file:///mlflow (the volume, outside artifacts/)": experiment("vol", "file:///mlflow")}
        for name in ("home", "tmp"):
            exp_id = requests.get(f"{URL}/api/2.0/mlflow/experiments/get-by-name",
                                  params={"experiment_name": name}, timeout=10).json()["experiment"]["experiment_id"]
            run = post("/api/2.0/mlflow/runs/create", {"experiment_id": exp_id}).json()["run"]["info"]["run_id"]
            after[f"upload into {name}"] = upload(run, "planted.txt", b"planted")
        for attack, response in after.items():
            assert refused(response, "/mlflow/artifacts"), (attack, response.status_code, response.text[:300])
            figures((attack, before.get(attack, "-"), response.status_code))
        assert written_outside(container) == []
        legitimate_use(MlflowClient(URL), tmp_path)


class CountingProxy:
    """A listening HTTP proxy on loopback that records the first line of every connection and answers 403."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.lines: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    self.lines.append(conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1"))
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    pass

    def close(self):
        self.sock.close()


@pytest.mark.parametrize("telemetry", ["default", "on"])
def test_nothing_phones_home_unless_asked(tmp_path, telemetry):
    proxy = CountingProxy()
    proxied = [f"-e{name}=http://127.0.0.1:{proxy.port}" for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY",
                                                                       "http_proxy")]
    extra = ["-e", "MLFLOW_DISABLE_TELEMETRY=false"] if telemetry == "on" else []
    try:
        with serve(f"telemetry-{telemetry}", *proxied, *extra, "-e", "NO_PROXY=127.0.0.1,localhost"):
            client = MlflowClient(URL)
            run = client.create_run(client.create_experiment("phone-home")).info.run_id
            client.log_metric(run, "m", 1.0)
            assert requests.get(URL + "/", timeout=10).status_code == 200
            requests.get(URL + "/ajax-api/3.0/mlflow/ui-telemetry", timeout=10)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not proxy.lines:
                time.sleep(0.5)
    finally:
        proxy.close()
    print(f"\n[figure] telemetry {telemetry}: {len(proxy.lines)} outbound connection(s) {proxy.lines[:3]}")
    if telemetry == "default":
        assert proxy.lines == []
    else:   # the same test sees MLflow's own telemetry when it is on: it can fail
        assert [line for line in proxy.lines if "mlflow-telemetry.io" in line], proxy.lines
