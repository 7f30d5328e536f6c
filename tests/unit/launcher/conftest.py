"""Put the launcher package (shipped in the image) on sys.path and isolate its env."""
import os
import pathlib
import sys

import pytest

LAUNCHER_DIR = (pathlib.Path(__file__).resolve().parents[3] / "ansible_collections" / "oracle"
                / "mlflow" / "roles" / "mlflow_image" / "files" / "launcher")
sys.path.insert(0, str(LAUNCHER_DIR))
# No __pycache__ inside the role's files: the image role stages that directory file by file on every run.
sys.dont_write_bytecode = True

import mlflow_launcher  # noqa: E402

CONTRACT_PREFIXES = ("MLFLOW_", "DB", "BACKEND_PROVIDER", "OCIFS_", "OCI_IAM_TYPE")


@pytest.fixture(autouse=True)
def clean_process_env(monkeypatch, tmp_path):
    """No contract variable leaks in from the developer's shell, and no /run/mlflow file."""
    for name in list(os.environ):
        if name.startswith(CONTRACT_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.setattr(mlflow_launcher.envfile, "DEFAULT_ENV_FILE", str(tmp_path / "absent.env"))


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def base_env(data_dir):
    """The smallest valid configuration, with the data root in tmp_path."""
    return {"MLFLOW_HOST": "0.0.0.0", "MLFLOW_DATA_DIR": str(data_dir)}


@pytest.fixture
def launcher():
    return mlflow_launcher


@pytest.fixture
def set_env(monkeypatch):
    """Put a mapping into the real process env, for tests that go through main()."""
    def _set(mapping):
        for name, value in mapping.items():
            monkeypatch.setenv(name, value)
    return _set


@pytest.fixture
def exec_calls(monkeypatch):
    """Capture os.execvpe instead of replacing the test process (and do not ask whether this
    machine's port 5000 is free: test_port_check.py covers that with ports of its own)."""
    calls = []
    monkeypatch.setattr(mlflow_launcher.cli.os, "execvpe",
                        lambda path, argv, env: calls.append((path, argv, env)))
    monkeypatch.setattr(mlflow_launcher.cli, "check_port_free", lambda config: None)
    return calls
