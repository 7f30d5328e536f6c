"""Instance principal: the SDK's signer reads the metadata service, federates its certificate with
the auth service, and signs with the security token it gets back."""

from __future__ import annotations

import json

import oci
import pytest
import requests

from . import realm

NO_RETRY = oci.retry.NoneRetryStrategy()


def test_instance_principal_signs_object_storage_calls(oci_emulator_env, clean_oci_emulator):
    signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner()
    client = oci.object_storage.ObjectStorageClient({}, signer=signer, retry_strategy=NO_RETRY)

    assert (signer.region, signer.tenancy_id) == (realm.REGION, realm.TENANCY)
    assert client.get_namespace().data == realm.NAMESPACE

    log = clean_oci_emulator.requests
    assert {e["path"] for e in log if e["path"].startswith("/opc/")} == {
        "/opc/v2/instance/region", "/opc/v2/identity/cert.pem", "/opc/v2/identity/key.pem",
        "/opc/v2/identity/intermediate.pem"}
    federation = [e for e in log if e["path"] == "/v1/x509"]
    instance = {"type": "instance_principal", "id": realm.INSTANCE}
    assert [(e["method"], e["host"], e["status"], e["principal"]) for e in federation] == [
        ("POST", realm.service_host("auth"), 200, instance | {"credential": "x509"})]
    assert (log[-1]["path"], log[-1]["status"], log[-1]["principal"]) == (
        "/n", 200, instance | {"credential": "security_token"})
    assert all(e["status"] == 200 for e in log)


@pytest.fixture
def direct(clean_oci_emulator):
    with requests.Session() as session:
        session.trust_env = False
        yield session


def test_metadata_v2_requires_the_bearer_oracle_header(clean_oci_emulator, direct):
    url = f"{clean_oci_emulator.url}/opc/v2/identity/key.pem"

    refused = direct.get(url)
    assert (refused.status_code, refused.json()["code"]) == (401, "NotAuthenticated")
    assert direct.get(url, headers={"Authorization": "Bearer Oracle"}).text.startswith("-----BEGIN RSA PRIVATE KEY")


def test_the_instance_document(clean_oci_emulator, direct):
    bearer = {"Authorization": "Bearer Oracle"}
    document = direct.get(f"{clean_oci_emulator.url}/opc/v2/instance/", headers=bearer).json()

    assert (document["id"], document["compartmentId"], document["canonicalRegionName"]) == (
        realm.INSTANCE, realm.COMPARTMENT, realm.REGION)
    region_info = direct.get(f"{clean_oci_emulator.url}/opc/v2/instance/regionInfo", headers=bearer)
    assert region_info.json() == realm.REGION_METADATA
    assert direct.get(f"{clean_oci_emulator.url}/opc/v2/instance/nothing", headers=bearer).status_code == 404


def test_the_link_local_address_through_the_plain_http_proxy(clean_oci_emulator, direct):
    """For code that hard-codes http://169.254.169.254 (it is then given HTTP_PROXY)."""
    response = direct.get("http://169.254.169.254/opc/v2/instance/region", headers={"Authorization": "Bearer Oracle"},
                          proxies={"http": clean_oci_emulator.url})

    assert (response.status_code, response.text) == (200, realm.REGION)
    assert clean_oci_emulator.requests[-1]["host"] == "169.254.169.254"


def test_federation_refuses_a_certificate_it_does_not_know(oci_emulator_env, clean_oci_emulator):
    """The leaf certificate from the metadata service is no longer registered: no token, a clear 401."""
    clean_oci_emulator.state.instances.clear()

    with pytest.raises(oci.exceptions.ServiceError) as failure:
        oci.auth.signers.InstancePrincipalsSecurityTokenSigner(federation_client_retry_strategy=NO_RETRY)

    assert failure.value.status == 401
    assert "No instance certificate" in json.dumps(failure.value.message)
