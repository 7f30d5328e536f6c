#!/usr/bin/env bash
# make test: bring up what the tests need (Docker engine, base image, Debian packages: docker-registry and
# MariaDB), then run every suite:
# pytest (launcher units, the image module against the engine, end to end with the MLflow client),
# the molecule scenarios (default; mysql: MariaDB and a Vault secret in the OCI emulator; object_storage:
# oci:// artifacts in an emulated bucket; fleet: host preparation on two fresh test hosts over SSH; front_door: logins
# and the HTTPS proxy in front), ansible-test sanity
# and ansible-lint. `scripts/test.sh lint` runs the last two.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"  # the project venv, also when called without make
export ANSIBLE_NOCOLOR=1 PY_COLORS=0

phase() { printf '\n===== %s =====\n' "$*"; }
failed=()
run() { local name=$1; shift; phase "$name"; local t0=$SECONDS
  if "$@"; then echo "[$name] ok in $((SECONDS - t0)) s"; else echo "[$name] FAILED"; failed+=("$name"); fi; }

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
  run "pytest" pytest tests -ra
  run "molecule default" molecule test -s default
  run "molecule mysql" molecule test -s mysql
  run "molecule object_storage" molecule test -s object_storage
  run "molecule fleet" molecule test -s fleet
  run "molecule front_door" molecule test -s front_door
  lint
fi

if ((${#failed[@]})); then
  printf '\nFAILED: %s\n' "${failed[*]}"
  exit 1
fi
printf '\nall suites passed\n'
