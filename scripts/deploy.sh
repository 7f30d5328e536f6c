#!/usr/bin/env bash
# make deploy: a Docker engine, a base image, then the deploy playbook against the local inventory.
# Extra arguments go to ansible-playbook (e.g. -e mlflow_server_port=5001).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"  # the project venv, also when called without make
scripts/docker-engine.sh
base=$(scripts/base-image.sh)
exec ansible-playbook playbooks/deploy.yml -i inventories/local -e "mlflow_image_base=$base" "$@"
