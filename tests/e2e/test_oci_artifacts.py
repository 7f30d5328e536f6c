"""oci:// artifacts: the image serves MLFLOW_ARTIFACTS_DESTINATION=oci://bucket@namespace/prefix/ from
the OCI emulator's Object Storage, signing with each OCIFS_IAM_TYPE identity, while the MLflow client
has no OCI credentials and talks only to the server (mlflow-artifacts:/).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time

import mlflow.artifacts
import pytest
import requests
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from e2e_support import PASSED_VARS, docker, identity_args, wait_healthy
from oci_emulator import realm

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("served_image")]  # docker runs the image itself

IMAGE = os.environ.get("MLFLOW_E2E_IMAGE", "oci-mlflow:latest")
BUCKET = "mlflow-art"
PREFIX = "team-a/mlflow/"
MIB = 1024 * 1024
PORT = 5080
# What the MLflow client raises when the server refuses an artifact call (it keeps the server's text).
REFUSED = (MlflowException, requests.HTTPError)


def payload(size: int, seed: int = 3) -> bytes:
    return (bytes(range(seed, 256)) + bytes(range(seed))) * (size // 256) + b"x" * (size % 256)


def run_args(files: dict, iam_type: str, name: str, *extra: str, bucket: str = BUCKET,
             oci_mount: str = "/home/mlflow/.oci") -> list[str]:
    """`docker run` arguments for the image serving artifacts from the emulated bucket."""
    return ["--name", f"oci-mlflow-art-{name}", "--network", "host", "--env-file", files["env_file"],
            "-v", f"{files['ca']}:{files['ca']}:ro",
            "-e", "MLFLOW_HOST=127.0.0.1", "-e", f"MLFLOW_PORT={PORT}", "-e", "MLFLOW_WORKERS=1",
            "-e", "MLFLOW_SERVE_ARTIFACTS=1",
            "-e", f"MLFLOW_ARTIFACTS_DESTINATION=oci://{bucket}@{realm.NAMESPACE}/{PREFIX}",
            # Small parts, so that a few MiB exercise the multipart paths.
            "-e", "MLFLOW_OCI_PART_SIZE_MB=1", "-e", "MLFLOW_OCI_MULTIPART_THRESHOLD_MB=1",
            *identity_args(files, iam_type, oci_mount), *extra, IMAGE]


@contextlib.contextmanager
def server(files: dict, iam_type: str, name: str, *extra: str, bucket: str = BUCKET,
           oci_mount: str = "/home/mlflow/.oci"):
    """The image serving artifacts from the emulated bucket; yields (client, seconds to healthy, name)."""
    container = f"oci-mlflow-art-{name}"
    docker("rm", "-f", container, check=False)
    start = time.monotonic()
    docker("run", "-d", *run_args(files, iam_type, name, *extra, bucket=bucket, oci_mount=oci_mount))
    try:
        try:
            wait_healthy(f"http://127.0.0.1:{PORT}", timeout=120)
        except TimeoutError:
            pytest.fail(docker("logs", container, check=False).stderr[-3000:])
        yield MlflowClient(tracking_uri=f"http://127.0.0.1:{PORT}"), time.monotonic() - start, container
    finally:
        docker("rm", "-f", container, check=False)


def run_to_exit(files: dict, iam_type: str, name: str, bucket: str = BUCKET,
                oci_mount: str = "/home/mlflow/.oci") -> tuple[int, list[str]]:
    """The image in the foreground, for settings it must refuse at start: (exit code, stderr lines)."""
    proc = subprocess.run(["docker", "run", "--rm", *run_args(files, iam_type, name, bucket=bucket,
                                                              oci_mount=oci_mount)],
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, [line for line in proc.stderr.splitlines() if line.strip()]


@pytest.fixture()
def no_oci_client_env(monkeypatch):
    """The client side has no OCI configuration at all: only the server talks to OCI."""
    for variable in [*PASSED_VARS, "OCI_CONFIG_FILE", "OCI_CLI_CONFIG_FILE", "OCIFS_IAM_TYPE"]:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")   # failures fail now, not in minutes


@pytest.mark.parametrize("iam_type,principal_id", [("api_key", realm.USER),
                                                   ("instance_principal", realm.INSTANCE),
                                                   ("resource_principal", realm.RESOURCE)])
def test_artifacts_through_the_server(clean_oci_emulator, container_files, no_oci_client_env,
                                      tmp_path, iam_type, principal_id):
    emu = clean_oci_emulator
    emu.state.add_bucket(BUCKET)
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    files = {"a.txt": b"alpha", "sub/b.bin": payload(5000), "sub/c.json": b"{}"}
    for relative, data in files.items():
        (tree / relative).write_bytes(data)
    big = payload(int(3.5 * MIB))
    (tmp_path / "big.bin").write_bytes(big)

    with server(container_files, iam_type, iam_type.replace("_", "-")) as (client, healthy, _):
        print(f"\n{iam_type}: docker run -> healthy in {healthy:.1f} s")
        run = client.create_run(client.create_experiment(f"oci-{iam_type}")).info
        assert run.artifact_uri.startswith("mlflow-artifacts:")
        client.log_text(run.run_id, "hello", "notes/hello.txt")
        client.log_artifacts(run.run_id, str(tree), "tree")
        client.log_artifact(run.run_id, str(tmp_path / "big.bin"), "model")

        listed = {(f.path, f.is_dir, f.file_size) for f in client.list_artifacts(run.run_id)}
        assert listed == {("notes", True, None), ("tree", True, None), ("model", True, None)}
        assert {(f.path, f.file_size) for f in client.list_artifacts(run.run_id, "tree/sub")} == \
            {("tree/sub/b.bin", 5000), ("tree/sub/c.json", 2)}
        out = tmp_path / "out"
        out.mkdir()
        got = client.download_artifacts(run.run_id, "", str(out))
        assert open(os.path.join(got, "notes/hello.txt"), "rb").read() == b"hello"
        for relative, data in files.items():
            assert open(os.path.join(got, "tree", relative), "rb").read() == data
        assert open(os.path.join(got, "model/big.bin"), "rb").read() == big

    # The bytes are in the bucket, under the prefix, in the experiment/run layout.
    stored = emu.state.objects(BUCKET, PREFIX)
    run_prefix = next(name for name in stored if name.endswith("/notes/hello.txt"))[:-len("notes/hello.txt")]
    assert run_prefix.startswith(PREFIX) and run.run_id in run_prefix
    assert emu.state.object_bytes(BUCKET, run_prefix + "model/big.bin") == big
    assert len(stored) == 5
    calls = emu.requests_for("object_storage")
    assert {(c["principal"]["type"], c["principal"]["id"]) for c in calls} == {(iam_type, principal_id)}
    # The large upload was streamed to Object Storage in parts, never spooled by the server.
    assert len([c for c in calls if c["method"] == "PUT" and "/u/" in c["path"]]) == 4


def test_the_upstream_guides_root_oci_mount(clean_oci_emulator, container_files, no_oci_client_env, tmp_path):
    """`-v ~/.oci:/root/.oci` as in the upstream guide: as the image's own user it is refused with
    the way out; with --user root the server signs with that API key."""
    emu = clean_oci_emulator
    emu.state.add_bucket(BUCKET)
    code, lines = run_to_exit(container_files, "api_key", "rootmount-refused", oci_mount="/root/.oci")
    assert code == 2 and len(lines) == 1, lines
    assert "/root/.oci, the upstream guide's mount, is readable only by root: to keep that mount, " \
           "run the container with --user root" in lines[0]

    (tmp_path / "f.txt").write_text("from root")
    with server(container_files, "api_key", "rootmount", "--user", "root",
                oci_mount="/root/.oci") as (client, _, _):
        run = client.create_run(client.create_experiment("root-mount")).info
        client.log_artifact(run.run_id, str(tmp_path / "f.txt"))
    assert any(name.endswith("/f.txt") for name in emu.state.objects(BUCKET, PREFIX))
    assert {c["principal"]["id"] for c in emu.requests_for("object_storage")} == {realm.USER}


def test_download_larger_than_the_temp_space_is_a_clear_error(
        clean_oci_emulator, container_files, no_oci_client_env, tmp_path):
    """MLflow spools proxied downloads in the server's TMPDIR: too small a one must say so, at once.
    Uploads stream and need no temp space, so the 4 MiB artifact goes up through a 2 MiB tmpfs."""
    clean_oci_emulator.state.add_bucket(BUCKET)
    (tmp_path / "big.bin").write_bytes(payload(4 * MIB))
    with server(container_files, "api_key", "tmpfs", "--tmpfs", "/scratch:size=2m,uid=10001",
                "-e", "MLFLOW_TMPDIR=/scratch") as (client, _, name):
        assert "tmpdir=/scratch (0.0 GiB free)" in docker("logs", name).stderr
        run = client.create_run(client.create_experiment("tmpfs")).info
        client.log_artifact(run.run_id, str(tmp_path / "big.bin"))
        (tmp_path / "out").mkdir()
        start = time.monotonic()
        # Not client.download_artifacts: for runs:/ URIs it swaps the server's answer for "Failed
        # to download artifacts from path ..." (the cause only goes to its debug log).
        with pytest.raises(REFUSED) as info:
            mlflow.artifacts.download_artifacts(f"{run.artifact_uri}/big.bin",
                                                dst_path=str(tmp_path / "out"),
                                                tracking_uri=client.tracking_uri)
        seconds = time.monotonic() - start
        # The client shortens the server's text; the whole answer, as the server sends it:
        path = run.artifact_uri.removeprefix("mlflow-artifacts:/")
        answer = requests.get(f"http://127.0.0.1:{PORT}/api/2.0/mlflow-artifacts/artifacts/"
                              f"{path}/big.bin", timeout=30)
    print(f"\ntemp space too small: error in {seconds:.1f} s: {answer.json()['message'][-300:]}")
    assert "NOT_IMPLEMENTED" in str(info.value) and "give MLFLOW_TMPDIR" in str(info.value)
    assert answer.status_code == 501   # not a status MLflow clients retry
    assert (f"cannot download {path}/big.bin (4.0 MiB): the server's temp space /scratch/"
            in answer.json()["message"])
    assert seconds < 10


def test_host_key_path_and_missing_bucket_stop_the_start_with_one_line(clean_oci_emulator, container_files):
    # No bucket: the launcher looks before serving and says which one is missing where, for whom.
    code, lines = run_to_exit(container_files, "api_key", "nobucket", bucket="missing-bucket")
    assert code == 2 and len(lines) == 1, lines
    assert (f"MLFLOW_ARTIFACTS_DESTINATION: oci://missing-bucket@{realm.NAMESPACE}/{PREFIX}: bucket "
            f"'missing-bucket' not found in namespace '{realm.NAMESPACE}' or not authorized") in lines[0]
    assert "api_key principal" in lines[0]

    clean_oci_emulator.state.add_bucket(BUCKET)
    config = os.path.join(container_files["oci_dir"], "config")
    with open(config, encoding="utf-8") as handle:
        text = handle.read()
    with open(config, "w", encoding="utf-8") as handle:
        handle.write(text.replace("~/.oci/", "/home/jdoe/.oci/"))
    code, lines = run_to_exit(container_files, "api_key", "hostkey")
    assert code == 2 and len(lines) == 1, lines
    assert "MLFLOW_ARTIFACTS_DESTINATION: the OCI config /home/mlflow/.oci/config has " \
           "key_file=/home/jdoe/.oci/" in lines[0]
    assert "a host path that does not exist in the container; write key_file=~/.oci/" in lines[0]
    assert "PRIVATE KEY" not in "".join(lines)


def test_a_bucket_gone_while_serving_is_a_clear_error(clean_oci_emulator, container_files,
                                                      no_oci_client_env, tmp_path):
    (tmp_path / "f.txt").write_text("x")
    clean_oci_emulator.state.add_bucket(BUCKET)
    with server(container_files, "api_key", "gone") as (client, _, _):
        run_id = client.create_run(client.create_experiment("gone")).info.run_id
        del clean_oci_emulator.state.buckets[BUCKET]
        with pytest.raises(REFUSED) as info:
            client.log_artifact(run_id, str(tmp_path / "f.txt"))
    assert (f"oci://{BUCKET}@{realm.NAMESPACE}/{PREFIX}: bucket '{BUCKET}' not found "
            f"in namespace '{realm.NAMESPACE}' or not authorized") in str(info.value)
