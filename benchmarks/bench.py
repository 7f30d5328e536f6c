"""Measurements behind scripts/bench.sh (stdlib + requests + the venv's mlflow client).

Per image and run: `docker run` -> first 200 on /health (polled every 0.1 s); memory SETTLE s later;
METRICS MlflowClient.log_metric calls (per-call latency); `docker stop` duration and exit code.
Runs alternate between the images so that load from other jobs on the host hits both alike.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import time
import uuid

import requests

RUNS = int(os.environ.get("RUNS", "3"))
SETTLE = float(os.environ.get("SETTLE", "10"))
METRICS = int(os.environ.get("METRICS", "200"))
POLL = 0.1
HEALTH_TIMEOUT = 300

# Ours as the role runs it (host network, launcher defaults: uvicorn, 4 workers, sqlite in the
# container, job execution off); the naive image as `docker run -p` with MLflow's plain defaults
# (uvicorn, 4 workers, sqlite ./mlflow.db, job execution ON: MLflow 3.17's default).
CONFIGS = {
    "ours": dict(name="bench-ours", port=5070,
                 args=["--network", "host", "-e", "MLFLOW_HOST=127.0.0.1", "-e", "MLFLOW_PORT=5070"]),
    "naive": dict(name="bench-naive", port=5071, args=["-p", "127.0.0.1:5071:5000"]),
}

# The client talks to 127.0.0.1 directly, never through a proxy from the environment, and keeps
# quiet about run URLs.
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"


def docker(*args, check=True):
    return subprocess.run(["docker", *args], check=check, capture_output=True, text=True).stdout.strip()


def remove(name):
    docker("rm", "-f", name, check=False)


def wait_healthy(name, url):
    """Return once /health answers 200; fail fast when the container dies."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < HEALTH_TIMEOUT:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        if docker("inspect", "-f", "{{.State.Running}}", name) != "true":
            raise RuntimeError(f"{name} exited before healthy:\n{docker('logs', '--tail', '30', name)}")
        time.sleep(POLL)
    raise RuntimeError(f"{name}: no 200 on {url} within {HEALTH_TIMEOUT} s")


def memory(name):
    """Two views, as they disagree: the sum of the processes' RSS (`docker top`; counts pages the
    forked workers share once per worker, so an upper bound) and the cgroup's usage minus inactive
    page cache (`docker stats`, cgroup v1 memory.usage_in_bytes - total_inactive_file)."""
    rows = docker("top", name, "-o", "pid,rss").splitlines()[1:]
    rss_kib = sum(int(row.split()[-1]) for row in rows)
    usage = docker("stats", "--no-stream", "--format", "{{.MemUsage}}", name).split("/")[0].strip()
    units = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30}
    unit = next(u for u in ("KiB", "MiB", "GiB", "B") if usage.endswith(u))
    cgroup_mib = float(usage[: -len(unit)]) * units[unit] / 2**20
    return dict(processes=len(rows), rss_sum_mib=round(rss_kib / 1024, 1), cgroup_mib=round(cgroup_mib, 1))


def log_metric_ms(url):
    """Per-call latency of METRICS log_metric calls on one run: the tracking client's hot path."""
    from mlflow.tracking import MlflowClient  # slow import: only once the first server is up

    client = MlflowClient(tracking_uri=url)
    run = client.create_run(client.create_experiment(f"bench-{uuid.uuid4().hex[:8]}"))
    times = []
    for step in range(METRICS):
        t0 = time.perf_counter()
        client.log_metric(run.info.run_id, "loss", 1.0 / (step + 1), step=step)
        times.append((time.perf_counter() - t0) * 1000)
    client.set_terminated(run.info.run_id)
    return dict(median=round(statistics.median(times), 2),
                p90=round(statistics.quantiles(times, n=10)[-1], 2), max=round(max(times), 2))


def health_ms(url, n=20):
    """Median GET /health on a kept-alive connection vs a new one each time. With `--workers N`
    uvicorn leaves Nagle on (Kludex/uvicorn#3149), so every reused connection, i.e. every
    MlflowClient call after the first, waits ~40 ms for the client's delayed ACK."""
    def median_ms(get):
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            get(url).raise_for_status()
            times.append((time.perf_counter() - t0) * 1000)
        return round(statistics.median(times), 2)
    with requests.Session() as session:
        return dict(health_keepalive_ms=median_ms(session.get), health_newconn_ms=median_ms(requests.get))


def one_run(image, cfg):
    name, url = cfg["name"], f"http://127.0.0.1:{cfg['port']}"
    remove(name)
    try:
        t0 = time.monotonic()
        docker("run", "-d", "--name", name, *cfg["args"], image)
        wait_healthy(name, url + "/health")
        healthy = time.monotonic() - t0  # docker run's own time included: it is part of a start
        time.sleep(SETTLE)
        result = dict(healthy_s=round(healthy, 2), **memory(name), **health_ms(url + "/health"),
                      log_metric_ms=log_metric_ms(url))
        t0 = time.monotonic()
        docker("stop", name)
        result["stop_s"] = round(time.monotonic() - t0, 2)
        result["exit_code"] = int(docker("inspect", "-f", "{{.State.ExitCode}}", name))
        return result
    finally:
        remove(name)


def summary(runs):
    """median [min-max] of every numeric figure across runs."""
    flat = [{**{k: v for k, v in r.items() if k != "log_metric_ms"}, "log_metric_median_ms":
             r["log_metric_ms"]["median"]} for r in runs]
    return {k: dict(median=statistics.median(r[k] for r in flat), min=min(r[k] for r in flat),
                    max=max(r[k] for r in flat)) for k in flat[0]}


def image_info(ref):
    image_id, size = docker("image", "inspect", "-f", "{{.Id}} {{.Size}}", ref).split()
    return dict(ref=ref, id=image_id[7:19], size_mb=round(int(size) / 1e6))


def table(data):
    imgs, res = data["images"], data["results"]
    rows = [("image size (MB)", *(str(imgs[k]["size_mb"]) for k in CONFIGS)),
            ("naive build (s)", "-", str(imgs["naive"].get("build_seconds") or "reused"))]
    for key, label in [("healthy_s", "run -> /health 200 (s)"), ("rss_sum_mib", "RSS sum (MiB)"),
                       ("cgroup_mib", "cgroup mem (MiB)"), ("processes", "processes"),
                       ("log_metric_median_ms", "log_metric (ms/call)"),
                       ("health_keepalive_ms", "/health kept-alive (ms)"),
                       ("health_newconn_ms", "/health new conn (ms)"), ("stop_s", "docker stop (s)"),
                       ("exit_code", "exit code after stop")]:
        cells = []
        for k in CONFIGS:
            s = res[k]["summary"][key]
            cells.append(f"{s['median']:g}" if s["min"] == s["max"]
                         else f"{s['median']:g} [{s['min']:g}-{s['max']:g}]")
        rows.append((label, *cells))
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    head = ("", f"oci-mlflow {imgs['ours']['id']}", f"naive {imgs['naive']['id']}")
    width = [max(w, len(h)) for w, h in zip(width, head)]
    print(f"\nmedian [min-max] of {RUNS} runs; memory {SETTLE:g} s after healthy; "
          f"{METRICS} log_metric calls per run")
    for row in (head, *rows):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, width))))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ours", required=True)
    p.add_argument("--naive", required=True)
    p.add_argument("--base", required=True)
    p.add_argument("--naive-build-seconds", default="")
    p.add_argument("--out", required=True)
    a = p.parse_args()

    images = {"ours": image_info(a.ours), "naive": image_info(a.naive)}
    if a.naive_build_seconds:
        images["naive"]["build_seconds"] = float(a.naive_build_seconds)
    runs = {k: [] for k in CONFIGS}
    for i in range(RUNS):
        for key, cfg in CONFIGS.items():
            print(f"[bench] run {i + 1}/{RUNS} {key} ...", end=" ", flush=True)
            runs[key].append(one_run(images[key]["ref"], cfg))
            print(runs[key][-1], flush=True)

    data = dict(
        date=datetime.datetime.now().isoformat(timespec="seconds"),
        host=dict(cpus=os.cpu_count(), kernel=platform.release(),
                  mem_gib=round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
                  docker=docker("version", "-f", "{{.Server.Version}}")),
        base_image=a.base, runs=RUNS, settle_s=SETTLE, metrics_per_run=METRICS,
        notes=["ours: --network host, MLFLOW_HOST=127.0.0.1, launcher defaults (uvicorn, 4 workers, "
               "sqlite in the container layer, job execution off)",
               "naive: -p 127.0.0.1:5071:5000, `mlflow server --host 0.0.0.0 --port 5000` defaults "
               "(uvicorn, 4 workers, sqlite ./mlflow.db, job execution on by default in MLflow 3.17)",
               "healthy_s: from `docker run -d` until the first 200 on /health, polled every 0.1 s",
               "rss_sum_mib: sum of RSS over `docker top -o pid,rss` (shared pages counted per process); "
               "cgroup_mib: docker stats (cgroup usage minus inactive file cache)",
               "log_metric_ms: MlflowClient.log_metric per call (one kept-alive connection); "
               "health_*_ms: GET /health on a kept-alive vs a new connection (Kludex/uvicorn#3149)",
               "stop_s: `docker stop` with its default 10 s grace; exit_code 137 means SIGKILL"],
        images=images,
        results={k: dict(summary=summary(v), runs=v) for k, v in runs.items()},
    )
    with open(a.out, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    table(data)
    print(f"\n[bench] raw results: {a.out}")


if __name__ == "__main__":
    main()
