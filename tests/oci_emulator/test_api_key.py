"""API-key and session-token users: the unmodified SDK, configured only by the environment."""

from __future__ import annotations

from pathlib import Path

import oci
import pytest

from . import realm
from .credentials import SESSION_PROFILE
from .pki import api_key_fingerprint, new_key, private_pem, public_pem

NO_RETRY = oci.retry.NoneRetryStrategy()


def object_storage(config=None, **kwargs) -> oci.object_storage.ObjectStorageClient:
    return oci.object_storage.ObjectStorageClient(config if config is not None else oci.config.from_file(),
                                                  retry_strategy=NO_RETRY, **kwargs)


def test_get_namespace_with_the_config_file_api_key(oci_emulator_env, clean_oci_emulator):
    client = object_storage()

    assert client.base_client.get_endpoint() == f"https://objectstorage.{realm.REGION}.{realm.REALM_DOMAIN}"
    assert client.get_namespace().data == realm.NAMESPACE
    [entry] = clean_oci_emulator.requests
    assert entry | {"seq": 0, "time": 0} == {
        "seq": 0, "time": 0, "service": "object_storage", "method": "GET",
        "host": f"objectstorage.{realm.REGION}.{realm.REALM_DOMAIN}",
        "path": "/n", "query": "", "status": 200, "error": None, "policy": [],
        "principal": {"type": "api_key", "id": realm.USER, "credential": "api_key"}}


def _config_with(key, user=realm.USER) -> dict:
    return {"user": user, "tenancy": realm.TENANCY, "region": realm.REGION,
            "fingerprint": api_key_fingerprint(key.public_key()), "key_content": private_pem(key).decode()}


def test_an_unregistered_key_is_refused(oci_emulator_env, clean_oci_emulator):
    with pytest.raises(oci.exceptions.ServiceError) as failure:
        object_storage(_config_with(new_key())).get_namespace()

    assert (failure.value.status, failure.value.code) == (401, "NotAuthenticated")
    assert "No API key" in failure.value.message
    [entry] = clean_oci_emulator.requests
    assert (entry["status"], entry["error"], entry["principal"]["type"]) == (401, "NotAuthenticated", "none")


def test_the_registered_fingerprint_with_another_key_is_refused(oci_emulator_env, clean_oci_emulator):
    """keyId matches the registered key, but the request is signed with a different private key."""
    config = _config_with(new_key())
    config["fingerprint"] = clean_oci_emulator.credentials.api_key.fingerprint

    with pytest.raises(oci.exceptions.ServiceError) as failure:
        object_storage(config).get_namespace()

    assert failure.value.status == 401
    assert "signature does not verify" in failure.value.message


def test_a_seeded_api_key_signs_for_its_own_user(oci_emulator_env, clean_oci_emulator):
    key, user = new_key(), f"ocid1.user.{realm.REALM_KEY.lower()}..aaaaaaaasecond"
    clean_oci_emulator.state.add_api_key(public_pem(key), user=user)

    assert object_storage(_config_with(key, user)).get_namespace().data == realm.NAMESPACE
    assert clean_oci_emulator.requests[-1]["principal"] == {"type": "api_key", "id": user, "credential": "api_key"}


def test_the_session_profile_signs_with_its_security_token(oci_emulator_env, clean_oci_emulator):
    """The `oci session authenticate` layout: security_token_file + key_file, "~" paths."""
    config = oci.config.from_file(profile_name=SESSION_PROFILE)
    token = Path(config["security_token_file"]).expanduser().read_text()
    key = oci.signer.load_private_key_from_file(config["key_file"])
    signer = oci.auth.signers.SecurityTokenSigner(token, key)

    assert object_storage(config, signer=signer).get_namespace().data == realm.NAMESPACE
    assert clean_oci_emulator.requests[-1]["principal"] == {
        "type": "security_token", "id": realm.USER, "credential": "security_token"}
