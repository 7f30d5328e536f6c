#!/usr/bin/env bash
# make bench: oci-mlflow:latest against a naive `pip install mlflow oci-mlflow` image on the same base,
# then oci:// artifact throughput (benchmarks/bench_artifacts.py) and MySQL start-up times
# (benchmarks/bench_mysql_start.py), the fleet over SSH: 3 fresh hosts against 1, re-run, rollout
# (benchmarks/bench_fleet.py), and the HTTPS front door with logins against the server direct: log_metric
# p50/p95, 100 MB up and down (benchmarks/bench_front_door.py, deployed on free ports, removed after).
# Image sizes, then per image RUNS x (docker run -> 200 on /health, memory ~10 s after healthy,
# MlflowClient log_metric latency, /health on kept-alive vs new connections, docker stop duration).
# Prints a table and writes benchmarks/results-<date>.json. Containers are bench-*, ports 5070-5071, so it can run beside tests.
#   RUNS=3  SETTLE=10  METRICS=200     see benchmarks/bench.py
#   NAIVE_REBUILD=1                    rebuild the naive image (otherwise built once, then reused)
set -euo pipefail
cd "$(dirname "$0")/.."

ours=oci-mlflow:latest
naive=bench-naive-mlflow:latest
py=.venv/bin/python

log() { printf '[bench] %s\n' "$*" >&2; }
have() { docker image inspect "$1" >/dev/null 2>&1; }

docker info >/dev/null 2>&1 || scripts/docker-engine.sh
# Benchmarking is not deploying: measure the image as built, never build it here.
have "$ours" || { log "no image $ours: run make deploy first"; exit 1; }
[[ -x $py ]] || { log "no $py: run make venv first"; exit 1; }

# The naive image must sit on the very base ours was built from, or the size comparison is moot.
base=$(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.base.name"}}' "$ours")
[[ -n $base ]] && have "$base" || base=$(scripts/base-image.sh)

build_seconds=
if [[ ${NAIVE_REBUILD:-0} == 1 ]] || ! have "$naive"; then
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' EXIT
  cp benchmarks/naive/Dockerfile "$ctx/"
  # pip in the build goes through a TLS-intercepting proxy: hand it the host's CA bundle
  # (builder stage only). --network host: the build reaches PyPI the way the host does.
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-bundle.crt"
  log "building $naive on $base (2-3 min)"
  # No layer cache, so the build time is a real one; the old image would only be left dangling.
  docker image rm "$naive" >/dev/null 2>&1 || true
  t0=$(date +%s.%N)
  docker build --no-cache --network host --build-arg "BASE_IMAGE=$base" --build-arg "MLFLOW_VERSION=$(scripts/mlflow-version.sh)" -t "$naive" "$ctx" >"$ctx/build.log" 2>&1 \
    || { tail -n 30 "$ctx/build.log" >&2; exit 1; }
  docker image rm $(docker images -q -f label=org.oracle.mlflow.bench=naive-builder) >/dev/null 2>&1 || true
  build_seconds=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  log "built $naive in ${build_seconds} s"
fi

t0=$SECONDS
"$py" benchmarks/bench.py --ours "$ours" --naive "$naive" --base "$base" \
  --naive-build-seconds "${build_seconds:-}" --out "benchmarks/results-$(date +%F).json"
log "measurements took $((SECONDS - t0)) s"

log "oci:// artifacts through the server (benchmarks/bench_artifacts.py)"
"$py" benchmarks/bench_artifacts.py
scripts/mariadb.sh
log "MySQL backend start-up (benchmarks/bench_mysql_start.py)"
"$py" benchmarks/bench_mysql_start.py
log "the fleet over SSH (benchmarks/bench_fleet.py)"
"$py" benchmarks/bench_fleet.py
log "the HTTPS front door with logins against the server direct (benchmarks/bench_front_door.py)"
"$py" benchmarks/bench_front_door.py
