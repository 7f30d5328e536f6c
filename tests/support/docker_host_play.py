"""tests/fleet/docker_host.yml (the docker_host role alone, as deploy.yml's first play runs it) against an
inventory, with its output, recap per host and time: shared by the fleet tests that prepare hosts.

    run = docker_host_play(inventory, "--check", "--limit", "web1", extra={"docker_host_log_max_size": "20m"})
    run.returncode, run.recap["web1"]["changed"], run.output, run.seconds
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "tests" / "fleet" / "docker_host.yml"
VENV_BIN = ROOT / ".venv" / "bin"
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def docker_host_play(inventory, *args, extra=None):
    cmd = [str(VENV_BIN / "ansible-playbook"), str(PLAYBOOK), "-i", str(inventory), *args]
    if extra:     # (no secrets in these: log settings)
        cmd += ["-e", json.dumps(extra)]
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": f"{VENV_BIN}:/usr/bin:/bin", "ANSIBLE_NOCOLOR": "1", "HOME": str(Path.home())})
    proc.seconds = time.monotonic() - start
    proc.output = proc.stdout + proc.stderr
    proc.recap = {m[0]: dict(zip(("ok", "changed", "unreachable", "failed"), map(int, m[1:])))
                  for m in RECAP.findall(proc.stdout)}
    return proc
