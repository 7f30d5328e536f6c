"""The front door's cost: the MLflow client through nginx with HTTPS and a login, against the server direct.

Deploys with playbooks/deploy.yml and inventories/local (as `make deploy` does, data and configuration in a
temp dir, free loopback ports): one server with logins (mlflow_server_auth_enabled) and the proxy in front of
it with a self-signed CA, and one plain server (no logins, HTTP) from the same image. Three paths:
  direct        http://127.0.0.1:<plain server>, no login
  direct+login  http://127.0.0.1:<auth server>, basic auth: the cost of logins alone
  front door    https://localhost:<proxy>, basic auth, the CA in MLFLOW_TRACKING_SERVER_CERT_PATH
Per path, with the real MlflowClient: METRICS log_metric calls after WARMUP (p50/p95 ms; the calls alternate
between the paths in ROUNDS rounds, so load from other jobs on the host hits all alike), then RUNS x a SIZE_MB
artifact up (log_artifact) and down (download_artifacts, bytes compared), MB/s as 10^6 bytes per second,
medians. Then /health (no login) direct and through the front door, kept alive and with a new TLS connection
per request: what nginx and TLS cost a request without the logins. Goal: latency at most 1.2x, throughput at
least 0.8x of direct; the front door against direct+login shows the share of nginx and TLS alone.
Prints a table and writes benchmarks/results-front-door-<date>.json; removes what it deployed, also on failure.
The logins server trusts a checked login for AUTH_CACHE_SECONDS (mlflow_server_auth_cache_seconds, 30 as in
inventories/prod; 0 checks every request, a scrypt hash each).
Usage: .venv/bin/python benchmarks/bench_front_door.py   (METRICS=200 WARMUP=20 ROUNDS=4 RUNS=3 SIZE_MB=100
AUTH_CACHE_SECONDS=30)
Containers bench-front-door-*, image oci-mlflow-proxy-bench (removed again when this run built it).
"""

import hashlib
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from e2e_support import docker, free_port, wait_healthy  # noqa: E402  (tests/e2e is not a package)

METRICS = int(os.environ.get("METRICS", "200"))
WARMUP = int(os.environ.get("WARMUP", "20"))
ROUNDS = int(os.environ.get("ROUNDS", "4"))
RUNS = int(os.environ.get("RUNS", "3"))
SIZE_MB = int(os.environ.get("SIZE_MB", "100"))
AUTH_CACHE_SECONDS = int(os.environ.get("AUTH_CACHE_SECONDS", "30"))
PROBES = 200  # /health requests per connection mode in the breakdown
GOAL_LATENCY, GOAL_THROUGHPUT = 1.2, 0.8
KEYS = ("log_metric_p50_ms", "log_metric_p95_ms", "upload_mb_s", "download_mb_s")

NAME = "bench-front-door"
PROXY_IMAGE = "oci-mlflow-proxy-bench"
VENV_BIN = ROOT / ".venv" / "bin"
CLIENT_VARS = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_SERVER_CERT_PATH")

os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"


def image_base() -> str:
    return subprocess.run([str(ROOT / "scripts" / "base-image.sh")], check=True, capture_output=True,
                          text=True).stdout.strip()


def playbook(work: Path, name: str, inventories: list[str], variables: dict) -> None:
    """ansible-playbook with the variables in a 0600 file: the admin password never reaches argv."""
    vars_file = work / f"vars-{uuid.uuid4().hex[:6]}.json"
    vars_file.touch(mode=0o600)
    vars_file.write_text(json.dumps(variables))
    cmd = [str(VENV_BIN / "ansible-playbook"), f"playbooks/{name}", *[a for i in inventories for a in ("-i", i)],
           "-e", f"@{vars_file}"]
    env = {**os.environ, "PATH": f"{VENV_BIN}:{os.environ['PATH']}", "ANSIBLE_NOCOLOR": "1"}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    vars_file.unlink()
    if proc.returncode:
        raise RuntimeError(f"{name} failed:\n{(proc.stdout + proc.stderr)[-3000:]}")


class Deployment:
    """The two servers and the proxy, each deploy.yml run with its own names, ports and directories."""

    def __init__(self, work: Path):
        self.work, base = work, image_base()
        self.password = secrets.token_urlsafe(24)
        proxies = work / "proxies.yml"
        proxies.write_text(json.dumps({"all": {"children": {"mlflow_proxies": {"hosts": {"localhost": None}}}}}))
        self.ports = {"direct": free_port(), "auth": free_port(), "https": free_port()}
        common = {"mlflow_image_base": base, "mlflow_image_build_dir": str(work / "image"),
                  "mlflow_server_workers": 2}
        self.runs = {
            "direct": (["inventories/local"], {
                **common, "mlflow_server_container_name": f"{NAME}-direct",
                "mlflow_server_port": self.ports["direct"], "mlflow_server_data_dir": str(work / "direct-data"),
                "mlflow_server_config_dir": str(work / "direct-etc")}),
            "front": (["inventories/local", str(proxies)], {
                **common, "mlflow_server_container_name": f"{NAME}-server",
                "mlflow_server_port": self.ports["auth"], "mlflow_server_data_dir": str(work / "auth-data"),
                "mlflow_server_config_dir": str(work / "auth-etc"),
                "mlflow_server_auth_enabled": True, "mlflow_server_auth_admin_password": self.password,
                "mlflow_server_auth_cache_seconds": AUTH_CACHE_SECONDS,
                "mlflow_proxy_container_name": f"{NAME}-proxy", "mlflow_proxy_image_name": PROXY_IMAGE,
                "mlflow_proxy_build_dir": str(work / "proxy-image"), "mlflow_proxy_config_dir": str(work / "proxy"),
                "mlflow_proxy_https_port": self.ports["https"], "mlflow_proxy_http_port": 0,
                "mlflow_proxy_server_name": "localhost", "mlflow_proxy_extra_names": ["127.0.0.1"]}),
        }
        self.ca = str(work / "proxy" / "ca" / "ca.crt")
        self.proxy_image_was_there = docker("image", "inspect", f"{PROXY_IMAGE}:bookworm", check=False).returncode == 0

    def up(self) -> None:
        for key, (inventories, variables) in self.runs.items():
            t0 = time.monotonic()
            playbook(self.work, "deploy.yml", inventories, variables)
            print(f"[bench] deployed {key} in {time.monotonic() - t0:.0f} s", file=sys.stderr)

    def down(self) -> None:
        for inventories, variables in self.runs.values():
            try:
                playbook(self.work, "teardown.yml", inventories, {**variables, "mlflow_server_purge_data": True})
            except RuntimeError as err:
                print(f"[bench] teardown: {err}", file=sys.stderr)
        for name in ("direct", "server", "proxy"):  # also what a failed deploy left half made
            docker("rm", "-f", f"{NAME}-{name}", check=False)
        if not self.proxy_image_was_there:
            docker("image", "rm", f"{PROXY_IMAGE}:bookworm", check=False)

    def paths(self) -> dict:
        """Per path: tracking URI and the client's environment."""
        login = {"MLFLOW_TRACKING_USERNAME": "admin", "MLFLOW_TRACKING_PASSWORD": self.password}
        return {
            "direct": (f"http://127.0.0.1:{self.ports['direct']}", {}),
            "direct+login": (f"http://127.0.0.1:{self.ports['auth']}", login),
            "front door": (f"https://localhost:{self.ports['https']}",
                           {**login, "MLFLOW_TRACKING_SERVER_CERT_PATH": self.ca}),
        }


class Route:
    """One path's MlflowClient, its run, and its client environment set only while it is used."""

    def __init__(self, uri: str, env: dict):
        from mlflow.tracking import MlflowClient
        self.uri, self.env = uri, env
        with self:
            self.client = MlflowClient(tracking_uri=uri)
            self.run = self.client.create_run(self.client.create_experiment(f"bench-{uuid.uuid4().hex[:8]}")).info

    def __enter__(self):
        for var in CLIENT_VARS:
            os.environ.pop(var, None)
        os.environ.update(self.env)
        return self

    def __exit__(self, *exc):
        for var in CLIENT_VARS:
            os.environ.pop(var, None)

    def metrics(self, n: int, offset: int) -> list[float]:
        out = []
        with self:
            for step in range(offset, offset + n):
                t = time.perf_counter()
                self.client.log_metric(self.run.run_id, "loss", 1.0 / (step + 1), step=step)
                out.append((time.perf_counter() - t) * 1000)
        return out

    def artifact(self, data_file: Path, digest: str, i: int, work: Path) -> tuple[float, float]:
        with self:
            t = time.perf_counter()
            self.client.log_artifact(self.run.run_id, str(data_file), f"r{i}")
            up = SIZE_MB / (time.perf_counter() - t)
            out = Path(tempfile.mkdtemp(dir=work))
            t = time.perf_counter()
            got = self.client.download_artifacts(self.run.run_id, f"r{i}/{data_file.name}", str(out))
            down = SIZE_MB / (time.perf_counter() - t)
        if file_digest(Path(got)) != digest:
            raise RuntimeError(f"{self.uri}: the downloaded artifact differs from the uploaded one")
        shutil.rmtree(out)
        return up, down


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def pct(values: list[float], p: int) -> float:
    return round(statistics.quantiles(values, n=100, method="inclusive")[p - 1], 2)


def breakdown(urls: dict, ca: str) -> dict:
    """/health (no login, no database) median ms: direct and through the front door on one kept-alive
    connection, and the front door with a new TLS connection per request: what nginx and TLS cost per
    request once logins are out of the picture."""
    def timed(get) -> float:
        times = []
        for _ in range(PROBES):
            t = time.perf_counter()
            resp = get()
            times.append((time.perf_counter() - t) * 1000)
            resp.raise_for_status()
        return round(statistics.median(times), 2)

    found = {}
    for key, url in (("direct", urls["direct"]), ("front_door", urls["front door"])):
        with requests.Session() as session:
            session.get(f"{url}/health", verify=ca, timeout=10)
            found[f"health_{key}_kept_alive_ms"] = timed(lambda: session.get(f"{url}/health", verify=ca, timeout=10))
    found["health_front_door_new_tls_connection_ms"] = timed(
        lambda: requests.get(f"{urls['front door']}/health", verify=ca, timeout=10, headers={"Connection": "close"}))
    return found


def measure(deployment: Deployment, work: Path) -> dict:
    paths = {key: Route(uri, env) for key, (uri, env) in deployment.paths().items()}
    for p in paths.values():
        p.metrics(WARMUP, 0)
    latencies = {key: [] for key in paths}
    per_round = METRICS // ROUNDS
    for r in range(ROUNDS):
        for key, p in paths.items():
            latencies[key] += p.metrics(per_round, WARMUP + r * per_round)

    data_file = work / "artifact.bin"
    data = os.urandom(SIZE_MB * 10**6)
    data_file.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    del data
    ups, downs = {key: [] for key in paths}, {key: [] for key in paths}
    for i in range(RUNS):
        for key, p in paths.items():
            up, down = p.artifact(data_file, digest, i, work)
            ups[key].append(round(up, 1))
            downs[key].append(round(down, 1))

    results = {key: {"log_metric_p50_ms": pct(latencies[key], 50), "log_metric_p95_ms": pct(latencies[key], 95),
                     "upload_mb_s": statistics.median(ups[key]), "download_mb_s": statistics.median(downs[key]),
                     "uploads": ups[key], "downloads": downs[key]} for key in paths}
    results["front door"]["breakdown"] = breakdown({k: p.uri for k, p in paths.items()}, deployment.ca)
    return results


def ratios(results: dict, base: str = "direct") -> dict:
    return {key: {k: round(r[k] / results[base][k], 2) for k in KEYS} for key, r in results.items()}


def report(results: dict, rel: dict, proxy_only: dict) -> None:
    labels = ("p50 ms", "p95 ms", "up MB/s", "down MB/s")
    goals = (f"<= {GOAL_LATENCY}x",) * 2 + (f">= {GOAL_THROUGHPUT}x",) * 2
    print(f"\n{'':14}" + "".join(f"{label:>18}" for label in labels) + f"   ({METRICS} log_metric, {SIZE_MB} MB x {RUNS})")
    for key, r in results.items():
        cells = [f"{r[k]}" + (f" ({rel[key][k]}x)" if key != "direct" else "") for k in KEYS]
        print(f"{key:14}" + "".join(f"{c:>18}" for c in cells))
    print(f"{'goal':14}" + "".join(f"{g:>18}" for g in goals))
    # The front door against the same server reached directly: nginx and TLS alone, without the logins.
    print(f"{'proxy+TLS only':14}" + "".join(f"{str(proxy_only[k]) + 'x':>18}" for k in KEYS)
          + "   (front door / direct+login)")
    b = results["front door"]["breakdown"]
    print(f"/health, median of {PROBES}: direct {b['health_direct_kept_alive_ms']} ms, front door "
          f"{b['health_front_door_kept_alive_ms']} ms on a kept-alive TLS connection, "
          f"{b['health_front_door_new_tls_connection_ms']} ms with a new TLS connection per request")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix=f"{NAME}-"))
    deployment = Deployment(work)
    try:
        t0 = time.monotonic()
        deployment.up()
        for port in (deployment.ports["direct"], deployment.ports["auth"]):
            wait_healthy(f"http://127.0.0.1:{port}")
        deployed = time.monotonic() - t0
        t0 = time.monotonic()
        results = measure(deployment, work)
        rel, proxy_only = ratios(results), ratios(results, "direct+login")["front door"]
        report(results, rel, proxy_only)
        front = rel["front door"]
        met = (front["log_metric_p50_ms"] <= GOAL_LATENCY and front["log_metric_p95_ms"] <= GOAL_LATENCY
               and front["upload_mb_s"] >= GOAL_THROUGHPUT and front["download_mb_s"] >= GOAL_THROUGHPUT)
        out = ROOT / "benchmarks" / f"results-front-door-{date.today()}.json"
        out.write_text(json.dumps({
            "results": results, "ratios_to_direct": rel, "front_door_to_direct_login": proxy_only, "goal_met": met,
            "deploy_s": round(deployed), "measure_s": round(time.monotonic() - t0),
            "auth_cache_seconds": AUTH_CACHE_SECONDS,
            "_note": (f"benchmarks/bench_front_door.py, METRICS={METRICS} (after {WARMUP} warm-up, {ROUNDS} "
                      f"interleaved rounds) RUNS={RUNS} SIZE_MB={SIZE_MB}; medians; MB = 10^6 bytes; 2 workers "
                      "per server; goal: latency <= 1.2x, throughput >= 0.8x of direct"),
        }, indent=1) + "\n")
        print(f"goal {'met' if met else 'missed'} (logins cached {AUTH_CACHE_SECONDS} s); wrote {out.relative_to(ROOT)}")
    finally:
        deployment.down()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
