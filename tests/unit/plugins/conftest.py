"""Import the collection as Ansible does (`ansible_collections.oracle.mlflow...`) from this checkout,
and keep the OCI SDK's process-wide region lookups and the OCI environment out of each test."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# Variables the modules read: a developer's own OCI setup must not leak into unit tests.
_ENV_PREFIXES = ("OCI_",)
_ENV_NAMES = ("DOCKER_CONFIG",)


@pytest.fixture(autouse=True)
def isolated_oci(monkeypatch, tmp_path):
    """A HOME without ~/.oci, no OCI_* variables, and the SDK's region tables restored after the test
    (it adds regions it learns from OCI_REGION_METADATA to module-level lookups, once per process)."""
    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES) or name in _ENV_NAMES:
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    try:
        import oci.regions as regions
    except ImportError:  # pragma: no cover
        return
    for name in ("REGIONS_SHORT_NAMES", "REGION_REALMS", "REALMS"):
        monkeypatch.setattr(regions, name, dict(getattr(regions, name)))
    monkeypatch.setattr(regions, "REGIONS", list(regions.REGIONS))
    flags = dict(regions._has_been_read_external_sources)
    flags[regions.ExternalSources.REGIONS_CFG_FILE] = False
    flags[regions.ExternalSources.ENV_VAR] = False
    monkeypatch.setattr(regions, "_has_been_read_external_sources", flags)
