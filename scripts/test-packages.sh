#!/usr/bin/env bash
# Debian packages the tests need on this host, installed once (idempotent: nothing to do when every
# command is already there). docker-registry: the local registry the push tests talk to
# (tests/support/registry.py, token auth backed by the OCI emulator); mariadb-server: the MySQL backend
# tests (scripts/mariadb.sh starts it); socat: the outer end of the fleet test hosts' loopback relays
# (tests/support/fleet.py); haproxy: the load balancer in front of a fleet in the fleet tests; chromium:
# the browser the front door's UI test drives (through playwright, tests/support/browser.py); libnss3-tools:
# certutil, which makes the browser trust the front door's CA the way a user's browser would.
set -euo pipefail

log() { printf '[test-packages] %s\n' "$*" >&2; }

# package -> a command it provides
declare -A wanted=([docker-registry]=docker-registry [mariadb-server]=mysqld_safe [socat]=socat [haproxy]=haproxy [chromium]=chromium [libnss3-tools]=certutil)
missing=()
for package in "${!wanted[@]}"; do
  command -v "${wanted[$package]}" >/dev/null 2>&1 || missing+=("$package")
done
((${#missing[@]})) || exit 0

log "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
apt-get update -qq
# policy-rc.d: do not let the packages' init scripts start their daemons (the tests start their own,
# with their own config; Debian's docker-registry would otherwise take :5000, MLflow's port).
policy=/usr/sbin/policy-rc.d
created_policy=false
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && created_policy=true
fi
trap '$created_policy && rm -f "$policy"' EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
log "installed ${missing[*]}"
