"""`python -m tests.oci_emulator` by hand, and a client process that knows only the printed exports."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path

import requests

from . import realm

REPO_ROOT = Path(__file__).resolve().parents[2]

CLIENT = r"""
import json, oci, requests
config = oci.config.from_file()
signers = {
    "api_key": oci.signer.Signer.from_config(config),
    "instance_principal": oci.auth.signers.InstancePrincipalsSecurityTokenSigner(),
    "resource_principal": oci.auth.signers.get_resource_principals_signer(),
}
result = {}
for name, signer in signers.items():
    client = oci.object_storage.ObjectStorageClient(config, signer=signer)
    token = requests.get("https://lts.ocir.io/20180419/docker/token", auth=signer, timeout=10)
    result[name] = [client.get_namespace().data, token.status_code]
print(json.dumps(result))
"""


def _read_exports(proc: subprocess.Popen, timeout: float = 20) -> dict[str, str]:
    """Uncommented and commented `export` lines, up to the last line of the banner."""
    watchdog = threading.Timer(timeout, proc.kill)  # a hung emulator ends readline() with EOF
    watchdog.start()
    try:
        exports = {}
        for line in proc.stdout:
            words = shlex.split(line.lstrip("# "))
            if words[:1] == ["export"]:
                name, _, value = words[1].partition("=")
                exports[name] = value
            if "HTTP_PROXY" in line:
                return exports
    finally:
        watchdog.cancel()
    raise AssertionError(f"the emulator printed no environment: {proc.stderr.read()}")


def test_run_by_hand_then_use_it_from_another_process(tmp_path):
    state_dir = tmp_path / "state"
    emulator = subprocess.Popen([sys.executable, "-m", "tests.oci_emulator", "--state-dir", str(state_dir)],
                                cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        exports = _read_exports(emulator)
        assert exports["HOME"] == str(state_dir / "home")
        assert exports["OCI_REGION_METADATA"] == realm.REGION_METADATA_JSON
        assert exports["OCI_RESOURCE_PRINCIPAL_VERSION"] == "2.2"
        assert (state_dir / "env.sh").read_text().startswith(f"export OCI_EMULATOR_URL={exports['OCI_EMULATOR_URL']}")

        client = subprocess.run([sys.executable, "-c", CLIENT], env={"PATH": os.environ["PATH"], **exports},
                                capture_output=True, text=True, timeout=60)
        assert client.returncode == 0, client.stderr
        assert json.loads(client.stdout) == {p: [realm.NAMESPACE, 200] for p in
                                             ("api_key", "instance_principal", "resource_principal")}

        with requests.Session() as session:
            session.trust_env = False
            log = session.get(f"{exports['OCI_EMULATOR_URL']}/_emulator/requests", timeout=10).json()
        signed = {(e["path"], e["principal"]["type"]) for e in log if e["principal"]["type"] != "none"}
        assert signed >= {("/n", p) for p in ("api_key", "instance_principal", "resource_principal")}
        assert signed >= {("/20180419/docker/token", p)
                          for p in ("api_key", "instance_principal", "resource_principal")}
    finally:
        emulator.send_signal(signal.SIGINT)
        returncode = emulator.wait(timeout=10)
    stderr = emulator.stderr.read()
    assert returncode == 0, stderr
    assert f"200 GET objectstorage.{realm.REGION}.{realm.REALM_DOMAIN} /n [api_key:{realm.USER}]" in stderr
