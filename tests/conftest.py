"""What every test suite shares: where the project and its venv are, and the base image to build on."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

# Fixtures for the whole tree. pytest puts tests/ on sys.path (rootdir-relative "prepend" import of
# this conftest), so both import as top-level packages: the OCI emulator (`oci_emulator`,
# `clean_oci_emulator`, `oci_emulator_env`), the registry backed by it (`ocir_registry`), and fleets
# of test hosts that look like OCI instances (`fleet_image`, `fleet_factory`, `fleet_ansible`).
pytest_plugins = ["oci_emulator.pytest_plugin", "support.registry_plugin", "support.fleet_plugin"]

REPO_ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = REPO_ROOT / ".venv" / "bin"


@pytest.fixture(scope="session")
def image_base() -> str:
    """The base image `make deploy` builds on: the configured one when it can be pulled, otherwise
    one made here from Debian packages (scripts/base-image.sh decides, and makes it once)."""
    out = subprocess.run([str(REPO_ROOT / "scripts" / "base-image.sh")], check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()
