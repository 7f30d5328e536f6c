"""Resource principal v2.2: the SDK reads a self-minted RPST and session key from the environment."""

from __future__ import annotations

from pathlib import Path

import oci
import pytest

from . import realm
from .credentials import write_resource_principal
from .pki import new_key
from .tokens import TokenIssuer

NO_RETRY = oci.retry.NoneRetryStrategy()


def namespace_with(signer):
    client = oci.object_storage.ObjectStorageClient({"region": realm.REGION}, signer=signer, retry_strategy=NO_RETRY)
    return client.get_namespace()


def test_resource_principal_signs_object_storage_calls(oci_emulator_env, clean_oci_emulator, monkeypatch):
    for name, value in clean_oci_emulator.resource_principal_env.items():
        monkeypatch.setenv(name, value)

    signer = oci.auth.signers.get_resource_principals_signer()

    assert (signer.region, signer.tenancy_id) == (realm.REGION, realm.TENANCY)
    assert namespace_with(signer).data == realm.NAMESPACE
    assert clean_oci_emulator.requests[-1]["principal"] == {
        "type": "resource_principal", "id": realm.RESOURCE, "credential": "security_token"}


def _signer_from(env: dict) -> oci.auth.signers.SecurityTokenSigner:
    """Sign with an RPST as is, without the SDK's own expiry check getting in the way."""
    token = Path(env["OCI_RESOURCE_PRINCIPAL_RPST"]).read_text()
    key = oci.signer.load_private_key_from_file(env["OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"])
    return oci.auth.signers.SecurityTokenSigner(token, key)


def test_an_expired_token_is_refused(oci_emulator_env, clean_oci_emulator, tmp_path):
    env = write_resource_principal(tmp_path, clean_oci_emulator.credentials.issuer, lifetime=-120)

    with pytest.raises(oci.exceptions.ServiceError) as failure:
        namespace_with(_signer_from(env))

    assert failure.value.status == 401
    assert "expired" in failure.value.message


def test_a_token_the_emulator_did_not_issue_is_refused(oci_emulator_env, clean_oci_emulator, tmp_path):
    own = clean_oci_emulator.credentials.issuer
    stranger = TokenIssuer(new_key(), own.cert)  # same certificate, different signing key
    env = write_resource_principal(tmp_path, stranger)

    with pytest.raises(oci.exceptions.ServiceError) as failure:
        namespace_with(_signer_from(env))

    assert failure.value.status == 401
    assert "security token is not valid" in failure.value.message
