"""The signature rules, checked with the SDK's own signers and requests that break one rule each."""

from __future__ import annotations

import base64
import email.utils
import json
import time

import oci
import pytest
import requests

from . import realm
from .pki import private_pem


@pytest.fixture
def direct(clean_oci_emulator):
    """A session that talks to the emulator's loopback address, ignoring any proxy settings."""
    with requests.Session() as session:
        session.trust_env = False
        yield session


@pytest.fixture
def api_key_signer(clean_oci_emulator) -> oci.signer.Signer:
    key = clean_oci_emulator.credentials.api_key
    return oci.signer.Signer(realm.TENANCY, realm.USER, key.fingerprint, None,
                             private_key_content=private_pem(key.key).decode())


def namespace_request(emulator, signer, **kwargs) -> requests.PreparedRequest:
    return signer(requests.Request("GET", f"{emulator.url}/n/", **kwargs).prepare())


def refusal(response: requests.Response) -> str:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["opc-request-id"]
    body = response.json()
    assert body["code"] == "NotAuthenticated"
    return body["message"]


def test_a_signed_request_over_plain_http_carries_the_port_in_host(clean_oci_emulator, direct, api_key_signer):
    response = direct.send(namespace_request(clean_oci_emulator, api_key_signer))

    assert response.status_code == 200 and response.json() == realm.NAMESPACE
    assert clean_oci_emulator.requests[-1]["host"] == f"127.0.0.1:{clean_oci_emulator.port}"


def test_unsigned_requests_are_refused(clean_oci_emulator, direct):
    message = refusal(direct.get(f"{clean_oci_emulator.url}/n/"))

    assert "no OCI request signature" in message
    assert clean_oci_emulator.requests[-1]["principal"]["type"] == "none"


def test_a_changed_host_breaks_the_signature(clean_oci_emulator, direct, api_key_signer):
    prepared = namespace_request(clean_oci_emulator, api_key_signer)
    prepared.headers["host"] = f"localhost:{clean_oci_emulator.port}"

    assert "signature does not verify" in refusal(direct.send(prepared))


def test_a_tampered_signature_is_refused(clean_oci_emulator, direct, api_key_signer):
    prepared = namespace_request(clean_oci_emulator, api_key_signer)
    prepared.headers["authorization"] = prepared.headers["authorization"].replace('signature="', 'signature="AAAA')

    assert "signature does not verify" in refusal(direct.send(prepared))


def test_an_old_date_is_refused_even_when_signed(clean_oci_emulator, direct, api_key_signer):
    old = email.utils.formatdate(time.time() - 600, usegmt=True)
    prepared = namespace_request(clean_oci_emulator, api_key_signer, headers={"date": old})

    assert "away from the emulator's clock" in refusal(direct.send(prepared))


def test_host_must_be_signed(clean_oci_emulator, direct, api_key_signer):
    api_key_signer.create_signers(api_key_signer.api_key, api_key_signer.private_key,
                                  ["date", "(request-target)"], [])

    assert "must cover: host" in refusal(direct.send(namespace_request(clean_oci_emulator, api_key_signer)))


class _InstanceCertificateSigner(oci.signer.AbstractBaseSigner):
    """Signs like the SDK's federation client: keyId <tenancy>/fed-x509/<fingerprint>, no host header."""

    def __init__(self, identity):
        self.create_signers(f"{identity.tenancy}/fed-x509/{identity.fingerprint}", identity.key,
                            ["date", "(request-target)"], ["content-length", "content-type", "x-content-sha256"])


def federation_request(emulator, signer, body: bytes) -> requests.PreparedRequest:
    return signer(requests.Request("POST", f"{emulator.url}/v1/x509", data=body,
                                   headers={"content-type": "application/json"}).prepare())


def test_a_body_that_does_not_match_x_content_sha256_is_refused(clean_oci_emulator, direct):
    signer = _InstanceCertificateSigner(clean_oci_emulator.credentials.instance)
    prepared = federation_request(clean_oci_emulator, signer, b'{"certificate": "AAAA"}')
    prepared.body = b'{"certificate": "BBBB"}'  # same length, so only the digest can tell

    assert "x-content-sha256 does not match" in refusal(direct.send(prepared))


def test_post_must_sign_the_body_headers(clean_oci_emulator, direct):
    signer = _InstanceCertificateSigner(clean_oci_emulator.credentials.instance)
    unsigned_body = requests.Request("POST", f"{clean_oci_emulator.url}/v1/x509", data=b"{}").prepare()

    message = refusal(direct.send(signer.without_content_headers(unsigned_body)))

    assert "must cover: content-length, content-type, x-content-sha256" in message


def test_instance_certificates_only_authenticate_federation(clean_oci_emulator, direct, api_key_signer):
    x509_signer = _InstanceCertificateSigner(clean_oci_emulator.credentials.instance)
    assert "only authenticate the federation endpoint" in refusal(
        direct.send(namespace_request(clean_oci_emulator, x509_signer)))

    body = json.dumps({"certificate": base64.b64encode(b"x").decode(), "publicKey": "x"}).encode()
    assert "only authenticate the federation endpoint" in refusal(
        direct.send(federation_request(clean_oci_emulator, api_key_signer, body)))
