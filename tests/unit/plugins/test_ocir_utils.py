"""Pure functions of module_utils/_ocir.py and the region resolution of _oci_auth.py: region -> OCIR
host (commercial, government and sovereign realms, custom regions), user names, registry names, tokens."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_auth import OciAuthError, OciRegion, resolve_region
from ansible_collections.oracle.mlflow.plugins.module_utils._ocir import (
    is_loopback,
    namespace_from_username,
    normalize_registry,
    ocir_host,
    registry_username,
    token_expiry,
)

CUSTOM_REGION = {"realmKey": "OCX", "realmDomainComponent": "cloud.example.test", "regionKey": "XYZ",
                 "regionIdentifier": "xy-test-1"}


@pytest.mark.parametrize("name, identifier, key, realm", [
    ("iad", "us-ashburn-1", "iad", "oc1"),
    ("IAD", "us-ashburn-1", "iad", "oc1"),
    ("us-ashburn-1", "us-ashburn-1", "iad", "oc1"),
    (" US-Phoenix-1 ", "us-phoenix-1", "phx", "oc1"),
    ("fra", "eu-frankfurt-1", "fra", "oc1"),
    ("lfi", "us-langley-1", "lfi", "oc2"),
])
def test_regions_resolve_by_key_or_identifier(name, identifier, key, realm):
    region = resolve_region(name)

    assert (region.identifier, region.key, region.realm) == (identifier, key, realm)


@pytest.mark.parametrize("region, host", [
    ("iad", "iad.ocir.io"),
    ("us-ashburn-1", "iad.ocir.io"),
    ("phx", "phx.ocir.io"),
    ("eu-frankfurt-1", "fra.ocir.io"),
    ("ap-tokyo-1", "nrt.ocir.io"),
    # other realms: ocir.<region>.oci.<realm domain>
    ("us-langley-1", "ocir.us-langley-1.oci.oraclegovcloud.com"),  # OC2
    ("us-gov-ashburn-1", "ocir.us-gov-ashburn-1.oci.oraclegovcloud.com"),  # OC3
    ("uk-gov-london-1", "ocir.uk-gov-london-1.oci.oraclegovcloud.uk"),  # OC4
    ("eu-frankfurt-2", "ocir.eu-frankfurt-2.oci.oraclecloud.eu"),  # OC19, EU sovereign
])
def test_ocir_host_is_realm_aware(region, host):
    assert ocir_host(resolve_region(region)) == host


def test_an_oc1_region_without_key_uses_its_identifier():
    assert ocir_host(OciRegion("xx-new-1", None, "oc1", "oraclecloud.com")) == "xx-new-1.ocir.io"


def test_custom_region_from_oci_region_metadata(monkeypatch):
    monkeypatch.setenv("OCI_REGION_METADATA", json.dumps(CUSTOM_REGION))

    by_key = resolve_region("xyz")
    by_identifier = resolve_region("xy-test-1")

    assert by_key == by_identifier == OciRegion("xy-test-1", "xyz", "ocx", "cloud.example.test")
    assert ocir_host(by_key) == "ocir.xy-test-1.oci.cloud.example.test"


def test_custom_region_from_regions_config_file(tmp_path):
    oci_dir = tmp_path / "home" / ".oci"  # HOME is tmp_path/home (conftest)
    oci_dir.mkdir()
    (oci_dir / "regions-config.json").write_text(json.dumps([CUSTOM_REGION]))

    assert ocir_host(resolve_region("xy-test-1")) == "ocir.xy-test-1.oci.cloud.example.test"


@pytest.mark.parametrize("name", ["mars-north-1", "zzz", "us-ashburn-9"])
def test_unknown_region(name):
    with pytest.raises(OciAuthError, match=r"Unknown OCI region '%s'.*OCI_REGION_METADATA" % name):
        resolve_region(name)


# -- user names -------------------------------------------------------------------------------------

@pytest.mark.parametrize("username, namespace, expected", [
    ("jdoe", "ns", "ns/jdoe"),
    ("jdoe@example.com", "ns", "ns/jdoe@example.com"),
    ("ns/jdoe", "ns", "ns/jdoe"),
    ("ns/jdoe", None, "ns/jdoe"),
    ("NS/jdoe", "ns", "NS/jdoe"),
    ("oracleidentitycloudservice/jdoe@example.com", "ns", "ns/oracleidentitycloudservice/jdoe@example.com"),
    ("ns/oracleidentitycloudservice/jdoe@example.com", "ns", "ns/oracleidentitycloudservice/jdoe@example.com"),
    ("ns/oracleidentitycloudservice/jdoe@example.com", None, "ns/oracleidentitycloudservice/jdoe@example.com"),
    ("ns/MyDomain/jdoe", "ns", "ns/MyDomain/jdoe"),
])
def test_username_forms(username, namespace, expected):
    assert registry_username(username, namespace) == expected


@pytest.mark.parametrize("username, namespace, message", [
    ("jdoe", None, r"has no namespace and none is known"),
    ("oracleidentitycloudservice/jdoe", None, r"has no namespace"),
    ("other/jdoe", "ns", r"names the namespace 'other' but namespace is 'ns'.*identity domain"),
    ("other/oracleidentitycloudservice/jdoe", "ns", r"names the namespace 'other'"),
    ("ns//jdoe", "ns", r"not of the form"),
    ("", "ns", r"not of the form"),
])
def test_username_errors(username, namespace, message):
    with pytest.raises(OracleMlflowError, match=message):
        registry_username(username, namespace)


@pytest.mark.parametrize("username, namespace", [
    ("jdoe", None), ("ns/jdoe", "ns"), ("oracleidentitycloudservice/jdoe", None),
    ("ns/oracleidentitycloudservice/jdoe", "ns"),
])
def test_namespace_from_username(username, namespace):
    assert namespace_from_username(username) == namespace


# -- registry names ---------------------------------------------------------------------------------

@pytest.mark.parametrize("given, registry", [
    ("iad.ocir.io", "iad.ocir.io"),
    ("IAD.OCIR.IO", "iad.ocir.io"),
    ("https://iad.ocir.io/", "iad.ocir.io"),
    ("https://iad.ocir.io/v2/", "iad.ocir.io"),
    ("127.0.0.1:5443", "127.0.0.1:5443"),
    ("http://localhost:5443", "localhost:5443"),
])
def test_normalize_registry(given, registry):
    assert normalize_registry(given) == registry


def test_normalize_registry_needs_a_host():
    with pytest.raises(OracleMlflowError):
        normalize_registry("https://")


@pytest.mark.parametrize("registry, loopback", [
    ("127.0.0.1:5443", True), ("127.1.2.3:80", True), ("localhost:5000", True), ("[::1]:5443", True),
    ("iad.ocir.io", False), ("10.0.0.5:5000", False), ("registry.example.com:5443", False),
])
def test_loopback_registries(registry, loopback):
    assert is_loopback(registry) is loopback


# -- tokens -----------------------------------------------------------------------------------------

def _jwt(claims):
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return "%s.%s.signature" % (part({"alg": "RS256"}), part(claims))


def test_token_expiry_reads_the_exp_claim():
    expiry = token_expiry(_jwt({"exp": 1767225600, "sub": "x"}))

    assert expiry == dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("token", ["opaque-token", "a.b.c", _jwt({"sub": "no exp"}), ""])
def test_token_expiry_of_an_opaque_token_is_unknown(token):
    assert token_expiry(token) is None
