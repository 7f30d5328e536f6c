"""Named instances: one emulator, a metadata service per test host, each its own instance principal."""

from __future__ import annotations

import jwt
import oci
import pytest
import requests

from . import realm

NO_RETRY = oci.retry.NoneRetryStrategy()
BEARER = {"Authorization": "Bearer Oracle"}


@pytest.fixture
def direct(clean_oci_emulator):
    with requests.Session() as session:
        session.trust_env = False
        yield session


def sign_in_as(name: str, emulator, monkeypatch) -> oci.auth.signers.InstancePrincipalsSecurityTokenSigner:
    """The unmodified SDK signer on a host whose metadata base URL is that instance's route."""
    monkeypatch.setenv("OCI_METADATA_BASE_URL", f"{emulator.url}/instances/{name}/opc/v2")
    return oci.auth.signers.InstancePrincipalsSecurityTokenSigner(federation_client_retry_strategy=NO_RETRY)


def test_two_named_instances_federate_and_the_log_tells_them_apart(oci_emulator_env, clean_oci_emulator,
                                                                  monkeypatch):
    emulator = clean_oci_emulator
    seeded = {name: emulator.state.add_named_instance(name).instance_id for name in ("named-a1", "named-a2")}

    for name, instance_id in seeded.items():
        signer = sign_in_as(name, emulator, monkeypatch)
        client = oci.object_storage.ObjectStorageClient({}, signer=signer, retry_strategy=NO_RETRY)
        assert client.get_namespace().data == realm.NAMESPACE
        token = signer.federation_client.get_security_token()
        assert jwt.decode(token, options={"verify_signature": False})["sub"] == instance_id

    assert len(set(seeded.values()) | {realm.INSTANCE}) == 3
    signed = [e["principal"] for e in emulator.requests if e["path"] == "/n"]
    assert signed == [{"type": "instance_principal", "id": seeded[name], "credential": "security_token"}
                      for name in seeded]
    federations = [e["principal"]["id"] for e in emulator.requests if e["path"] == "/v1/x509"]
    assert federations == list(seeded.values())
    metadata_paths = {e["path"] for e in emulator.requests_for("metadata")}
    assert "/instances/named-a1/opc/v2/identity/cert.pem" in metadata_paths
    assert "/instances/named-a2/opc/v2/identity/key.pem" in metadata_paths


def test_the_named_instance_document(clean_oci_emulator, direct):
    identity = clean_oci_emulator.state.add_named_instance("named-b1")
    base = f"{clean_oci_emulator.url}/instances/named-b1/opc/v2"

    document = direct.get(f"{base}/instance/", headers=BEARER).json()
    assert (document["id"], document["displayName"], document["hostname"]) == (
        identity.instance_id, "named-b1", "named-b1")
    assert (document["tenantId"], document["compartmentId"]) == (realm.TENANCY, realm.COMPARTMENT)
    assert direct.get(f"{base}/instance/id", headers=BEARER).text == identity.instance_id
    # Same intermediate as the default instance: one PKI for the tenancy, as on OCI.
    intermediate = direct.get(f"{base}/identity/intermediate.pem", headers=BEARER).text
    default = direct.get(f"{clean_oci_emulator.url}/opc/v2/identity/intermediate.pem", headers=BEARER).text
    assert intermediate == default
    assert direct.get(f"{base}/identity/cert.pem", headers=BEARER).text != direct.get(
        f"{clean_oci_emulator.url}/opc/v2/identity/cert.pem", headers=BEARER).text
    assert direct.get(f"{base}/instance/id").status_code == 401, "v2 still wants Bearer Oracle"


def test_an_unknown_name_is_404(clean_oci_emulator, direct):
    for path in ("instance/id", "identity/cert.pem"):
        answer = direct.get(f"{clean_oci_emulator.url}/instances/nobody-here/opc/v2/{path}", headers=BEARER)
        assert (answer.status_code, answer.json()["code"]) == (404, "NotAuthorizedOrNotFound")


def test_named_instances_survive_reset_and_seed_over_http(clean_oci_emulator, direct, oci_emulator_env,
                                                         monkeypatch):
    seed = f"{clean_oci_emulator.url}/_emulator/seed/instance"
    first = direct.post(seed, json={"name": "named-c1"}).json()
    assert first == {"name": "named-c1", "instance_id": realm.named_instance_id("named-c1"),
                     "compartment_id": realm.COMPARTMENT, "metadata_path": "/instances/named-c1/opc/v2"}
    assert direct.post(seed, json={"name": "named-c1"}).json() == first, "seeding again is harmless"
    assert direct.post(seed, json={"name": "no/slashes"}).status_code == 400
    assert direct.post(seed, json={}).status_code == 400

    clean_oci_emulator.reset()  # what every clean_oci_emulator test does while a fleet is up

    signer = sign_in_as("named-c1", clean_oci_emulator, monkeypatch)
    client = oci.object_storage.ObjectStorageClient({}, signer=signer, retry_strategy=NO_RETRY)
    assert client.get_namespace().data == realm.NAMESPACE
    assert clean_oci_emulator.requests[-1]["principal"]["id"] == first["instance_id"]


def test_names_map_to_distinct_ocids():
    assert realm.named_instance_id("web-1") != realm.named_instance_id("web1")
    assert realm.named_instance_id("Web1") != realm.named_instance_id("web1")
    assert realm.named_instance_id("web1") == realm.named_instance_id("web1")
