"""The emulated cloud: one realm, one region, one tenancy, and which host names belong to it.

Everything the emulator answers for is named here, so the rule "a host outside the emulated realm
never gets an answer" lives in one function (`is_emulated_host`). The realm's domain uses the `.test`
top-level domain (RFC 2606), which never resolves on a real network: a process that escapes the
proxy fails with a DNS error instead of reaching Oracle Cloud.
"""

from __future__ import annotations

import hashlib
import json
import re

REALM_KEY = "OCTEST"
REALM_DOMAIN = "oci-emulator.test"
REGION_KEY = "LTS"
REGION = "local-test-1"

# What the SDK reads from OCI_REGION_METADATA to learn the region and its realm.
REGION_METADATA = {
    "realmKey": REALM_KEY,
    "realmDomainComponent": REALM_DOMAIN,
    "regionKey": REGION_KEY,
    "regionIdentifier": REGION,
}
REGION_METADATA_JSON = json.dumps(REGION_METADATA, separators=(",", ":"))

# Fake OCIDs. The realm component is the emulated realm, so they cannot be mistaken for real ones.
_REALM = REALM_KEY.lower()
TENANCY = f"ocid1.tenancy.{_REALM}..aaaaaaaaemulatortenancy"
TENANCY_NAME = "emulator-tenancy"  # the root compartment's name
USER = f"ocid1.user.{_REALM}..aaaaaaaaemulatoruser"
COMPARTMENT = f"ocid1.compartment.{_REALM}..aaaaaaaaemulatorcompartment"
COMPARTMENT_NAME = "emulator"  # a child of the tenancy: `in compartment emulator` in a policy of the tenancy
INSTANCE = f"ocid1.instance.{_REALM}.{REGION_KEY.lower()}.aaaaaaaaemulatorinstance"
INSTANCE_NAME = "oci-emulator-instance"  # the default instance's display name and host name
RESOURCE = f"ocid1.datasciencenotebooksession.{_REALM}.{REGION_KEY.lower()}.aaaaaaaaemulatorresource"
NAMESPACE = "emulatorns"
# Vault OCIDs carry an extra component before the unique id, as real ones do
# (ocid1.vault.oc1.iad.<...>.<unique>); secrets are "ocid1.vaultsecret.<realm>.<region key>.<unique>".
VAULT = f"ocid1.vault.{_REALM}.{REGION_KEY.lower()}.emulatorvault.aaaaaaaaemulatorvault"

# Where requests arrive from when they do not come through the CONNECT tunnel.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# The instance metadata service, reached as an absolute-URI proxy request or via OCI_METADATA_BASE_URL.
METADATA_HOSTS = ("169.254.169.254", "fd00:c1::a9fe:a9fe")

# Registry names outside the realm domain that still belong to the emulated region: OCIR's
# "<region key>.ocir.io" and "<region id>.ocir.io" forms. Neither exists in the real world.
OCIR_SHORT_HOSTS = (f"{REGION_KEY.lower()}.ocir.io", f"{REGION}.ocir.io")

# ocifs builds "objectstorage.<region>.oraclecloud.com" itself when given a region; for this region
# the name is fictional, so answering it keeps that code path testable without touching Oracle.
_ORACLECLOUD_SUFFIX = f".{REGION}.oraclecloud.com"


def service_host(service: str, *, oci_subdomain: bool = False) -> str:
    """The host name the SDK derives for a service in the emulated region.

    Older services live at `<service>.<region>.<domain>` (objectstorage, auth, iaas); newer ones at
    `<service>.<region>.oci.<domain>` (identity, secrets.vaults, ocir).
    """
    middle = f"{REGION}.oci" if oci_subdomain else REGION
    return f"{service}.{middle}.{REALM_DOMAIN}"


OCIR_HOST = service_host("ocir", oci_subdomain=True)


def hostname_of(host_header: str) -> str:
    """Host name without the port, lower-cased; IPv6 brackets removed."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:host.index("]")]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_emulated_host(hostname: str) -> bool:
    """True for cloud host names the emulator stands in for (it may terminate TLS for them)."""
    hostname = hostname.lower()
    return (hostname.endswith("." + REALM_DOMAIN) or hostname in OCIR_SHORT_HOSTS
            or hostname.endswith(_ORACLECLOUD_SUFFIX))


def is_local_host(hostname: str) -> bool:
    """True for names a client uses to talk to the emulator directly (plain HTTP, no proxy)."""
    return hostname.lower() in LOOPBACK_HOSTS


# Named instances (State.add_named_instance): a host-name-like label, since it goes into URL paths
# (/instances/<name>/opc/v2/...) and the instance's OCID.
INSTANCE_NAME_PATTERN = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"


def named_instance_id(name: str) -> str:
    """The OCID of the named instance `name`: stable for a name (a re-seed after a restart names the
    same instance), readable in a log, and distinct for names that differ only in case or dashes."""
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    readable = re.sub(r"[^a-z0-9]", "", name.lower())
    return f"ocid1.instance.{_REALM}.{REGION_KEY.lower()}.aaaaaaaa{readable}{digest}"
