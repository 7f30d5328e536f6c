#!/usr/bin/env bash
# make teardown: remove the local server container; PURGE=1 also deletes its data.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"  # the project venv, also when called without make
scripts/docker-engine.sh
purge=false
[[ ${PURGE:-0} == 1 ]] && purge=true
exec ansible-playbook playbooks/teardown.yml -i inventories/local -e "mlflow_server_purge_data=$purge" "$@"
