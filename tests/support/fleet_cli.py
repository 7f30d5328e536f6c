"""Test hosts for tools outside pytest (molecule/fleet): start a fleet and leave it up, or remove it.

    python tests/support/fleet_cli.py up NAME COUNT STATE_DIR    # prints molecule's instance config (JSON)
    python tests/support/fleet_cli.py down STATE_DIR

`up` keeps the fleet's label in STATE_DIR/label so that `down` (another process) finds its hosts.
Fleets made here have no loopback relays: what they converge needs only the package mirrors.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support.fleet import LABEL, Fleet, docker  # noqa: E402
from support.fleet_image import ensure_image  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def up(name: str, count: int, state_dir: Path) -> None:
    base = subprocess.run([str(ROOT / "scripts" / "base-image.sh")], check=True, capture_output=True,
                          text=True).stdout.strip()
    state_dir.mkdir(parents=True, exist_ok=True)
    fleet = Fleet.up(name, count, ensure_image(base), state_dir)
    (state_dir / "label").write_text(fleet.label)
    print(json.dumps([{"instance": host.name, "address": "127.0.0.1", "port": host.ssh_port, "user": "opc",
                       "identity_file": str(fleet.ssh_key)} for host in fleet.hosts]))


def down(state_dir: Path) -> None:
    label_file = state_dir / "label"
    if not label_file.exists():
        return
    label = label_file.read_text().strip()
    for kind, listing in (("container", ["ps", "-aq"]), ("volume", ["volume", "ls", "-q"])):
        found = docker(*listing, "--filter", f"label={LABEL}={label}").stdout.split()
        if found:
            docker(*(["rm", "-f", "-v"] if kind == "container" else ["volume", "rm", "-f"]), *found)
    label_file.unlink()


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "up":
        up(args[0], int(args[1]), Path(args[2]))
    elif command == "down":
        down(Path(args[0]))
    else:
        sys.exit(f"unknown command {command!r}: up NAME COUNT STATE_DIR | down STATE_DIR")
