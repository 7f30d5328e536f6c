"""Backups and restores through playbooks/backup.yml and restore.yml, one deployment per backend.

sqlite, with logins on: a run (params, metrics, an artifact) and a user logged through the real clients,
backed up while a client keeps logging, to the host directory and to an oci:// bucket of the OCI emulator
(signed with the instance principal); then the data is lost and the backup restored from the bucket, and
everything reads back. Retention, and a backup from a newer MLflow schema refused in one line while the
server keeps serving. MySQL (MariaDB): the same round trip with a dump taken with the server's credentials.
The backup the role takes before a schema upgrade is checked in test_schema_upgrade.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest
import requests
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from e2e_support import (
    IMAGE_UID, IMAGE_VARS, PASSED_VARS, create_database, drop_database, free_port, inspect, sql, wait_healthy,
)
from oci_emulator import realm

pytestmark = pytest.mark.e2e

ADMIN_PASSWORD = "backup-admin:p@ss/1"
DB_PASSWORD = "b@ckup:w/rd%#1"
DB_ENCODED = "b%40ckup%3Aw%2Frd%25%231"
BUCKET = "mlflow-backups-e2e"


def flat(output: str) -> str:
    return " ".join(output.split())


def manifest_of(folder: Path) -> dict:
    manifest = json.loads((folder / "manifest.json").read_text())
    for entry in manifest["files"]:
        data = (folder / entry["name"]).read_bytes()
        assert entry["size"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest(), entry
    return manifest


def backups_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def log_a_run(client: MlflowClient, tmp_path: Path, name: str) -> tuple[str, bytes]:
    run_id = client.create_run(client.create_experiment(name)).info.run_id
    client.log_param(run_id, "alpha", "0.5")
    for step, value in enumerate([0.9, 0.7, 0.4]):
        client.log_metric(run_id, "loss", value, step=step)
    payload = os.urandom(200 * 1024)
    (tmp_path / "model.bin").write_bytes(payload)
    client.log_artifact(run_id, str(tmp_path / "model.bin"), "weights")
    return run_id, payload


def read_back(client: MlflowClient, run_id: str, payload: bytes, tmp_path: Path) -> None:
    got = client.get_run(run_id)
    assert got.data.params == {"alpha": "0.5"}
    assert [m.value for m in client.get_metric_history(run_id, "loss")] == [0.9, 0.7, 0.4]
    path = client.download_artifacts(run_id, "weights/model.bin", str(tmp_path))
    assert Path(path).read_bytes() == payload


class Writer(threading.Thread):
    """A client logging metrics to its own run while the backup runs (the server keeps writing)."""

    def __init__(self, client: MlflowClient, run_id: str):
        super().__init__(daemon=True)
        self.client, self.run_id, self.stop, self.logged, self.errors = client, run_id, threading.Event(), 0, []

    def run(self):
        while not self.stop.is_set():
            try:
                self.client.log_metric(self.run_id, "during", float(self.logged), step=self.logged)
                self.logged += 1
            except Exception as exc:  # noqa: BLE001 - counted: the backup must not disturb the server
                self.errors.append(exc)


# ---------------------------------------------------------------- sqlite, logins on, bucket in the emulator

@pytest.fixture(scope="module")
def sqlite_site(tmp_path_factory, oci_emulator, run_playbook):
    emu = oci_emulator
    emu.reset()
    emu.state.add_bucket(BUCKET)
    root = tmp_path_factory.mktemp("backup-sqlite")
    port = free_port()
    ca = emu.env["REQUESTS_CA_BUNDLE"]
    variables = {
        **IMAGE_VARS,
        "mlflow_server_container_name": "oci-mlflow-e2e-backup-sqlite", "mlflow_server_port": port,
        "mlflow_server_workers": 1, "mlflow_server_data_dir": str(root / "data"),
        "mlflow_server_config_dir": str(root / "etc"), "mlflow_backup_dir": str(root / "backups"),
        "mlflow_server_auth_enabled": True, "mlflow_server_auth_admin_password": ADMIN_PASSWORD,
        "mlflow_backup_bucket": f"oci://{BUCKET}@{realm.NAMESPACE}/mlflow/",
        # The server's identity signs the backup's uploads: the instance principal, against the emulator.
        "mlflow_server_auth_type": "instance_principal",
        "mlflow_server_extra_env": {k: emu.env[k] for k in PASSED_VARS if k in emu.env},
        "mlflow_server_extra_volumes": [f"{ca}:{ca}:ro"],
    }
    deployed = run_playbook("deploy.yml", variables)
    assert deployed.returncode == 0, deployed.output[-3000:]
    saved = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")}
    os.environ.update(MLFLOW_TRACKING_USERNAME="admin", MLFLOW_TRACKING_PASSWORD=ADMIN_PASSWORD)
    yield {"vars": variables, "root": root, "url": f"http://127.0.0.1:{port}", "emu": emu, "state": {}}
    for name, value in saved.items():
        os.environ.pop(name, None) if value is None else os.environ.__setitem__(name, value)
    run_playbook("teardown.yml", variables)


def test_sqlite_backup_while_the_server_serves(sqlite_site, run_playbook, tmp_path):
    site, emu = sqlite_site, sqlite_site["emu"]
    client = MlflowClient(tracking_uri=site["url"])
    run_id, payload = log_a_run(client, tmp_path, "backed-up")
    admin = ("admin", ADMIN_PASSWORD)
    created = requests.post(f"{site['url']}/api/2.0/mlflow/users/create", auth=admin, timeout=30,
                            json={"username": "alice", "password": "alice-password-1"})
    assert created.status_code == 200, created.text
    writer = Writer(client, client.create_run(client.get_run(run_id).info.experiment_id).info.run_id)
    emu_seq = emu.requests[-1]["seq"] if emu.requests else 0
    writer.start()
    try:
        start = time.monotonic()
        run = run_playbook("backup.yml", site["vars"])
        seconds = time.monotonic() - start
    finally:
        writer.stop.set()
        writer.join()
    assert run.returncode == 0, run.output[-3000:]
    print(f"\nsqlite backup.yml: {seconds:.1f} s, {writer.logged} metrics logged meanwhile")
    assert writer.errors == [] and writer.logged > 0
    assert ADMIN_PASSWORD not in run.output

    backups = site["root"] / "backups"
    [backup_id] = backups_in(backups)
    assert f"Backup {backup_id}: {backups / backup_id}" in flat(run.output)
    manifest = manifest_of(backups / backup_id)
    assert {e["name"] for e in manifest["files"]} == {"mlflow.db.gz", "basic_auth.db.gz", "artifacts.tar.gz"}
    assert backup_id.endswith("-" + manifest["schema_revision"]) and manifest["auth_schema_revision"]
    assert manifest["artifacts"]["included"] and manifest["tables"]["params"] == 1
    assert {oct(p.stat().st_mode & 0o777) for p in (backups / backup_id).iterdir()} == {"0o600"}
    # The same files in the bucket, uploaded with the server's identity.
    objects = emu.state.objects(BUCKET, prefix=f"mlflow/{backup_id}/")
    assert objects == {f"mlflow/{backup_id}/{e['name']}": e["size"] for e in manifest["files"]} | \
        {f"mlflow/{backup_id}/manifest.json": (backups / backup_id / "manifest.json").stat().st_size}
    uploads = [r for r in emu.requests_for("object_storage") if r["seq"] > emu_seq and r["method"] in ("PUT", "POST")]
    assert uploads and {r["principal"]["type"] for r in uploads} == {"instance_principal"}
    site["state"].update(run_id=run_id, payload=payload, backup_id=backup_id,
                         metrics=manifest["tables"]["metrics"])


def test_sqlite_restore_from_the_bucket_brings_back_what_was_lost(sqlite_site, run_playbook, tmp_path):
    site, state = sqlite_site, sqlite_site["state"]
    client = MlflowClient(tracking_uri=site["url"])
    admin = ("admin", ADMIN_PASSWORD)
    # Lost: the run's experiment, its artifact files, a user; and a run made after the backup.
    client.delete_experiment(client.get_run(state["run_id"]).info.experiment_id)
    shutil.rmtree(site["root"] / "data" / "artifacts")
    requests.delete(f"{site['url']}/api/2.0/mlflow/users/delete", auth=admin, json={"username": "alice"},
                    timeout=30).raise_for_status()
    later = client.create_run(client.create_experiment("after-the-backup")).info.run_id

    start = time.monotonic()
    run = run_playbook("restore.yml", {**site["vars"], "mlflow_backup_restore_source": "bucket"})
    print(f"\nsqlite restore.yml from the bucket: {time.monotonic() - start:.1f} s")
    assert run.returncode == 0, run.output[-3000:]
    assert f"restored backup {state['backup_id']}" in flat(run.output)
    assert f"Restored backup {state['backup_id']}" in flat(run.output)
    read_back(client, state["run_id"], state["payload"], tmp_path)
    assert client.get_experiment(client.get_run(state["run_id"]).info.experiment_id).lifecycle_stage == "active"
    with pytest.raises(MlflowException):
        client.get_run(later)
    user = requests.get(f"{site['url']}/api/2.0/mlflow/users/get", params={"username": "alice"}, auth=admin,
                        timeout=30)
    assert user.status_code == 200, user.text
    assert requests.get(f"{site['url']}/api/2.0/mlflow/experiments/search", params={"max_results": 1},
                        auth=("alice", "alice-password-1"), timeout=30).status_code == 200


def test_retention_and_a_backup_from_a_newer_schema(sqlite_site, run_playbook):
    site, state = sqlite_site, sqlite_site["state"]
    backups = site["root"] / "backups"
    run = run_playbook("backup.yml", {**site["vars"], "mlflow_backup_keep": 1})
    assert run.returncode == 0, run.output[-3000:]
    [newest] = backups_in(backups)
    assert newest != state.get("backup_id")
    assert set(site["emu"].state.objects(BUCKET, prefix="mlflow/")) == \
        {f"mlflow/{newest}/{p.name}" for p in (backups / newest).iterdir()}

    # A backup a newer MLflow made: refused in one line before the server is stopped.
    newer = "mlflow-20990101T000000Z-ffffffffffff"
    shutil.copytree(backups / newest, backups / newer)
    manifest = json.loads((backups / newer / "manifest.json").read_text())
    manifest.update(id=newer, schema_revision="ffffffffffff", mlflow_version="9.0.0")
    (backups / newer / "manifest.json").write_text(json.dumps(manifest))
    for path in [backups / newer, *(backups / newer).iterdir()]:
        os.chown(path, IMAGE_UID, IMAGE_UID)     # as the launcher writes them
    container = inspect(site["vars"]["mlflow_server_container_name"])
    refused = run_playbook("restore.yml", {**site["vars"], "mlflow_backup_restore_id": newer})
    assert refused.returncode != 0
    assert (f"Nothing was restored and oci-mlflow-e2e-backup-sqlite kept running: mlflow-launcher: error: backup: "
            f"backup {newer} has MLflow schema revision ffffffffffff, newer than this image's MLflow") \
        in flat(refused.output), refused.output[-3000:]
    after = inspect(site["vars"]["mlflow_server_container_name"])
    assert after["State"]["Running"] and after["State"]["StartedAt"] == container["State"]["StartedAt"]
    shutil.rmtree(backups / newer)


# ---------------------------------------------------------------- MySQL

def test_mysql_backup_and_restore(run_playbook, tmp_path):
    database = create_database("mlflow_backup", DB_PASSWORD)
    port = free_port()
    variables = {
        **IMAGE_VARS,
        "mlflow_server_container_name": "oci-mlflow-e2e-backup-mysql", "mlflow_server_port": port,
        "mlflow_server_workers": 1, "mlflow_server_data_dir": str(tmp_path / "data"),
        "mlflow_server_config_dir": str(tmp_path / "etc"), "mlflow_backup_dir": str(tmp_path / "backups"),
        "mlflow_server_backend_provider": "mysql",
        "mlflow_server_backend_store_uri": f"mysql+mysqlconnector://{database}:{DB_ENCODED}@127.0.0.1:3306/{database}",
    }
    url = f"http://127.0.0.1:{port}"
    try:
        deployed = run_playbook("deploy.yml", variables)
        assert deployed.returncode == 0, deployed.output[-3000:]
        client = MlflowClient(tracking_uri=url)
        run_id, payload = log_a_run(client, tmp_path, "backed-up-mysql")

        start = time.monotonic()
        run = run_playbook("backup.yml", variables)
        print(f"\nMySQL backup.yml: {time.monotonic() - start:.1f} s")
        assert run.returncode == 0, run.output[-3000:]
        [backup_id] = backups_in(tmp_path / "backups")
        folder = tmp_path / "backups" / backup_id
        manifest = manifest_of(folder)
        assert manifest["database"] == {"backend": "mysql", "database": database, "host": "127.0.0.1"}
        assert {e["name"] for e in manifest["files"]} == {"mlflow.sql.gz", "artifacts.tar.gz"}
        assert manifest["tables"]["metrics"] == 3 and manifest["schema_revision"] == \
            sql(f"SELECT version_num FROM {database}.alembic_version").strip()
        for secret in (DB_PASSWORD, DB_ENCODED):
            assert secret not in run.output
        import gzip  # noqa: PLC0415
        dump = gzip.decompress((folder / "mlflow.sql.gz").read_bytes())
        assert DB_PASSWORD.encode() not in dump and b"CREATE TABLE `runs`" in dump

        # Lost: every metric, a table, the artifacts.
        sql(f"SET foreign_key_checks = 0; DELETE FROM {database}.metrics; DELETE FROM {database}.latest_metrics;"
            f"DROP TABLE {database}.tags;")
        shutil.rmtree(tmp_path / "data" / "artifacts")
        wait_healthy(url)
        start = time.monotonic()
        restored = run_playbook("restore.yml", variables)
        print(f"\nMySQL restore.yml: {time.monotonic() - start:.1f} s")
        assert restored.returncode == 0, restored.output[-3000:]
        for secret in (DB_PASSWORD, DB_ENCODED):
            assert secret not in restored.output
        read_back(client, run_id, payload, tmp_path)
        assert "database schema is current" in flat(restored.output)
    finally:
        run_playbook("teardown.yml", variables)
        drop_database(database)
