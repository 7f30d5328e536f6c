"""MySQL backend start-up: `docker run` -> first 200 on /health, on a fresh schema and an existing one.

Per worker count (WORKERS, default "1,4") and RUNS times: a new utf8mb4 database (MariaDB on
127.0.0.1:3306) and user; the image started on it with BACKEND_PROVIDER=mysql and the DB* variables,
which creates the schema (fresh); removed and started again on the same database (existing).
Also the role's one-off schema step (`mlflow-launcher db-upgrade`): on an empty database (it creates
the schema) and on a current one (it only reads the revision). Medians in seconds.

Usage: .venv/bin/python benchmarks/bench_mysql_start.py   (RUNS=3 WORKERS=1,4 IMAGE=oci-mlflow:latest)
Needs MariaDB (scripts/mariadb.sh). Containers bench-mysql-*, port 5086.
"""

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from e2e_support import create_database, drop_database  # noqa: E402  (tests/e2e is not a package)

RUNS = int(os.environ.get("RUNS", "3"))
WORKERS = [int(w) for w in os.environ.get("WORKERS", "1,4").split(",")]
IMAGE = os.environ.get("IMAGE", "oci-mlflow:latest")
PORT = 5086
PASSWORD = "bench:p@ss/1"
NAME = "bench-mysql"


def env_args(database, workers):
    """docker run arguments; the password is handed over from this process's env, not argv."""
    return ["--network", "host", "-e", "MLFLOW_HOST=127.0.0.1", "-e", f"MLFLOW_PORT={PORT}",
            "-e", f"MLFLOW_WORKERS={workers}", "-e", "BACKEND_PROVIDER=mysql",
            "-e", f"DBUSERNAME={database}", "-e", "DBPASSWORD", "-e", "DBHOST=127.0.0.1",
            "-e", f"DBNAME={database}"]


def run(*args, check=True):
    return subprocess.run(["docker", *args], check=check, capture_output=True, text=True,
                          env={**os.environ, "DBPASSWORD": PASSWORD})


def seconds_to_healthy(database, workers, timeout=180):
    run("rm", "-f", NAME, check=False)
    start = time.monotonic()
    run("run", "-d", "--name", NAME, *env_args(database, workers), IMAGE)
    while time.monotonic() - start < timeout:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health", timeout=2) as answer:
                if answer.status == 200:
                    return time.monotonic() - start
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(run("logs", NAME, check=False).stderr[-2000:])


def seconds_for_schema_step(database):
    start = time.monotonic()
    proc = run("run", "--rm", *env_args(database, 1), IMAGE, "db-upgrade")
    return time.monotonic() - start, json.loads(proc.stdout.splitlines()[-1])["schema"]


def main():
    results = {"image": IMAGE, "runs": RUNS, "date": date.today().isoformat(), "start": {}, "schema_step": {}}
    steps = {"create": [], "current": []}
    for workers in WORKERS:
        fresh, existing = [], []
        for _ in range(RUNS):
            database = create_database("bench_mysql", PASSWORD)
            try:
                fresh.append(seconds_to_healthy(database, workers))
                existing.append(seconds_to_healthy(database, workers))
            finally:
                run("rm", "-f", NAME, check=False)
                drop_database(database)
        results["start"][workers] = {"fresh_schema": round(statistics.median(fresh), 2),
                                     "existing_schema": round(statistics.median(existing), 2)}
        print(f"workers={workers}: docker run -> healthy: fresh schema {statistics.median(fresh):.1f} s, "
              f"existing schema {statistics.median(existing):.1f} s (median of {RUNS})")
    for _ in range(RUNS):
        database = create_database("bench_mysql", PASSWORD)
        try:
            for expected in ("create", "current"):
                seconds, action = seconds_for_schema_step(database)
                assert action == expected, (action, expected)
                steps[expected].append(seconds)
        finally:
            drop_database(database)
    for action, values in steps.items():
        results["schema_step"][action] = round(statistics.median(values), 2)
        print(f"schema step (one-off db-upgrade container), {action}: {statistics.median(values):.1f} s")
    out = ROOT / "benchmarks" / f"results-mysql-{results['date']}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
