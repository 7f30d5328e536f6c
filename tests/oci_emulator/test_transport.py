"""How requests reach the emulator, and how everything else is kept away from the real cloud."""

from __future__ import annotations

import socket

import oci
import pytest
import requests

from . import realm

NO_RETRY = oci.retry.NoneRetryStrategy()


def test_a_real_cloud_endpoint_fails_closed(oci_emulator_env, clean_oci_emulator):
    """Same credentials, a real region: the tunnel is refused, nothing leaves the loopback."""
    config = dict(oci.config.from_file(), region="us-ashburn-1")
    client = oci.object_storage.ObjectStorageClient(config, retry_strategy=NO_RETRY, timeout=(5, 5))

    with pytest.raises(oci.exceptions.RequestException) as failure:
        client.get_namespace()

    assert "403" in str(failure.value)
    assert clean_oci_emulator.requests == [{
        **clean_oci_emulator.requests[0], "method": "CONNECT", "host": "objectstorage.us-ashburn-1.oraclecloud.com:443",
        "status": 403, "error": "Forbidden", "principal": {"type": "none", "id": None, "credential": None},
        "policy": []}]


def test_the_plain_http_proxy_does_not_forward_to_other_local_services(clean_oci_emulator):
    with requests.Session() as session:
        session.trust_env = False
        response = session.get("http://127.0.0.1:9/v2/", proxies={"http": clean_oci_emulator.url})

    assert response.status_code == 403 and "NO_PROXY" in response.json()["message"]


def test_service_endpoint_override_over_plain_http(oci_emulator_env, clean_oci_emulator):
    """Plain HTTP straight to the emulator: the signed Host then includes the port."""
    client = oci.object_storage.ObjectStorageClient(oci.config.from_file(), service_endpoint=clean_oci_emulator.url,
                                                    retry_strategy=NO_RETRY)

    assert client.get_namespace().data == realm.NAMESPACE
    assert clean_oci_emulator.requests[-1]["host"] == f"127.0.0.1:{clean_oci_emulator.port}"


def test_an_unknown_path_on_an_emulated_host(oci_emulator_env, clean_oci_emulator):
    response = requests.get(f"https://{realm.service_host('objectstorage')}/20180419/docker/nothing", timeout=10)

    assert (response.status_code, response.json()["code"]) == (404, "NotAuthorizedOrNotFound")


def test_expect_100_continue_gets_an_interim_response(clean_oci_emulator):
    """The SDK sends `Expect: 100-continue` on PUTs and waits for it before the body."""
    body = b'{"username": "emulatorns/jdoe", "token": "t"}'
    with socket.create_connection(("127.0.0.1", clean_oci_emulator.port), timeout=5) as conn:
        conn.sendall(b"POST /_emulator/seed/auth-token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body))
        interim = conn.recv(1024)
        conn.sendall(body)
        final = conn.recv(4096)

    assert interim.startswith(b"HTTP/1.1 100 Continue")
    assert final.startswith(b"HTTP/1.1 200")
    assert clean_oci_emulator.state.auth_token_valid("emulatorns/jdoe", "t")
