#!/usr/bin/env bash
# ansible-test sanity on the collection, offline-capable: ansible-test bootstraps pip in its per-test
# virtualenvs with a script it downloads; when that host is unreachable, our stand-in (pip from
# ensurepip's wheel) sits in ansible-test's cache under the name it looks for.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# The pip version ansible-test pins for its virtualenvs names the cached script.
pip_version=$(python - <<'PY'
from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
print(get_venv_packages(NativePythonConfig(version="3.11"))["pip"])
PY
)
cache=$HOME/.ansible/test/cache
mkdir -p "$cache"
cp "$root/tests/support/get_pip_offline.py" "$cache/get_pip_${pip_version//./_}.py"
cd "$root/ansible_collections/oracle/mlflow"
exec ansible-test sanity --venv --python 3.11 "$@"
