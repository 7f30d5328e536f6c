#!/usr/bin/env bash
# make test: bring up what the tests need (Docker engine, base image, Debian packages: docker-registry and
# MariaDB), then run every suite:
# pytest (launcher units, the image module against the engine, end to end with the MLflow client, the fleet
# over SSH), the molecule scenarios (default; mysql: MariaDB and a Vault secret in the OCI emulator; object_storage:
# oci:// artifacts in an emulated bucket; front_door: logins behind the HTTPS proxy), ansible-test sanity and
# ansible-lint, and beside those last ones the
# fleet's own suites (tests/fleet: fresh test hosts prepared over SSH; molecule fleet: the same as a scenario).
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
  phase "$beside_name (ran beside the scenarios above)"; cat "$beside_log"; rm -f "$beside_log"
  ((status == 0)) || failed+=("$beside_name"); }

# The fleet's own suites: test hosts in network namespaces of their own, images and names of their own.
fleet_suites() {
  local before=${#failed[@]}
  run "pytest tests/fleet" pytest tests/fleet -ra
  run "molecule fleet" molecule test -s fleet
  ((${#failed[@]} == before))
}

lint() {
  run "ansible-test sanity" scripts/sanity.sh
  run "ansible-lint" ansible-lint --offline
}

if [[ ${1:-all} == lint ]]; then
  lint
else
  phase "environment"
  scripts/docker-engine.sh
  scripts/base-image.sh >/dev/null
  scripts/test-packages.sh
  scripts/mariadb.sh
  # --durations: where the time goes, in every CI log (make test must stay under 45 minutes).
  run "pytest" pytest tests -ra --durations=30 --ignore=tests/fleet
  beside "fleet suites" fleet_suites
  run "molecule default" molecule test -s default
  run "molecule mysql" molecule test -s mysql
  run "molecule object_storage" molecule test -s object_storage
  run "molecule front_door" molecule test -s front_door
  lint
  collect
fi

if ((${#failed[@]})); then
  printf '\nFAILED: %s\n' "${failed[*]}"
  exit 1
fi
printf '\nall suites passed\n'
