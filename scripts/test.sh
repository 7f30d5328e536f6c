#!/usr/bin/env bash
# make test: bring up what the tests need (Docker engine, base image, Debian packages: docker-registry and
# MariaDB), then run every suite:
# pytest (launcher units, the image module against the engine, end to end with the MLflow client, the fleet
# over SSH, fresh test hosts prepared over SSH), the molecule scenarios (default; oci: MariaDB with its credentials
# from a Vault secret in the OCI emulator and oci:// artifacts in an emulated bucket, both with the instance
# principal; front_door: logins behind the HTTPS proxy), ansible-test sanity and ansible-lint, in two streams side
# by side.
# `scripts/test.sh lint` runs sanity and ansible-lint only.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"  # the project venv, also when called without make
export ANSIBLE_NOCOLOR=1 PY_COLORS=0

phase() { printf '\n===== %s =====\n' "$*"; }
failed=()
run() { local name=$1; shift; phase "$name"; local t0=$SECONDS
  if "$@"; then echo "[$name] ok in $((SECONDS - t0)) s"; else echo "[$name] FAILED"; failed+=("$name"); fi; }

# beside NAME FUNCTION: runs FUNCTION (suites that share nothing with the ones after it) in the background, its
# output kept until collect prints it; the wall time of make test is then the longest of the two, not the sum.
beside_pid= beside_name= beside_log=
beside() { beside_name=$1; beside_log=$(mktemp); "$2" >"$beside_log" 2>&1 & beside_pid=$!; }
collect() { [[ -n $beside_pid ]] || return 0
  local status=0; wait "$beside_pid" || status=$?
  phase "$beside_name (ran beside the suites above)"; cat "$beside_log"; rm -f "$beside_log"
  ((status == 0)) || failed+=("$beside_name"); }

lint() {
  run "ansible-test sanity" scripts/sanity.sh
  run "ansible-lint" ansible-lint --offline
}

# Two streams of about equal length run side by side (a suite mostly waits: for containers, servers, SSH), each
# in order. They share the engine, MariaDB and the registry package, never a container, port, image tag, build
# directory or database name; each pytest process has its own OCI emulator and registries.
# --durations: where the time goes, in every CI log (make test must stay under 45 minutes).
BESIDE_E2E=(tests/e2e/test_fleet_rollout.py tests/e2e/test_front_door.py)
beside_stream() {
  local before=${#failed[@]}
  # (one pytest cache writer: the foreground stream's)
  run "pytest unit, emulator, integration" pytest -p no:cacheprovider tests/unit tests/oci_emulator tests/integration -ra --durations=15
  # The fleet: the rollout over SSH, then fresh test hosts prepared (tests/fleet); the front door's deployment.
  run "pytest fleet and front door" pytest -p no:cacheprovider "${BESIDE_E2E[@]}" tests/fleet -ra --durations=15
  run "molecule front_door" molecule test -s front_door
  lint
  ((${#failed[@]} == before))
}

if [[ ${1:-all} == lint ]]; then
  lint
else
  phase "environment"
  scripts/docker-engine.sh
  scripts/base-image.sh >/dev/null
  scripts/test-packages.sh
  scripts/mariadb.sh
  beside "unit, integration, fleet, front door, lint" beside_stream
  run "pytest e2e" pytest tests/e2e -ra --durations=30 "${BESIDE_E2E[@]/#/--ignore=}"
  run "molecule default" molecule test -s default
  run "molecule oci" molecule test -s oci
  collect
fi

if ((${#failed[@]})); then
  printf '\nFAILED: %s\n' "${failed[*]}"
  exit 1
fi
printf '\nall suites passed\n'
