"""OCIR's docker token endpoint: an OCI-signed GET for any principal, then the Basic forms the
docker client and a token-auth registry use."""

from __future__ import annotations

import base64
from pathlib import Path

import jwt
import oci
import pytest
import requests
from cryptography import x509

from . import realm
from .credentials import SESSION_PROFILE

REGISTRY_HOSTS = (f"{realm.REGION_KEY.lower()}.ocir.io", realm.OCIR_HOST)


def token_url(host: str) -> str:
    return f"https://{host}/20180419/docker/token"


def signers() -> dict:
    """Each principal's signer, made by the SDK from the environment (the oci_emulator_env fixture)."""
    config = oci.config.from_file()
    session = oci.config.from_file(profile_name=SESSION_PROFILE)
    return {
        "api_key": oci.signer.Signer.from_config(config),
        "security_token": oci.auth.signers.SecurityTokenSigner(
            Path(session["security_token_file"]).expanduser().read_text(),
            oci.signer.load_private_key_from_file(session["key_file"])),
        "instance_principal": oci.auth.signers.InstancePrincipalsSecurityTokenSigner(),
        "resource_principal": oci.auth.signers.get_resource_principals_signer(),
    }


@pytest.fixture
def ocir_env(oci_emulator_env, clean_oci_emulator, monkeypatch):
    for name, value in clean_oci_emulator.resource_principal_env.items():
        monkeypatch.setenv(name, value)
    return clean_oci_emulator


@pytest.mark.parametrize("host", REGISTRY_HOSTS)
def test_every_principal_gets_a_token_on_every_registry_host(ocir_env, host):
    for principal, signer in signers().items():
        response = requests.get(token_url(host), auth=signer, timeout=10)

        assert response.status_code == 200, (principal, response.text)
        body = response.json()
        assert {"token", "access_token", "expires_in"} <= set(body)
        assert body["token"] == body["access_token"] and body["expires_in"] > 0
        entry = ocir_env.requests[-1]
        assert (entry["host"], entry["path"], entry["principal"]["type"]) == (host, "/20180419/docker/token", principal)


def test_an_unsigned_request_gets_no_token(ocir_env):
    response = requests.get(token_url(realm.OCIR_HOST), timeout=10)

    assert (response.status_code, response.json()["code"]) == (401, "NotAuthenticated")


def test_bearer_token_login_keeps_the_principal(ocir_env):
    """`docker login -u BEARER_TOKEN -p <token>`, then the registry's token realm asks for a scope."""
    signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner()
    ocir_token = requests.get(token_url(realm.OCIR_HOST), auth=signer, timeout=10).json()["token"]

    response = requests.get(f"{ocir_env.url}/20180419/docker/token", auth=("BEARER_TOKEN", ocir_token),
                            params={"service": "registry.test", "scope": "repository:emulatorns/app:pull,push"},
                            proxies={"http": None}, timeout=10)

    assert response.status_code == 200, response.text
    claims = jwt.decode(response.json()["token"], options={"verify_signature": False})
    assert claims["aud"] == "registry.test"
    assert claims["access"] == [{"type": "repository", "name": "emulatorns/app", "actions": ["pull", "push"]}]
    assert ocir_env.requests[-1]["principal"] == {
        "type": "instance_principal", "id": realm.INSTANCE, "credential": "registry_token"}


def test_registry_tokens_chain_to_the_test_ca(ocir_env):
    """What docker-registry's `auth: token` checks, with rootcertbundle = ca.pem."""
    signer = oci.signer.Signer.from_config(oci.config.from_file())
    token = requests.get(token_url(realm.OCIR_HOST), auth=signer, timeout=10).json()["token"]

    signer_cert = x509.load_der_x509_certificate(base64.b64decode(jwt.get_unverified_header(token)["x5c"][0]))
    ca_cert = x509.load_pem_x509_certificate(ocir_env.credentials.ca_file.read_bytes())
    signer_cert.verify_directly_issued_by(ca_cert)
    assert jwt.decode(token, signer_cert.public_key(), algorithms=["RS256"],
                      options={"verify_aud": False})["iss"] == "ocir-emulator"


def test_auth_token_login(ocir_env):
    ocir_env.state.add_auth_token("emulatorns/jdoe", "s3cret-token")
    url = f"{ocir_env.url}/20180419/docker/token"

    ok = requests.get(url, auth=("emulatorns/jdoe", "s3cret-token"), proxies={"http": None}, timeout=10)
    wrong = requests.get(url, auth=("emulatorns/jdoe", "guess"), proxies={"http": None}, timeout=10)
    garbage = requests.get(url, auth=("BEARER_TOKEN", "not-a-token"), proxies={"http": None}, timeout=10)

    assert ok.status_code == 200
    assert [e["principal"]["type"] for e in ocir_env.requests] == ["auth_token", "none", "none"]
    assert (wrong.status_code, garbage.status_code) == (401, 401)
