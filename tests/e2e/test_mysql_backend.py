"""MySQL backend (MariaDB here): through the role with a URI (and logins on, their tables in the same
database), and through the image's DB* variables.

The password contains URL-special characters on purpose; it must never show in task output,
`docker inspect` or the processes' arguments.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time

import pytest
import requests
from mlflow.tracking import MlflowClient

from e2e_support import create_database, docker, drop_database, inspect, process_args, sql, wait_healthy

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("served_image")]  # docker runs the image itself

PASSWORD = "p@ss:w/rd%#1"
ENCODED = "p%40ss%3Aw%2Frd%25%231"
ADMIN, ADMIN_PASSWORD = "admin", "first:admin%pass-1"    # ':' and '%' on purpose (basic auth, configparser)


@pytest.fixture()
def database():
    name = create_database("mlflow_e2e", PASSWORD)
    yield name
    drop_database(name)


def round_trip(url: str, experiment: str) -> str:
    client = MlflowClient(tracking_uri=url)
    exp_id = client.create_experiment(experiment)
    run_id = client.create_run(exp_id).info.run_id
    client.log_param(run_id, "backend", "mysql")
    client.log_metric(run_id, "acc", 0.93)
    got = client.get_run(run_id).data
    assert got.params == {"backend": "mysql"} and got.metrics == {"acc": 0.93}
    return run_id


def test_role_with_a_backend_store_uri_and_logins(run_playbook, database, tmp_path, monkeypatch):
    name, port = "oci-mlflow-e2e-mysql", 5058
    url = f"http://127.0.0.1:{port}"
    uri = f"mysql+mysqlconnector://{database}:{ENCODED}@127.0.0.1:3306/{database}"
    variables = {
        "mlflow_server_container_name": name, "mlflow_server_port": port,
        "mlflow_server_data_dir": str(tmp_path / "data"), "mlflow_server_config_dir": str(tmp_path / "etc"),
        "mlflow_server_backend_provider": "mysql", "mlflow_server_backend_store_uri": uri,
        "mlflow_server_workers": 1,
        "mlflow_server_auth_enabled": True, "mlflow_server_auth_admin_password": ADMIN_PASSWORD,
    }
    try:
        run = run_playbook("deploy.yml", variables)
        assert run.returncode == 0, run.output[-3000:]
        assert PASSWORD not in run.output and ENCODED not in run.output and ADMIN_PASSWORD not in run.output
        env_file = tmp_path / "etc" / "mlflow.env"
        assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
        assert f"MLFLOW_BACKEND_STORE_URI={uri}" in env_file.read_text()
        for text in (json.dumps(inspect(name)), process_args(name)):
            assert ENCODED not in text and PASSWORD not in text and ADMIN_PASSWORD not in text

        # The logins' tables sit in the MLflow database, not in a sqlite file on the volume.
        tables = set(sql(f"SHOW TABLES FROM {database}").split())
        assert {"experiments", "runs", "users", "experiment_permissions", "alembic_version_auth"} <= tables
        assert sql(f"SELECT username, is_admin FROM {database}.users").split() == [ADMIN, "1"]
        assert not list((tmp_path / "data").glob("basic_auth.db"))
        search = url + "/api/2.0/mlflow/experiments/search"
        assert requests.post(search, json={"max_results": 1}, timeout=10).status_code == 401

        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", ADMIN)
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", ADMIN_PASSWORD)
        run_id = round_trip(url, "via-uri")
        assert sql(f"SELECT run_uuid FROM {database}.runs").split() == [run_id]
    finally:
        run_playbook("teardown.yml", {**variables, "mlflow_server_purge_data": True})


def test_image_with_db_variables(database):
    name, port = "oci-mlflow-e2e-dbvars", 5057
    env = {**os.environ, "DBUSERNAME": database, "DBPASSWORD": PASSWORD}
    # `-e NAME` without a value hands the variable over from this process: not in the docker CLI's argv.
    subprocess.run(
        ["docker", "run", "-d", "--name", name, "--network", "host",
         "-e", "MLFLOW_HOST=127.0.0.1", "-e", f"MLFLOW_PORT={port}", "-e", "MLFLOW_WORKERS=1",
         "-e", "BACKEND_PROVIDER=mysql", "-e", "DBUSERNAME", "-e", "DBPASSWORD",
         "-e", "DBHOST=127.0.0.1", "-e", f"DBNAME={database}", "oci-mlflow:latest"],
        env=env, check=True, capture_output=True)
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        run_id = round_trip(f"http://127.0.0.1:{port}", "via-db-vars")
        assert sql(f"SELECT run_uuid FROM {database}.runs").split() == [run_id]
        args = process_args(name)
        assert PASSWORD not in args and ENCODED not in args
        assert "mysql://" not in docker("logs", name).stderr.replace("mysql+mysqlconnector://", "")
    finally:
        docker("rm", "-f", name, check=False)


def test_bad_setting_stops_the_container_with_one_clear_line():
    proc = docker("run", "--rm", "-e", "MLFLOW_HOST=0.0.0.0", "-e", "MLFLOW_WORKERS=many",
                  "oci-mlflow:latest", check=False)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "MLFLOW_WORKERS" in lines[0], proc.stderr


def test_role_refuses_what_the_launcher_would_refuse_before_any_change(run_playbook, tmp_path):
    """The env contract is checked on the controller with the launcher's own validation."""
    name = "oci-mlflow-e2e-bad"
    variables = {
        "mlflow_server_container_name": name, "mlflow_server_port": 5059,
        "mlflow_server_data_dir": str(tmp_path / "data"), "mlflow_server_config_dir": str(tmp_path / "etc"),
        "mlflow_server_gunicorn_opts": "--log-level 'unbalanced", "mlflow_server_health_timeout": 20,
    }
    try:
        start = time.monotonic()
        run = run_playbook("deploy.yml", variables)
        assert run.returncode != 0
        assert "mlflow_server_gunicorn_opts: cannot be split like a shell command line" in run.output, \
            run.output[-3000:]
        assert "(MLFLOW_GUNICORN_OPTS)" in run.output
        assert time.monotonic() - start < 120
        assert inspect(name) is None and not (tmp_path / "etc").exists()
    finally:
        run_playbook("teardown.yml", variables)


def test_role_reports_the_launchers_error(run_playbook, tmp_path):
    """What only the container can find (a directory its uid cannot create) is the launcher's one line,
    reported by the deploy within seconds."""
    name = "oci-mlflow-e2e-bad"
    variables = {
        "mlflow_server_container_name": name, "mlflow_server_port": 5059,
        "mlflow_server_data_dir": str(tmp_path / "data"), "mlflow_server_config_dir": str(tmp_path / "etc"),
        "mlflow_server_extra_env": {"MLFLOW_TMPDIR": "/not-writable-by-the-image/tmp"},
        "mlflow_server_health_timeout": 20, "mlflow_server_db_upgrade": False,
    }
    try:
        start = time.monotonic()
        run = run_playbook("deploy.yml", variables)
        assert run.returncode != 0
        assert "mlflow-launcher: error: MLFLOW_TMPDIR" in run.output, run.output[-3000:]
        assert time.monotonic() - start < 120
    finally:
        run_playbook("teardown.yml", variables)
