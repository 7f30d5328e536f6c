"""The fleet: wall time to deploy fresh hosts over SSH, 3 against 1, the idempotent re-run, the rollout
time per host and the longest gap 8 clients saw during it.

It runs the fleet's end-to-end tests (tests/e2e/test_fleet_rollout.py: fresh test hosts, HAProxy, MySQL
from a Vault secret, oci:// artifacts, the emulator), first with one host (the fresh deploy only), then
with three (the fresh deploy and the rollout), and reads the figures they print. The alternative a user
would pick is deploying the hosts one after the other: three times one host.

Usage: .venv/bin/python benchmarks/bench_fleet.py      (needs what `make test` sets up)
"""

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRESH = re.compile(r"\[figure\] fleet: (\d+) fresh hosts deployed in (\d+) s; the idempotent re-run took (\d+) s")
ROLLOUT = re.compile(r"\[figure\] rollout of (\d+) hosts: (\d+) s \((\d+) s per host\); 8 clients, (\d+) metrics, "
                     r"0 failed, 0 lost; longest gap a client saw ([\d.]+) s")


def run(hosts: int, selection: str) -> str:
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "pytest"), "-q", "-s", "-p", "no:cacheprovider",
                           "tests/e2e/test_fleet_rollout.py", "-k", selection],
                          cwd=ROOT, env={**os.environ, "FLEET_HOSTS": str(hosts)}, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"the fleet tests failed with {hosts} host(s):\n{proc.stdout[-4000:]}")
    return proc.stdout


def main() -> None:
    one = FRESH.search(run(1, "fresh"))
    three_out = run(3, "fresh or rolls_out")
    three, rollout = FRESH.search(three_out), ROLLOUT.search(three_out)
    results = {
        "fresh_1_host_s": int(one[2]), "fresh_3_hosts_s": int(three[2]),
        "ratio_3_to_1": round(int(three[2]) / int(one[2]), 2), "one_after_another_3_hosts_s": 3 * int(one[2]),
        "idempotent_rerun_3_hosts_s": int(three[3]), "rollout_per_host_s": int(rollout[3]),
        "rollout_metrics": int(rollout[4]), "rollout_longest_gap_s": float(rollout[5]),
    }
    print(f"{'':40} {'deploy.yml':>12} {'one host after another':>24}")
    print(f"{'1 fresh host':40} {results['fresh_1_host_s']:>10} s")
    print(f"{'3 fresh hosts':40} {results['fresh_3_hosts_s']:>10} s {results['one_after_another_3_hosts_s']:>22} s")
    print(f"{'3 against 1 (goal: at most 1.5x)':40} {results['ratio_3_to_1']:>11}x {3.0:>23}x")
    print(f"{'idempotent re-run, 3 hosts (goal < 30 s)':40} {results['idempotent_rerun_3_hosts_s']:>10} s")
    print(f"{'rollout, per host':40} {results['rollout_per_host_s']:>10} s")
    print(f"{'longest gap a client saw in the rollout':40} {results['rollout_longest_gap_s']:>10} s "
          f"({results['rollout_metrics']} metrics, 0 failed, 0 lost)")
    out = ROOT / "benchmarks" / f"results-fleet-{date.today()}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
