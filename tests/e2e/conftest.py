"""Fixtures for the end-to-end tests: real playbooks against this host's Docker engine.

The tests deploy with the local inventory exactly as `make deploy` does, except that data and
configuration live in a temporary directory, so a developer's own /var/lib/mlflow is never touched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from e2e_support import IMAGE_UID, IMAGE_VARS, PASSED_VARS

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"


@dataclass
class PlaybookRun:
    returncode: int
    output: str

    @property
    def recap(self) -> dict[str, dict[str, int]]:
        """Per-host counters of the PLAY RECAP block."""
        hosts = {}
        for host, counters in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", self.output, re.M):
            hosts[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counters)}
        return hosts

    @property
    def changed(self) -> int:
        return sum(h["changed"] for h in self.recap.values())


@pytest.fixture(scope="session")
def run_playbook(image_base):
    def run(playbook: str, extra_vars: dict | None = None, check: bool = False, *,
            inventory: str | tuple[str, ...] = "inventories/local", env: dict | None = None) -> PlaybookRun:
        variables = {"mlflow_image_base": image_base, **(extra_vars or {})}
        # Several inventories are merged in order (a test adds a group to the local one).
        inventories = (inventory,) if isinstance(inventory, str) else inventory
        base = env if env is not None else os.environ
        run_env = {**base, "PATH": f"{VENV_BIN}:{base['PATH']}", "ANSIBLE_NOCOLOR": "1",
                   "ANSIBLE_FORCE_COLOR": "0"}
        # The variables hold test passwords: a 0600 file (`-e @file`), never ansible-playbook's arguments.
        with tempfile.TemporaryDirectory(prefix="e2e-vars-") as directory:
            vars_file = Path(directory) / "extra-vars.json"
            vars_file.touch(mode=0o600)
            vars_file.write_text(json.dumps(variables))
            cmd = [str(VENV_BIN / "ansible-playbook"), str(ROOT / "playbooks" / playbook),
                   *[arg for path in inventories for arg in ("-i", path)], "-e", f"@{vars_file}"]
            if check:
                cmd.append("--check")
            proc = subprocess.run(cmd, cwd=ROOT, env=run_env, capture_output=True, text=True)
        return PlaybookRun(proc.returncode, proc.stdout + proc.stderr)

    return run


@pytest.fixture(scope="session")
def served_image(run_playbook, tmp_path_factory):
    """oci-mlflow:latest (and :<MLflow version>), built once the way `make deploy` builds it (the mlflow_image
    role, local inventory), for the modules that `docker run` the image themselves: they then do not depend on
    a deploying test having run before them. Its own build directory: another pytest process may be
    staging the role's default one at the same time."""
    if os.environ.get("MLFLOW_E2E_IMAGE"):  # an image given from outside
        return os.environ["MLFLOW_E2E_IMAGE"]
    play = tmp_path_factory.mktemp("image") / "build-image.yml"
    play.write_text("- name: Build the image\n  hosts: mlflow_image_builders\n  gather_facts: false\n"
                    "  roles:\n    - role: oracle.mlflow.mlflow_image\n")
    # MLFLOW_E2E_IMAGE_VARS (e2e_support.IMAGE_VARS): a developer's own image names, as the deploying tests take them.
    image_vars = {k: v for k, v in IMAGE_VARS.items() if k.startswith("mlflow_image")}
    result = run_playbook(str(play), {"mlflow_image_build_dir": str(play.parent / "context"), **image_vars})
    assert result.returncode == 0, result.output[-4000:]
    return IMAGE_VARS.get("mlflow_server_image", "oci-mlflow:latest")


@pytest.fixture()
def container_files(clean_oci_emulator, tmp_path):
    """An env file with the emulator's variables, and a copy of its ~/.oci readable by the image's
    uid (the emulator's keys are 0600 and owned by the test runner)."""
    emu = clean_oci_emulator
    env_file = tmp_path / "emulator.env"
    env_file.write_text("".join(f"{k}={emu.env[k]}\n" for k in PASSED_VARS if k in emu.env))
    oci_dir = tmp_path / "oci"
    shutil.copytree(emu.credentials.state_dir / "home" / ".oci", oci_dir,
                    ignore=shutil.ignore_patterns("sessions"))
    for path in [oci_dir, *oci_dir.rglob("*")]:
        os.chown(path, IMAGE_UID, IMAGE_UID)
    # Resource principal v2.2: the RPST and its session key as files, as OCI services provide them.
    rp_dir = tmp_path / "resource-principal"
    rp_dir.mkdir()
    rp_env = dict(emu.resource_principal_env)
    for name in ("OCI_RESOURCE_PRINCIPAL_RPST", "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"):
        copy = rp_dir / os.path.basename(rp_env[name])
        shutil.copy(rp_env[name], copy)
        rp_env[name] = f"/run/resource-principal/{copy.name}"
    for path in [rp_dir, *rp_dir.iterdir()]:
        os.chown(path, IMAGE_UID, IMAGE_UID)
    ca = emu.env["REQUESTS_CA_BUNDLE"]
    return {"env_file": str(env_file), "oci_dir": str(oci_dir), "ca": ca, "rp_dir": str(rp_dir),
            "rp_env": rp_env}
