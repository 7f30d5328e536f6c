"""Fixtures for the end-to-end tests: real playbooks against this host's Docker engine.

The tests deploy with the local inventory exactly as `make deploy` does, except that data and
configuration live in a temporary directory, so a developer's own /var/lib/mlflow is never touched.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

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
            inventory: str = "inventories/local", env: dict | None = None) -> PlaybookRun:
        variables = {"mlflow_image_base": image_base, **(extra_vars or {})}
        cmd = [str(VENV_BIN / "ansible-playbook"), f"playbooks/{playbook}", "-i", inventory,
               "-e", json.dumps(variables)]
        if check:
            cmd.append("--check")
        base = env if env is not None else os.environ
        run_env = {**base, "PATH": f"{VENV_BIN}:{base['PATH']}", "ANSIBLE_NOCOLOR": "1",
                   "ANSIBLE_FORCE_COLOR": "0"}
        proc = subprocess.run(cmd, cwd=ROOT, env=run_env, capture_output=True, text=True)
        return PlaybookRun(proc.returncode, proc.stdout + proc.stderr)

    return run
