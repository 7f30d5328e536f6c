"""pytest fixtures for suites that need the OCI emulator.

Load it once for the whole test tree, in tests/conftest.py:

    pytest_plugins = ["oci_emulator.pytest_plugin"]

(pytest puts tests/ on sys.path, so the package imports as `oci_emulator` there.) Then:

    def test_login(oci_emulator):
        subprocess.run([...], env=oci_emulator.process_env(), check=True)
        assert oci_emulator.requests[-1]["principal"]["type"] == "api_key"
"""

from __future__ import annotations

import os

import pytest

from .emulator import Emulator
from .environment import is_inherited_override


@pytest.fixture(scope="session")
def oci_emulator(tmp_path_factory) -> Emulator:
    """One emulator for the session, on a free loopback port, with its state in a pytest temp dir."""
    with Emulator.start(tmp_path_factory.mktemp("oci-emulator")) as emulator:
        yield emulator


@pytest.fixture
def clean_oci_emulator(oci_emulator: Emulator) -> Emulator:
    """The session emulator, reset: start state, empty request log."""
    oci_emulator.reset()
    return oci_emulator


@pytest.fixture
def enforcing_oci_emulator(clean_oci_emulator: Emulator) -> Emulator:
    """The session emulator, reset, with IAM policies enforced for instance and resource principals
    (iam.py): they need dynamic groups and policy statements for each call. The next reset turns it off."""
    clean_oci_emulator.state.enforce_policies(True)
    return clean_oci_emulator


@pytest.fixture
def oci_emulator_env(clean_oci_emulator: Emulator, monkeypatch) -> dict[str, str]:
    """For the SDK in the test process itself: os.environ switched to the emulator for one test
    (inherited OCI, proxy and CA variables removed). Returns the emulator's variables.

    Note the SDK reads OCI_SDK_DEFAULT_RETRY_ENABLED at import time; in-process clients that expect
    failures should pass retry_strategy=oci.retry.NoneRetryStrategy().
    """
    for name in [name for name in os.environ if is_inherited_override(name)]:
        monkeypatch.delenv(name)
    for name, value in clean_oci_emulator.env.items():
        monkeypatch.setenv(name, value)
    return clean_oci_emulator.env
