"""Proxied oci:// artifacts: client -> server -> Object Storage (the OCI emulator), per image.

For each image: `docker run` -> first 200 on /health; then RUNS x (upload SIZE_MB with
MlflowClient.log_artifact, download it with mlflow.artifacts.download_artifacts, bytes compared),
MB/s as 10^6 bytes per second, medians; and the emulator's request log: Object Storage calls and
principal token fetches (auth /v1/x509 for instance_principal) the server made.

Images: ours (IMAGE, default oci-mlflow:latest, our mlflow_oci_artifacts repository) and, if present,
NAIVE (default bench-naive-mlflow:latest: `pip install mlflow oci-mlflow`, see benchmarks/naive).
The emulator runs in its own process (python -m oci_emulator), so it does not share the client's GIL.
Usage: .venv/bin/python benchmarks/bench_artifacts.py   (RUNS=3 SIZE_MB=100 IAM=api_key|instance_principal)
Containers oci-mlflow-art-bench-*, ports 5088-5089.
"""

import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from e2e_support import IMAGE_UID, PASSED_VARS  # noqa: E402  (tests/e2e is not a package)

RUNS = int(os.environ.get("RUNS", "3"))
SIZE_MB = int(os.environ.get("SIZE_MB", "100"))
IAM = os.environ.get("IAM", "api_key")
IMAGE = os.environ.get("IMAGE", "oci-mlflow:latest")
NAIVE = os.environ.get("NAIVE", "bench-naive-mlflow:latest")
BUCKET = "bench"
NAMESPACE = "emulatorns"

os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"


def docker(*args, check=True):
    return subprocess.run(["docker", *args], check=check, capture_output=True, text=True).stdout.strip()


def start_emulator(state):
    proc = subprocess.Popen([sys.executable, "-m", "oci_emulator", "--quiet", "--state-dir", str(state)],
                            cwd=ROOT / "tests", stdout=subprocess.PIPE, text=True)
    first = proc.stdout.readline()          # "# OCI emulator on http://127.0.0.1:PORT, state in ..."
    url = first.split(" on ", 1)[1].split(",", 1)[0]
    env = dict(line.split("=", 1) for line in (state / "env.list").read_text().splitlines() if "=" in line)
    return proc, url, env


def oci_copy(state, target, uid):
    shutil.copytree(state / "home" / ".oci", target, ignore=shutil.ignore_patterns("sessions"))
    for path in [target, *target.rglob("*")]:
        os.chown(path, uid, uid)
    return target


def configs(work, env, state):
    """docker run arguments per image (both on the host network, reaching the emulator alike)."""
    env_file = work / "emulator.env"
    env_file.write_text("".join(f"{k}={env[k]}\n" for k in PASSED_VARS if k in env))
    common = ["--network", "host", "--env-file", str(env_file), "-v", f"{env['REQUESTS_CA_BUNDLE']}:"
              f"{env['REQUESTS_CA_BUNDLE']}:ro", "-e", f"OCIFS_IAM_TYPE={IAM}"]
    found = {"ours": dict(image=IMAGE, port=5088, args=[
        *common, "-v", f"{oci_copy(state, work / 'oci-ours', IMAGE_UID)}:/home/mlflow/.oci:ro",
        "-e", "MLFLOW_HOST=127.0.0.1", "-e", "MLFLOW_PORT=5088", "-e", "MLFLOW_SERVE_ARTIFACTS=1",
        "-e", f"MLFLOW_ARTIFACTS_DESTINATION=oci://{BUCKET}@{NAMESPACE}/ours/", IMAGE])}
    if docker("image", "inspect", NAIVE, check=False):
        found["oci-mlflow"] = dict(image=NAIVE, port=5089, args=[
            *common, "-v", f"{oci_copy(state, work / 'oci-naive', 0)}:/root/.oci:ro",
            "-e", f"OCI_IAM_TYPE={IAM}", NAIVE, "mlflow", "server", "--host", "127.0.0.1",
            "--port", "5089", "--serve-artifacts",
            "--artifacts-destination", f"oci://{BUCKET}@{NAMESPACE}/naive/"])
    return found


def wait_healthy(name, url, timeout=300):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        if docker("inspect", "-f", "{{.State.Running}}", name) != "true":
            raise RuntimeError(f"{name} exited:\n{docker('logs', '--tail', '30', name)}")
        time.sleep(0.1)
    raise RuntimeError(f"{name}: not healthy within {timeout} s")


def log_since(emu_url, seq, service=None):
    params = {"since": seq, **({"service": service} if service else {})}
    return requests.get(f"{emu_url}/_emulator/requests", params=params, timeout=30).json()


def last_seq(emu_url):
    return max((e["seq"] for e in log_since(emu_url, 0)), default=0)


def measure(key, cfg, emu_url, data_file, digest, work):
    from mlflow.artifacts import download_artifacts
    from mlflow.tracking import MlflowClient
    name, url = f"oci-mlflow-art-bench-{key}", f"http://127.0.0.1:{cfg['port']}"
    docker("rm", "-f", name, check=False)
    seq = last_seq(emu_url)
    t0 = time.monotonic()
    docker("run", "-d", "--name", name, *cfg["args"])
    try:
        wait_healthy(name, url)
        healthy = time.monotonic() - t0
        client = MlflowClient(tracking_uri=url)
        run = client.create_run(client.create_experiment(f"bench-{time.time_ns()}")).info
        ups, downs = [], []
        for i in range(RUNS):
            t = time.monotonic()
            client.log_artifact(run.run_id, str(data_file), f"r{i}")
            ups.append(SIZE_MB / (time.monotonic() - t))
            out = Path(tempfile.mkdtemp(dir=work))
            t = time.monotonic()
            got = download_artifacts(f"{run.artifact_uri}/r{i}/{data_file.name}", dst_path=str(out),
                                     tracking_uri=url)
            downs.append(SIZE_MB / (time.monotonic() - t))
            with open(got, "rb") as handle:
                assert hashlib.sha256(handle.read()).hexdigest() == digest, "downloaded bytes differ"
            shutil.rmtree(out)
        calls = log_since(emu_url, seq, "object_storage")
        tokens = log_since(emu_url, seq, "auth")
        return dict(healthy_s=round(healthy, 1), upload_mb_s=round(statistics.median(ups), 1),
                    download_mb_s=round(statistics.median(downs), 1),
                    uploads=[round(x, 1) for x in ups], downloads=[round(x, 1) for x in downs],
                    object_storage_calls=len(calls), token_fetches=len(tokens))
    finally:
        docker("rm", "-f", name, check=False)


def main():
    work = Path(tempfile.mkdtemp(prefix="bench-artifacts-"))
    state = work / "emulator"
    emu, emu_url, env = start_emulator(state)
    try:
        requests.post(f"{emu_url}/_emulator/seed/bucket", json={"name": BUCKET}, timeout=10).raise_for_status()
        data_file = work / "artifact.bin"
        data = os.urandom(SIZE_MB * 10**6)
        data_file.write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        results = {}
        for key, cfg in configs(work, env, state).items():
            size = int(docker("image", "inspect", "-f", "{{.Size}}", cfg["image"]))
            results[key] = dict(image=cfg["image"], image_mb=round(size / 1e6), iam=IAM,
                                **measure(key, cfg, emu_url, data_file, digest, work))
        # One file per day, one entry per identity: runs with IAM=api_key and instance_principal add up.
        out = ROOT / "benchmarks" / f"results-artifacts-{time.strftime('%Y-%m-%d')}.json"
        recorded = json.loads(out.read_text()) if out.exists() else {}
        recorded[IAM] = results
        recorded["_note"] = (f"benchmarks/bench_artifacts.py, RUNS={RUNS} SIZE_MB={SIZE_MB}; medians; MB = 10^6 bytes; "
                             "the emulator on loopback stands in for Object Storage")
        out.write_text(json.dumps(recorded, indent=1) + "\n")
        print(f"\n{'':12} {'image MB':>9} {'healthy s':>10} {'up MB/s':>8} {'down MB/s':>10} "
              f"{'OS calls':>9} {'tokens':>7}   ({SIZE_MB} MB x {RUNS}, {IAM})")
        for key, r in results.items():
            print(f"{key:12} {r['image_mb']:>9} {r['healthy_s']:>10} {r['upload_mb_s']:>8} "
                  f"{r['download_mb_s']:>10} {r['object_storage_calls']:>9} {r['token_fetches']:>7}")
        print(f"wrote {out.relative_to(ROOT)}")
    finally:
        emu.terminate()
        emu.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
