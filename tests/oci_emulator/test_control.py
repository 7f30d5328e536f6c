"""The control endpoints other processes use: read the log, reset, seed."""

from __future__ import annotations

import oci
import pytest
import requests

from . import realm
from .pki import api_key_fingerprint, new_key, private_pem, public_pem


@pytest.fixture
def control(clean_oci_emulator):
    with requests.Session() as session:
        session.trust_env = False
        yield lambda method, path, **kw: session.request(method, f"{clean_oci_emulator.url}/_emulator/{path}",
                                                         timeout=10, **kw)


def test_the_request_log_over_http(clean_oci_emulator, control):
    requests.get(f"{clean_oci_emulator.url}/n/", proxies={"http": None}, timeout=10)  # unsigned: 401
    requests.get(f"{clean_oci_emulator.url}/n/", proxies={"http": None}, timeout=10)

    log = control("GET", "requests").json()
    assert [(e["method"], e["path"], e["status"], e["principal"]["type"]) for e in log] == [
        ("GET", "/n/", 401, "none")] * 2
    assert control("GET", "requests", params={"since": log[0]["seq"]}).json() == log[1:]
    assert len(control("GET", "requests").json()) == 2, "control requests stay out of the log"


def test_reset_over_http(clean_oci_emulator, control):
    clean_oci_emulator.state.add_auth_token("emulatorns/jdoe", "t")
    requests.get(f"{clean_oci_emulator.url}/n/", proxies={"http": None}, timeout=10)

    assert control("POST", "reset").status_code == 204
    assert clean_oci_emulator.requests == []
    assert not clean_oci_emulator.state.auth_token_valid("emulatorns/jdoe", "t")


def test_seed_an_api_key_over_http_then_sign_with_it(clean_oci_emulator, control, oci_emulator_env):
    key, user = new_key(), f"ocid1.user.{realm.REALM_KEY.lower()}..aaaaaaaaseeded"

    seeded = control("POST", "seed/api-key", json={"public_key_pem": public_pem(key).decode(), "user": user})

    assert seeded.json() == {"key_id": f"{realm.TENANCY}/{user}/{api_key_fingerprint(key.public_key())}",
                             "fingerprint": api_key_fingerprint(key.public_key())}
    config = {"user": user, "tenancy": realm.TENANCY, "region": realm.REGION,
              "fingerprint": seeded.json()["fingerprint"], "key_content": private_pem(key).decode()}
    assert oci.object_storage.ObjectStorageClient(config).get_namespace().data == realm.NAMESPACE


def test_seed_errors(control):
    unknown = control("POST", "seed/queue", json={})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "NotAuthorizedOrNotFound")
    assert "api-key, auth-token, bucket" in unknown.json()["message"]
    assert control("POST", "seed/api-key", json={"public_key_pem": "nope"}).status_code == 400
