"""The production path on one host: build, log in to OCIR with an API key, push; delete the local
image; then the server role logs in with the *instance principal* (emulated metadata service and
federation), pulls and runs the image. Real parts throughout: the `oci` SDK against the emulator,
Debian's docker-registry with OCIR-style token auth, the Docker engine, the MLflow client.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import uuid

import pytest
import yaml
from mlflow.tracking import MlflowClient

from e2e_support import MLFLOW_VERSION, docker, inspect, wait_healthy

pytestmark = pytest.mark.e2e

CONTAINER, PORT = "oci-mlflow-e2e-ocir", 5061
REGION = "local-test-1"


def inventory(path, builders: bool, servers: bool) -> str:
    local = {"localhost": {"ansible_connection": "local",
                           "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}
    groups = {"mlflow_image_builders": {"hosts": local if builders else {}},
              "mlflow_servers": {"hosts": local if servers else {}}}
    path.write_text(yaml.safe_dump({"all": {"children": groups}}))
    return str(path)


@pytest.fixture()
def operator_env(clean_oci_emulator, tmp_path):
    """The emulator's environment with a HOME of this test's own: the emulated user's ~/.oci and a
    Docker config nobody else writes to."""
    home = tmp_path / "home"
    shutil.copytree(clean_oci_emulator.credentials.home / ".oci", home / ".oci")
    return {**clean_oci_emulator.process_env(), "HOME": str(home)}


@pytest.fixture()
def instance_env(clean_oci_emulator, tmp_path):
    """What an OCI compute instance has: the metadata service, and no ~/.oci nor Docker login."""
    home = tmp_path / "instance-home"
    home.mkdir()
    return {**clean_oci_emulator.process_env(), "HOME": str(home)}


def test_push_then_pull_with_an_instance_principal(run_playbook, clean_oci_emulator, ocir_registry,
                                                    operator_env, instance_env, tmp_path):
    emu = clean_oci_emulator
    # One set of registry settings for the push and the pull; each side says how it logs in.
    shared = {"mlflow_registry_address": ocir_registry.address, "mlflow_registry_region": REGION,
              "mlflow_image_ca_bundle": "/etc/ssl/certs/ca-certificates.crt"}
    server = {"mlflow_registry_auth_type": "instance_principal", "mlflow_server_pull": True,
              "mlflow_server_container_name": CONTAINER, "mlflow_server_port": PORT,
              "mlflow_server_host": "127.0.0.1", "mlflow_server_workers": 1,
              "mlflow_server_data_dir": str(tmp_path / "data"),
              "mlflow_server_config_dir": str(tmp_path / "etc")}
    repository = ocir_registry.repository("oci-mlflow")
    ref = f"{repository}:{MLFLOW_VERSION}"

    # 1. Build and push with the operator's API key; the namespace is discovered.
    # A label of this run's own makes an image id nobody else uses (the layers come from the cache),
    # so deleting it below cannot touch another deployment, and the server really has to pull it.
    build_vars = {**shared, "mlflow_image_push": True, "mlflow_image_name": "oci-mlflow-e2e-ocir",
                  "mlflow_image_labels": {"org.oracle.mlflow.e2e-run": uuid.uuid4().hex},
                  "mlflow_registry_auth_type": "api_key"}
    build_inventory = inventory(tmp_path / "build.yml", builders=True, servers=False)
    build = run_playbook("deploy.yml", build_vars, inventory=build_inventory, env=operator_env)
    assert build.returncode == 0, build.output[-4000:]
    rebuild = run_playbook("deploy.yml", build_vars, inventory=build_inventory, env=operator_env)
    assert rebuild.returncode == 0 and rebuild.changed == 0, rebuild.output[-4000:]
    assert sorted(ocir_registry.tags(repository)) == [MLFLOW_VERSION, "latest"]
    pushed_id = docker("image", "inspect", "-f", "{{.Id}}", ref).stdout.strip()
    signers = {(e["path"], e["principal"]["type"]) for e in emu.requests}
    assert ("/n", "api_key") in signers and ("/20180419/docker/token", "api_key") in signers

    # 2. Nothing of the image stays on the host: the server has to pull it.
    docker("rmi", "-f", pushed_id)
    assert docker("image", "inspect", pushed_id, check=False).returncode != 0
    emu.reset()
    try:
        deploy = run_playbook("deploy.yml", {**shared, **server, "mlflow_server_image": ref},
                              inventory=inventory(tmp_path / "servers.yml", builders=False, servers=True),
                              env=instance_env)
        assert deploy.returncode == 0, deploy.output[-4000:]
        container = inspect(CONTAINER)
        assert container["Config"]["Image"] == ref and container["Image"] == pushed_id
        wait_healthy(f"http://127.0.0.1:{PORT}")
        client = MlflowClient(f"http://127.0.0.1:{PORT}")
        run_id = client.create_run(client.create_experiment("from-ocir")).info.run_id
        client.log_metric(run_id, "pulled", 1.0)
        assert client.get_run(run_id).data.metrics == {"pulled": 1.0}

        # The host identified itself as the instance: federation with its certificate, then the
        # token exchange signed with the federated token.
        calls = [(e["path"], e["principal"]["type"], e["status"]) for e in emu.requests]
        assert ("/v1/x509", "instance_principal", 200) in calls
        assert ("/20180419/docker/token", "instance_principal", 200) in calls
        assert not [c for c in calls if c[1] == "api_key"]

        # The registry token is in the 0600 Docker config only: not in task output, processes or inspect.
        config = json.loads((tmp_path / "instance-home" / ".docker" / "config.json").read_text())
        user, _, token = base64.b64decode(config["auths"][ocir_registry.address]["auth"]).decode().partition(":")
        assert user == "BEARER_TOKEN" and len(token) > 100
        assert token[-40:] not in deploy.output
        assert token[-40:] not in json.dumps(container)
        ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
        assert token[-40:] not in ps

        # 3. Again: logged in, image current, container unchanged.
        again = run_playbook("deploy.yml", {**shared, **server, "mlflow_server_image": ref},
                             inventory=inventory(tmp_path / "servers.yml", builders=False, servers=True),
                             env=instance_env)
        assert again.returncode == 0 and again.changed == 0, again.output[-4000:]
    finally:
        docker("rm", "-f", CONTAINER, check=False)
        docker("rmi", "-f", pushed_id, check=False)
