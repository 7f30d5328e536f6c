"""module_utils/_oci_auth.py without a cloud: option spec and env fallbacks, and each auth_type's
errors (config file, profile, key, session token, region, metadata service, resource principal env)."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import oci
import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ansible_collections.oracle.mlflow.plugins.module_utils._oci_auth import (
    OciAuthError,
    get_oci_config_and_signer,
    make_client,
    oci_auth_argument_spec,
    principal_tenancy,
    retry_strategy,
)

TENANCY = "ocid1.tenancy.oc1..aaaaaaaatest"
USER = "ocid1.user.oc1..aaaaaaaatest"
HMAC_KEY = "unit-test-key-of-32-bytes-or-more!"
FINGERPRINT = "11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00"


def params(**overrides):
    """Module parameters as AnsibleModule would validate them (defaults and env fallbacks applied)."""
    result = ArgumentSpecValidator(oci_auth_argument_spec()).validate(overrides)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


@pytest.fixture
def oci_home(tmp_path):
    """~/.oci with an API key profile [DEFAULT], a session profile [SESSION] and a profile without region."""
    oci_dir = Path.home() / ".oci"
    oci_dir.mkdir()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (oci_dir / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
    (oci_dir / "token").write_text(jwt.encode({"exp": int(time.time()) + 3600, "sub": USER}, HMAC_KEY, algorithm="HS256"))
    (oci_dir / "config").write_text(
        f"[DEFAULT]\nuser={USER}\nfingerprint={FINGERPRINT}\ntenancy={TENANCY}\nregion=us-ashburn-1\n"
        f"key_file=~/.oci/key.pem\n\n"
        f"[SESSION]\nfingerprint={FINGERPRINT}\ntenancy={TENANCY}\nregion=fra\nkey_file=~/.oci/key.pem\n"
        f"security_token_file=~/.oci/token\n\n"
        f"[MISSINGKEY]\nuser={USER}\nfingerprint={FINGERPRINT}\ntenancy={TENANCY}\nregion=iad\n"
        f"key_file=~/.oci/gone.pem\n")
    return oci_dir


# -- options and environment fallbacks ----------------------------------------------------------------

def test_defaults():
    assert {k: v for k, v in params().items()} == {
        "auth_type": "api_key", "config_file": str(Path.home() / ".oci" / "config"),
        "config_profile": "DEFAULT", "region": None}


@pytest.mark.parametrize("variable, option, value", [
    ("OCI_CLI_AUTH", "auth_type", "instance_principal"),
    ("OCI_ANSIBLE_AUTH_TYPE", "auth_type", "resource_principal"),
    ("OCI_CLI_CONFIG_FILE", "config_file", "/etc/oci/config"),
    ("OCI_CONFIG_FILE", "config_file", "/etc/oci/config"),
    ("OCI_CLI_PROFILE", "config_profile", "BUILD"),
    ("OCI_CONFIG_PROFILE", "config_profile", "BUILD"),
    ("OCI_CLI_REGION", "region", "phx"),
    ("OCI_REGION", "region", "phx"),
])
def test_environment_fallbacks(monkeypatch, variable, option, value):
    monkeypatch.setenv(variable, value)

    assert params()[option] == value


def test_the_cli_variable_wins_and_the_task_wins_over_both(monkeypatch):
    monkeypatch.setenv("OCI_CLI_PROFILE", "CLI")
    monkeypatch.setenv("OCI_CONFIG_PROFILE", "SDK")

    assert params()["config_profile"] == "CLI"
    assert params(config_profile="TASK")["config_profile"] == "TASK"


# -- api_key ------------------------------------------------------------------------------------------

def test_api_key(oci_home):
    config, signer = get_oci_config_and_signer(params())

    assert config["region"] == "us-ashburn-1" and config["user"] == USER
    assert isinstance(signer, oci.signer.Signer)


def test_region_option_overrides_the_profile_and_is_resolved(oci_home):
    config, _ = get_oci_config_and_signer(params(region="PHX"))

    assert config["region"] == "us-phoenix-1"


def test_missing_config_file(tmp_path):
    with pytest.raises(OciAuthError, match=r"OCI config file .*/nowhere not found .*OCI_CLI_CONFIG_FILE.*"
                                           r"oci setup config.*instance_principal"):
        get_oci_config_and_signer(params(config_file=str(tmp_path / "nowhere")))


def test_unknown_profile_lists_the_profiles(oci_home):
    with pytest.raises(OciAuthError, match=r"Profile 'NOPE' not found .* Profiles there: DEFAULT, SESSION, "
                                           r"MISSINGKEY"):
        get_oci_config_and_signer(params(config_profile="NOPE"))


def test_missing_key_file(oci_home):
    with pytest.raises(OciAuthError, match=r"Key file missing: .*gone\.pem"):
        get_oci_config_and_signer(params(config_profile="MISSINGKEY"))


def test_no_region_anywhere(oci_home):
    # No [DEFAULT] section here: its keys would be inherited by every profile (INI rules, as in the SDK).
    (oci_home / "other").write_text(f"[NOREGION]\nuser={USER}\nfingerprint={FINGERPRINT}\ntenancy={TENANCY}\n"
                                    f"key_file=~/.oci/key.pem\n")

    with pytest.raises(OciAuthError, match=r"No region: set the region option .*NOREGION"):
        get_oci_config_and_signer(params(config_file=str(oci_home / "other"), config_profile="NOREGION"))


def test_unknown_region_option_fails_before_reading_files(tmp_path):
    with pytest.raises(OciAuthError, match=r"Unknown OCI region 'moon-1'"):
        get_oci_config_and_signer(params(region="moon-1", config_file=str(tmp_path / "nowhere")))


def test_unknown_region_in_the_profile(oci_home):
    config = oci_home / "config"
    config.write_text(config.read_text().replace("region=us-ashburn-1", "region=moon-1"))

    with pytest.raises(OciAuthError, match=r"Unknown OCI region 'moon-1'"):
        get_oci_config_and_signer(params())


def test_session_profile_is_not_an_api_key_profile(oci_home):
    (oci_home / "other").write_text(f"[SESSION]\nfingerprint={FINGERPRINT}\ntenancy={TENANCY}\nregion=fra\n"
                                    f"key_file=~/.oci/key.pem\nsecurity_token_file=~/.oci/token\n")

    with pytest.raises(OciAuthError, match=r"not a usable API key profile: user is missing.*security_token"):
        get_oci_config_and_signer(params(config_file=str(oci_home / "other"), config_profile="SESSION"))


# -- security_token -----------------------------------------------------------------------------------

def test_security_token(oci_home):
    config, signer = get_oci_config_and_signer(params(auth_type="security_token", config_profile="SESSION"))

    assert config["region"] == "eu-frankfurt-1"
    assert isinstance(signer, oci.auth.signers.SecurityTokenSigner)


def test_expired_session_token(oci_home):
    (oci_home / "token").write_text(jwt.encode({"exp": int(time.time()) - 60}, HMAC_KEY, algorithm="HS256"))

    with pytest.raises(OciAuthError, match=r"session token of profile 'SESSION' expired at .*oci session refresh "
                                           r"--profile SESSION"):
        get_oci_config_and_signer(params(auth_type="security_token", config_profile="SESSION"))


def test_security_token_needs_a_session_profile(oci_home):
    with pytest.raises(OciAuthError, match=r"no security_token_file: .*oci session authenticate"):
        get_oci_config_and_signer(params(auth_type="security_token"))


# -- principals ---------------------------------------------------------------------------------------

def test_instance_principal_off_oci(monkeypatch):
    monkeypatch.setenv("OCI_METADATA_BASE_URL", "http://127.0.0.1:1/opc/v2")
    started = time.monotonic()

    with pytest.raises(OciAuthError, match=r"the OCI instance metadata service did not answer "
                                           r"\(http://127.0.0.1:1/opc/v2/instance/region: \[Errno 111\] "
                                           r"Connection refused\).*not an OCI compute instance.*auth_type=api_key"):
        get_oci_config_and_signer(params(auth_type="instance_principal"))
    assert time.monotonic() - started < 10


def test_resource_principal_without_its_environment():
    with pytest.raises(OciAuthError, match=r"the resource principal environment \(OCI_RESOURCE_PRINCIPAL_VERSION "
                                           r"and the other OCI_RESOURCE_PRINCIPAL_\* variables\) is not set here"):
        get_oci_config_and_signer(params(auth_type="resource_principal"))


def test_resource_principal_with_a_broken_environment(monkeypatch):
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2")
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_RPST", "not-a-token")
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", "not-a-key")
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_REGION", "iad")

    with pytest.raises(OciAuthError, match=r"Cannot use the resource principal \(OCI_RESOURCE_PRINCIPAL_VERSION=2.2\)"):
        get_oci_config_and_signer(params(auth_type="resource_principal"))


# -- clients ------------------------------------------------------------------------------------------

def test_retry_strategy(monkeypatch):
    assert isinstance(retry_strategy(30), oci.retry.retry.ExponentialBackoffRetryStrategyBase)
    monkeypatch.setenv("OCI_SDK_DEFAULT_RETRY_ENABLED", "false")
    assert isinstance(retry_strategy(30), oci.retry.NoneRetryStrategy)


def test_make_client_has_the_identity_timeouts_and_bounded_retry(oci_home):
    client, config = make_client(oci.object_storage.ObjectStorageClient, params(), 20)

    assert config["region"] == "us-ashburn-1"
    assert client.base_client.timeout == (10, 20)
    assert isinstance(client.retry_strategy, oci.retry.retry.ExponentialBackoffRetryStrategyBase)
    assert client.base_client.signer.api_key.startswith(f"{TENANCY}/{USER}/")


def test_make_client_raises_the_auth_error(oci_home):
    with pytest.raises(OciAuthError, match=r"Unknown OCI region 'moon-1'"):
        make_client(oci.object_storage.ObjectStorageClient, params(region="moon-1"), 20)


def test_make_client_reuses_an_identity_already_made(oci_home):
    """OciModule makes the principal once and builds each client from it: params are not read again."""
    auth = get_oci_config_and_signer(params())

    client, config = make_client(oci.object_storage.ObjectStorageClient, {"auth_type": "resource_principal"}, 5,
                                 auth=auth)

    assert config is auth[0] and client.base_client.signer is auth[1]
    assert client.base_client.timeout == (5, 5)


def test_principal_tenancy_from_each_kind_of_principal():
    class InstanceSigner:
        tenancy_id = TENANCY

    class ResourceSigner:
        tenancy_id = None

        @staticmethod
        def get_claim(name):
            return {"res_tenant": TENANCY}.get(name)

    class BrokenTokenSigner:
        @staticmethod
        def get_claim(name):
            raise ValueError("unreadable token")

    assert principal_tenancy({"tenancy": TENANCY}, object()) == TENANCY
    assert principal_tenancy({"region": "iad"}, InstanceSigner()) == TENANCY
    assert principal_tenancy({"region": "iad"}, ResourceSigner()) == TENANCY
    assert principal_tenancy({}, BrokenTokenSigner()) is None
