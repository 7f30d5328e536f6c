"""Helpers shared by the end-to-end tests: the Docker CLI and health polling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# The collection's module_utils (REPO_ROOT) and the test support packages (tests/), also for benchmarks.
for _path in (REPO_ROOT, REPO_ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

# The image's facts, from its env contract: the mlflow user (mounted files must be readable by it) and
# the MLflow version it ships (its tag).
from ansible_collections.oracle.mlflow.plugins.module_utils._env_contract import (  # noqa: E402
    IMAGE_UID, MLFLOW_VERSION)
# What a container on the host network needs to reach the emulator (see tests/oci_emulator/README).
from oci_emulator.environment import PASSED_VARS  # noqa: E402,F401
from support.fleet import free_port  # noqa: E402,F401  (one definition, for the e2e tests and benchmarks)


# A developer on a shared machine can build and run the image under names of their own: role variables as JSON,
# e.g. {"mlflow_image_name": "me-oci-mlflow", "mlflow_image_build_dir": "/var/tmp/me-image",
# "mlflow_image_extra_tags": [], "mlflow_server_image": "me-oci-mlflow:3.17.2"} (the tests that honour it merge it in).
IMAGE_VARS = json.loads(os.environ.get("MLFLOW_E2E_IMAGE_VARS", "{}"))


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], check=check, capture_output=True, text=True)


def inspect(container: str) -> dict | None:
    proc = docker("container", "inspect", container, check=False)
    return json.loads(proc.stdout)[0] if proc.returncode == 0 else None


def wait_healthy(url: str, timeout: float = 120) -> float:
    """Poll url/health until it answers 200; return the seconds it took."""
    start = time.monotonic()
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=3) as resp:
                if resp.status == 200:
                    return time.monotonic() - start
        except OSError:
            pass
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"{url}/health did not answer within {timeout} s")
        time.sleep(0.5)


def sql(statement: str) -> str:
    """SQL as MariaDB's root over the unix socket (statement on stdin, never in argv)."""
    return subprocess.run(["mariadb", "--batch", "--skip-column-names"], input=statement,
                          capture_output=True, text=True, check=True).stdout


def create_database(prefix: str, password: str) -> str:
    """A utf8mb4 database and a user of the same name on 127.0.0.1 with every right on it."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    sql(f"CREATE DATABASE {name} CHARACTER SET utf8mb4;"
        f"CREATE OR REPLACE USER '{name}'@'127.0.0.1' IDENTIFIED BY '{password}';"
        f"GRANT ALL ON {name}.* TO '{name}'@'127.0.0.1';")
    return name


def drop_database(name: str) -> None:
    sql(f"DROP DATABASE IF EXISTS {name}; DROP USER IF EXISTS '{name}'@'127.0.0.1';")


def process_args(container: str) -> str:
    """Command lines of every process in the container, one per line."""
    return docker("top", container, "-o", "pid,args").stdout


def identity_args(files: dict, iam_type: str, oci_mount: str = "/home/mlflow/.oci") -> list[str]:
    """docker run arguments giving a container the OCIFS_IAM_TYPE identity against the emulator,
    from the `container_files` fixture: the API key config in the image user's home, or the
    resource principal files and variables (instance principal needs only the metadata URL)."""
    args = ["-e", f"OCIFS_IAM_TYPE={iam_type}"]
    if iam_type == "api_key":
        args += ["-v", f"{files['oci_dir']}:{oci_mount}:ro"]
    if iam_type == "resource_principal":
        args += ["-v", f"{files['rp_dir']}:/run/resource-principal:ro"]
        for name, value in files["rp_env"].items():
            args += ["-e", f"{name}={value}"]
    return args
