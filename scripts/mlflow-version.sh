#!/usr/bin/env bash
# The MLflow version the image ships, from the one place it is written: the env contract.
set -euo pipefail
contract=$(dirname "$0")/../ansible_collections/oracle/mlflow/plugins/module_utils/_env_contract.py
version=$(sed -n "s/^MLFLOW_VERSION = '\(.*\)'$/\1/p" "$contract")
[[ -n $version ]] || { echo "mlflow-version.sh: no MLFLOW_VERSION = '...' line in $contract" >&2; exit 1; }
echo "$version"
