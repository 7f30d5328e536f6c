"""The mlflow_server role with oci:// artifacts, against the OCI emulator: the host checks (or creates) the
bucket with the server's identity before anything changes, and the server stores artifacts logged by
the real MLflow client in the emulated bucket, as api_key (the host's profile copied for the container)
and as instance_principal.
"""

from __future__ import annotations

import configparser
import os
import stat

import pytest
from mlflow.tracking import MlflowClient

from e2e_support import IMAGE_UID, PASSED_VARS, inspect
from oci_emulator import realm

pytestmark = pytest.mark.e2e

BUCKET = "mlflow-e2e-os"
PREFIX = "team-a/mlflow"


def role_vars(emu, tmp_path, name, port, **more):
    ca = emu.env["REQUESTS_CA_BUNDLE"]
    return {
        "mlflow_server_container_name": f"oci-mlflow-e2e-os-{name}", "mlflow_server_port": port,
        "mlflow_server_host": "127.0.0.1", "mlflow_server_workers": 1,
        "mlflow_server_data_dir": str(tmp_path / "data"), "mlflow_server_config_dir": str(tmp_path / "etc"),
        "mlflow_server_artifacts_destination": f"oci://{BUCKET}@{realm.NAMESPACE}/{PREFIX}/",
        # The container reaches the emulator through its proxy, CA, region and metadata service.
        "mlflow_server_extra_env": {k: emu.env[k] for k in PASSED_VARS if k in emu.env},
        "mlflow_server_extra_volumes": [f"{ca}:{ca}:ro"],
        "mlflow_server_purge_data": True,
        **more,
    }


@pytest.fixture()
def deploy(run_playbook, clean_oci_emulator):
    """deploy(variables, check=False) runs deploy.yml with the host pointed at the emulator (its HOME has the
    emulator's ~/.oci/config); every deployed container is torn down afterwards."""
    env = clean_oci_emulator.process_env()
    deployed = []

    def run(variables, check=False):
        deployed.append(variables)
        return run_playbook("deploy.yml", variables, check=check, env=env)

    yield run
    for variables in deployed:
        run_playbook("teardown.yml", variables, env=env)


def log_artifact(port, tmp_path):
    client = MlflowClient(tracking_uri=f"http://127.0.0.1:{port}")
    run_id = client.create_run(client.create_experiment("role-object-storage")).info.run_id
    source = tmp_path / "model.txt"
    source.write_bytes(b"weights")
    client.log_artifact(run_id, str(source))
    return run_id


def one_line(output):
    return " ".join(output.split())


def test_missing_bucket_and_wrong_namespace_fail_before_any_change(deploy, clean_oci_emulator, tmp_path):
    emu = clean_oci_emulator
    variables = role_vars(emu, tmp_path, "missing", 5066)

    missing = deploy(variables)
    emu.state.add_bucket(BUCKET)
    wrong_ns = deploy(dict(variables, mlflow_server_default_artifact_root=f"oci://{BUCKET}@otherns/x"))

    assert missing.returncode != 0
    text = one_line(missing.output)
    assert (f"The artifact location oci://{BUCKET}@{realm.NAMESPACE} (mlflow_server_artifacts_destination) "
            "cannot be used by the server's identity (mlflow_server_auth_type=api_key)") in text
    assert f"The bucket '{BUCKET}' in namespace '{realm.NAMESPACE}' does not exist; create it or set compartment_id" \
        in text
    assert "set mlflow_server_bucket_create: true and mlflow_server_bucket_compartment_id" in text
    assert wrong_ns.returncode != 0
    assert (f"Namespace 'otherns' is not the namespace of this principal's tenancy ('{realm.NAMESPACE}')"
            in one_line(wrong_ns.output))
    bad = deploy(dict(variables, mlflow_server_artifacts_destination=f"oci://{BUCKET}/{PREFIX}"))
    assert bad.returncode != 0
    assert (f"mlflow_server_artifacts_destination: 'oci://{BUCKET}/{PREFIX}' is not an Object Storage location: "
            "write oci://bucket@namespace/prefix") in one_line(bad.output)
    assert inspect("oci-mlflow-e2e-os-missing") is None
    assert not (tmp_path / "data").exists() and not (tmp_path / "etc").exists()
    assert emu.state.objects(BUCKET) == {}


def test_api_key_bucket_created_and_artifacts_stored(deploy, clean_oci_emulator, tmp_path):
    emu = clean_oci_emulator
    variables = role_vars(emu, tmp_path, "apikey", 5067, mlflow_server_bucket_create=True,
                          mlflow_server_bucket_compartment_id=realm.COMPARTMENT)

    first = deploy(variables)
    assert first.returncode == 0, first.output[-4000:]
    assert emu.state.bucket(BUCKET).compartment_id == realm.COMPARTMENT
    host_probe = [e for e in emu.requests_for("object_storage") if e["method"] == "PUT"]
    assert host_probe and all(f"/o/{PREFIX.replace('/', '%2F')}%2F.oracle-mlflow-write-probe-" in e["path"]
                              for e in host_probe)

    run_id = log_artifact(5067, tmp_path)
    stored = emu.state.objects(BUCKET, PREFIX)
    assert [name for name in stored if name.endswith(f"{run_id}/artifacts/model.txt")], stored
    assert emu.state.object_bytes(BUCKET, next(iter(stored))) == b"weights"
    puts = [e for e in emu.requests_for("object_storage") if e["method"] == "PUT" and "model.txt" in e["path"]]
    assert [(e["principal"]["type"], e["principal"]["id"]) for e in puts] == [("api_key", realm.USER)]

    # The container's copy of the profile: 0700 / 0600, the image's uid, the key under ~/.oci.
    oci_dir = tmp_path / "etc" / "oci"
    assert stat.S_IMODE(oci_dir.stat().st_mode) == 0o700 and oci_dir.stat().st_uid == IMAGE_UID
    for path in oci_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.stat().st_uid == IMAGE_UID
    config = configparser.ConfigParser()
    config.read(oci_dir / "config")
    host_config = configparser.ConfigParser()
    host_config.read(emu.credentials.config_file)
    key_name = os.path.basename(host_config["DEFAULT"]["key_file"])
    assert config.sections() == [] and config["DEFAULT"]["key_file"] == f"~/.oci/{key_name}"
    assert config["DEFAULT"]["user"] == host_config["DEFAULT"]["user"]
    assert (oci_dir / key_name).read_bytes() == open(os.path.expanduser(
        host_config["DEFAULT"]["key_file"].replace("~", str(emu.credentials.home), 1)), "rb").read()
    mounts = {m["Destination"]: m for m in inspect("oci-mlflow-e2e-os-apikey")["Mounts"]}
    assert mounts["/home/mlflow/.oci"]["Source"] == str(oci_dir) and mounts["/home/mlflow/.oci"]["RW"] is False

    again = deploy(variables)
    assert again.returncode == 0 and again.changed == 0, again.output[-4000:]
    check = deploy(variables, check=True)
    assert check.returncode == 0 and check.changed == 0, check.output[-4000:]
    assert emu.state.objects(BUCKET, PREFIX) == stored   # no probe left behind

    # Check mode with another bucket to create: it is read, not created, and nothing is written.
    seen = len(emu.requests_for("object_storage"))
    other = dict(variables, mlflow_server_default_artifact_root=f"oci://{BUCKET}-2@{realm.NAMESPACE}/x")
    dry = deploy(other, check=True)
    assert dry.returncode == 0, dry.output[-4000:]
    assert emu.state.bucket(f"{BUCKET}-2") is None
    assert {e["method"] for e in emu.requests_for("object_storage")[seen:]} == {"GET"}


def test_instance_principal(deploy, clean_oci_emulator, tmp_path):
    emu = clean_oci_emulator
    emu.state.add_bucket(BUCKET)
    variables = role_vars(emu, tmp_path, "instance", 5068, mlflow_server_auth_type="instance_principal")

    run = deploy(variables)
    assert run.returncode == 0, run.output[-4000:]
    run_id = log_artifact(5068, tmp_path)

    assert [n for n in emu.state.objects(BUCKET, PREFIX) if n.endswith(f"{run_id}/artifacts/model.txt")]
    assert {e["principal"]["type"] for e in emu.requests_for("object_storage")} == {"instance_principal"}
    assert not (tmp_path / "etc" / "oci").exists()
