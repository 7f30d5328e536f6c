"""Logins (MLFLOW_AUTH) where the front door's deployment (tests/e2e/test_front_door.py: sqlite, uvicorn, the
admin password from the inventory) does not reach: under gunicorn, and with the admin password and the secret key
from OCI Vault. On MySQL: tests/e2e/test_mysql_backend.py deploys with logins on.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import requests

from e2e_support import MLFLOW_VERSION, docker, free_port, identity_args, inspect, process_args, wait_healthy

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("served_image")]  # docker runs the image itself

IMAGE = os.environ.get("MLFLOW_E2E_IMAGE", f"oci-mlflow:{MLFLOW_VERSION}")
ADMIN = "admin"
FIRST_PASSWORD = "first:admin%pass-1"    # ':' and '%' on purpose (basic auth, configparser)
SECOND_PASSWORD = "second-admin-pass-2"
SEARCH = "/api/2.0/mlflow/experiments/search"


def search(url, auth=None):
    return requests.post(url + SEARCH, json={"max_results": 1}, auth=auth, timeout=10)


def test_the_admin_password_and_the_key_can_come_from_vault(clean_oci_emulator, container_files):
    """Read at start with the server's OCI identity (instance principal here), through the emulator."""
    emu = clean_oci_emulator
    password_id = emu.state.add_secret("mlflow-admin-password", SECOND_PASSWORD + "\n")
    key_id = emu.state.add_secret("mlflow-auth-key", "v" * 48)
    short_id = emu.state.add_secret("mlflow-admin-short", "too-short")
    name, port = "oci-mlflow-e2e-auth-vault", free_port()

    def args(password_ocid):
        return ["--name", name, "--network", "host", "--env-file", container_files["env_file"],
                "-v", f"{container_files['ca']}:{container_files['ca']}:ro", "-e", "MLFLOW_HOST=127.0.0.1",
                "-e", f"MLFLOW_PORT={port}", "-e", "MLFLOW_WORKERS=1", "-e", "MLFLOW_AUTH=1",
                "-e", f"MLFLOW_AUTH_ADMIN_PASSWORD_OCID={password_ocid}",
                "-e", f"MLFLOW_FLASK_SERVER_SECRET_KEY_OCID={key_id}",
                *identity_args(container_files, "instance_principal"), IMAGE]

    refused = subprocess.run(["docker", "run", "--rm", *args(short_id)], capture_output=True, text=True, timeout=120)
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert refused.returncode == 2 and len(lines) == 1, lines
    assert lines[0].startswith(f"mlflow-launcher: error: MLFLOW_AUTH_ADMIN_PASSWORD_OCID: {short_id}: the password "
                               "in the secret is 9 characters long"), lines
    docker("run", "-d", *args(password_id))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url)
        assert search(url).status_code == 401
        assert search(url, (ADMIN, SECOND_PASSWORD)).status_code == 200
        logs = docker("logs", name)
        for text in (json.dumps(inspect(name)), process_args(name), logs.stdout, logs.stderr):
            assert SECOND_PASSWORD not in text and "v" * 48 not in text
        for secret_id in (password_id, key_id):
            calls = [e for e in emu.requests if e["path"] == f"/20190301/secretbundles/{secret_id}"]
            assert [c["principal"]["type"] for c in calls if c["status"] == 200] == ["instance_principal"]
    finally:
        docker("rm", "-f", name, check=False)


def test_gunicorn_serves_behind_the_same_logins():
    name, port = "oci-mlflow-e2e-auth-gunicorn", free_port()
    env = {**os.environ, "MLFLOW_AUTH_ADMIN_PASSWORD": FIRST_PASSWORD, "MLFLOW_FLASK_SERVER_SECRET_KEY": "g" * 32}
    # `-e NAME` without a value hands the secrets over from this process: not in the docker CLI's argv.
    subprocess.run(["docker", "run", "-d", "--name", name, "--network", "host", "-e", "MLFLOW_HOST=127.0.0.1",
                    "-e", f"MLFLOW_PORT={port}", "-e", "MLFLOW_WORKERS=1", "-e", "MLFLOW_GUNICORN_OPTS=--timeout 60",
                    "-e", "MLFLOW_AUTH=1", "-e", "MLFLOW_AUTH_ADMIN_PASSWORD", "-e", "MLFLOW_FLASK_SERVER_SECRET_KEY",
                    IMAGE], env=env, check=True, capture_output=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url)
        assert search(url).status_code == 401
        assert search(url, (ADMIN, FIRST_PASSWORD)).status_code == 200
        assert FIRST_PASSWORD not in process_args(name)
    finally:
        docker("rm", "-f", name, check=False)
