"""MySQL credentials from OCI Vault (DB_SECRET_OCID): the image reads an oracle-ads format secret
from the OCI emulator with its OCIFS_IAM_TYPE identity, waits for MariaDB, and serves.

The password has URL-special characters and must show nowhere: not in `docker inspect`, not in the
processes' arguments, not in the logs. Failures stop the container with one line each.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest
from mlflow.tracking import MlflowClient

from e2e_support import (
    PASSED_VARS, create_database, docker, drop_database, identity_args, inspect, process_args, sql,
    wait_healthy,
)
from oci_emulator import realm

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("served_image")]  # docker runs the image itself

IMAGE = "oci-mlflow:latest"
PASSWORD = "p@ss:w/rd%#?&1"
ENCODED = "p%40ss%3Aw%2Frd%25%23%3F%261"




def ads_secret(user: str, password: str, port: str = "3306", database: str | None = None) -> str:
    """The JSON oracle-ads MySQLDBSecretKeeper stores (the emulator base64-encodes it)."""
    return json.dumps({"user_name": user, "password": password, "host": "127.0.0.1", "port": port,
                       "database": database})


@pytest.fixture()
def database():
    name = create_database("mlflow_vault", PASSWORD)
    yield name
    drop_database(name)


def run_args(files: dict, name: str, iam_type: str, secret_id: str, port: int, *extra: str) -> list[str]:
    args = ["--name", name, "--network", "host", "--env-file", files["env_file"],
            "-v", f"{files['ca']}:{files['ca']}:ro",
            "-e", "MLFLOW_HOST=127.0.0.1", "-e", f"MLFLOW_PORT={port}", "-e", "MLFLOW_WORKERS=1",
            "-e", "BACKEND_PROVIDER=mysql", "-e", f"DB_SECRET_OCID={secret_id}",
            *extra, *identity_args(files, iam_type)]
    return [*args, IMAGE]


def run_to_exit(files, name, iam_type, secret_id, *extra, timeout=120):
    """docker run in the foreground; returns (exit code, non-blank stderr lines, seconds)."""
    start = time.monotonic()
    proc = subprocess.run(["docker", "run", "--rm", *run_args(files, name, iam_type, secret_id, 5071, *extra)],
                          capture_output=True, text=True, timeout=timeout)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    return proc.returncode, lines, time.monotonic() - start


def bundle_calls(emu, secret_id: str) -> list[dict]:
    return [e for e in emu.requests if e["path"] == f"/20190301/secretbundles/{secret_id}"]


@pytest.mark.parametrize("iam_type,principal_id", [("api_key", realm.USER),
                                                   ("instance_principal", realm.INSTANCE),
                                                   ("resource_principal", realm.RESOURCE)])
def test_serves_with_credentials_from_vault(clean_oci_emulator, container_files, database,
                                            iam_type, principal_id):
    emu = clean_oci_emulator
    secret_id = emu.state.add_secret(f"mlflow-db-{database}", ads_secret(database, PASSWORD, database=database))
    name, port = f"oci-mlflow-e2e-vault-{iam_type.replace('_', '-')}", 5070
    docker("rm", "-f", name, check=False)
    start = time.monotonic()
    docker("run", "-d", *run_args(container_files, name, iam_type, secret_id, port))
    try:
        try:
            healthy = wait_healthy(f"http://127.0.0.1:{port}", timeout=120)
        except TimeoutError:
            pytest.fail(docker("logs", name, check=False).stderr[-3000:])
        print(f"\n{iam_type}: docker run -> healthy in {time.monotonic() - start:.1f} s "
              f"(health poll {healthy:.1f} s)")
        client = MlflowClient(tracking_uri=f"http://127.0.0.1:{port}")
        run_id = client.create_run(client.create_experiment("via-vault")).info.run_id
        client.log_param(run_id, "backend", "vault")
        client.log_metric(run_id, "acc", 0.5)
        assert client.get_run(run_id).data.params == {"backend": "vault"}
        assert sql(f"SELECT run_uuid FROM {database}.runs").split() == [run_id]

        inspected = json.dumps(inspect(name))
        assert secret_id in inspected  # only the OCID is configuration
        args, logs = process_args(name), docker("logs", name).stderr
        for text in (inspected, args, logs):
            assert PASSWORD not in text and ENCODED not in text
        assert f"'{database}'@" not in logs

        calls = bundle_calls(emu, secret_id)
        assert len(calls) == 1, calls
        assert calls[0]["status"] == 200 and "stage=CURRENT" in calls[0]["query"]
        assert (calls[0]["principal"]["type"], calls[0]["principal"]["id"]) == (iam_type, principal_id)
    finally:
        docker("rm", "-f", name, check=False)


def test_wrong_password_stops_with_access_denied(clean_oci_emulator, container_files, database):
    secret_id = clean_oci_emulator.state.add_secret(
        f"mlflow-db-bad-{database}", ads_secret(database, "not-the-password", database=database))
    code, lines, _ = run_to_exit(container_files, "oci-mlflow-e2e-vault-denied", "api_key", secret_id)
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith(f"mlflow-launcher: error: DB_SECRET_OCID: database access denied for "
                               f"'{database}'@'127.0.0.1'"), lines
    assert "not-the-password" not in lines[0]


def test_unreachable_database_fails_within_the_wait(clean_oci_emulator, container_files):
    secret_id = clean_oci_emulator.state.add_secret("mlflow-db-nowhere", ads_secret("u", PASSWORD, port="1"))
    code, lines, seconds = run_to_exit(container_files, "oci-mlflow-e2e-vault-unreachable", "api_key",
                                       secret_id, "-e", "MLFLOW_DB_WAIT_SECONDS=4")
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith("mlflow-launcher: error: DB_SECRET_OCID: database unreachable: "
                               "cannot connect to 127.0.0.1:1 within 4 s"), lines
    print(f"\nunreachable: docker run -> exit in {seconds:.1f} s (MLFLOW_DB_WAIT_SECONDS=4)")
    assert seconds < 4 + 15, seconds   # the wait bound plus container start


def test_host_key_path_in_the_config_is_refused(clean_oci_emulator, container_files):
    config = os.path.join(container_files["oci_dir"], "config")
    with open(config, encoding="utf-8") as handle:
        text = handle.read()
    with open(config, "w", encoding="utf-8") as handle:
        handle.write(text.replace("~/.oci/", "/home/jdoe/.oci/"))
    secret_id = clean_oci_emulator.state.add_secret("mlflow-db-key", ads_secret("u", PASSWORD))
    code, lines, _ = run_to_exit(container_files, "oci-mlflow-e2e-vault-hostkey", "api_key", secret_id)
    assert code == 2 and len(lines) == 1, lines
    assert "DB_SECRET_OCID" in lines[0] and "host path that does not exist in the container" in lines[0]
    assert "key_file=~/.oci/" in lines[0]


def test_unknown_database(clean_oci_emulator, container_files, database):
    # Granted but never created: MySQL then says "unknown database" (1049). A user without a grant
    # on the name gets "access denied" (1044) instead, whether the database exists or not.
    missing = f"{database}_missing"
    sql(f"GRANT ALL ON {missing}.* TO '{database}'@'127.0.0.1';")
    secret_id = clean_oci_emulator.state.add_secret(
        "mlflow-db-nodb", ads_secret(database, PASSWORD, database=missing))
    code, lines, _ = run_to_exit(container_files, "oci-mlflow-e2e-vault-nodb", "api_key", secret_id)
    assert code == 2 and len(lines) == 1, lines
    assert f"DB_SECRET_OCID: unknown database '{missing}' on 127.0.0.1:3306" in lines[0], lines

    secret_id = clean_oci_emulator.state.add_secret(
        "mlflow-db-nogrant", ads_secret(database, PASSWORD, database="no_grant_db"))
    code, lines, _ = run_to_exit(container_files, "oci-mlflow-e2e-vault-nogrant", "api_key", secret_id)
    assert code == 2 and len(lines) == 1, lines
    assert f"database access denied for '{database}'@'127.0.0.1' to database 'no_grant_db'" in lines[0]


def test_missing_or_denied_secret_and_bad_json(clean_oci_emulator, container_files):
    emu = clean_oci_emulator
    missing = emu.state.add_secret("throwaway", "x").replace("amaaaaaa", "amaaaaab")
    code, lines, _ = run_to_exit(container_files, "oci-mlflow-e2e-vault-missing", "api_key", missing)
    assert code == 2 and len(lines) == 1, lines
    assert f"DB_SECRET_OCID: {missing}: secret not found or not authorized (OCI 404" in lines[0]

    denied = emu.state.add_secret("denied", ads_secret("u", PASSWORD))
    emu.state.deny("instance_principal")
    code, lines, _ = run_to_exit(container_files, "oci-mlflow-e2e-vault-denied-policy",
                                 "instance_principal", denied)
    assert code == 2 and len(lines) == 1 and "(OCI 404" in lines[0], lines

    not_json = emu.state.add_secret("plain", f"user=u password={PASSWORD}")
    code, lines, _ = run_to_exit(container_files, "oci-mlflow-e2e-vault-notjson", "api_key", not_json)
    assert code == 2 and len(lines) == 1, lines
    assert "DB_SECRET_OCID" in lines[0] and "not the expected JSON" in lines[0]
    assert PASSWORD not in lines[0]


def test_oci_unreachable(clean_oci_emulator, container_files):
    secret_id = clean_oci_emulator.state.add_secret("mlflow-db-offline", ads_secret("u", PASSWORD))
    # The emulator is the only way out (HTTPS_PROXY); a dead proxy is an unreachable OCI.
    code, lines, seconds = run_to_exit(container_files, "oci-mlflow-e2e-vault-offline", "api_key", secret_id,
                                       "-e", "HTTPS_PROXY=http://127.0.0.1:9", "-e", "https_proxy=http://127.0.0.1:9")
    print(f"\nOCI unreachable: docker run -> exit in {seconds:.1f} s")
    assert code == 2 and len(lines) == 1, lines
    assert f"DB_SECRET_OCID: {secret_id}: OCI Vault is unreachable from the container" in lines[0], lines


def test_role_with_db_secret_ocid(run_playbook, clean_oci_emulator, database, tmp_path):
    """The mlflow_server role in Vault mode on an instance: only the OCID is written anywhere."""
    emu = clean_oci_emulator
    secret_id = emu.state.add_secret(f"mlflow-db-{database}", ads_secret(database, PASSWORD, database=database))
    name, port = "oci-mlflow-e2e-vault-role", 5062
    ca = emu.env["REQUESTS_CA_BUNDLE"]
    variables = {
        "mlflow_server_container_name": name, "mlflow_server_port": port, "mlflow_server_workers": 1,
        "mlflow_server_data_dir": str(tmp_path / "data"), "mlflow_server_config_dir": str(tmp_path / "etc"),
        "mlflow_server_backend_provider": "mysql", "mlflow_server_db_secret_ocid": secret_id,
        "mlflow_server_auth_type": "instance_principal",
        # Reaching the emulator instead of OCI: its proxy, CA, region and metadata service.
        "mlflow_server_extra_env": {k: emu.env[k] for k in PASSED_VARS if k in emu.env},
        "mlflow_server_extra_volumes": [f"{ca}:{ca}:ro"],
    }
    try:
        run = run_playbook("deploy.yml", variables)
        assert run.returncode == 0, run.output[-4000:]
        env_file = (tmp_path / "etc" / "mlflow.env").read_text()
        assert f"DB_SECRET_OCID={secret_id}" in env_file and "OCIFS_IAM_TYPE=instance_principal" in env_file
        for text in (run.output, env_file, json.dumps(inspect(name)), process_args(name)):
            assert PASSWORD not in text and ENCODED not in text
        client = MlflowClient(tracking_uri=f"http://127.0.0.1:{port}")
        run_id = client.create_run(client.create_experiment("role-vault")).info.run_id
        assert sql(f"SELECT run_uuid FROM {database}.runs").split() == [run_id]
        # Read twice with the instance's identity: by the schema step's one-off container, which
        # created the schema, then by the server.
        calls = bundle_calls(emu, secret_id)
        assert [c["principal"]["type"] for c in calls] == ["instance_principal"] * 2
        assert "created the schema from an empty database" in " ".join(run.output.split())
        assert not (tmp_path / "etc" / "mlflow.env.candidate").read_text().count(PASSWORD)
    finally:
        run_playbook("teardown.yml", variables)
