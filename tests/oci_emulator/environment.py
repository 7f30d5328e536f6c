"""The environment that points an unmodified OCI client at the emulator.

Nothing in the client changes: the SDK learns the region from OCI_REGION_METADATA, derives its real
https URLs, and reaches them through HTTPS_PROXY (the emulator), trusting the test CA. Loopback
stays direct (NO_PROXY), so local registries, MLflow servers and the metadata URL are not proxied.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping

from . import realm
from .credentials import Credentials

NO_PROXY = ",".join(realm.LOOPBACK_HOSTS)
# What a process that is not a child of the test (a container on the host network, a module on a fleet
# host) needs of client_env to use the emulator with an instance principal.
PASSED_VARS = ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "REQUESTS_CA_BUNDLE",
               "SSL_CERT_FILE", "OCI_REGION_METADATA", "OCI_SDK_DEFAULT_RETRY_ENABLED",
               "OCI_METADATA_BASE_URL")
# Inherited variables that would leak the developer's own OCI setup or route around the emulator.
_INHERITED_PREFIXES = ("OCI_", "OCIFS_")
_INHERITED_NAMES = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE",
                    "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE"}


def client_env(url: str, credentials: Credentials) -> dict[str, str]:
    """What a process needs to use the emulator with an API key or an instance principal."""
    ca = str(credentials.ca_file)
    return {
        "OCI_EMULATOR_URL": url,  # the control endpoints: GET $OCI_EMULATOR_URL/_emulator/requests
        # ~/.oci/config beats OCI_CONFIG_FILE, and the config's key paths start with "~": own HOME.
        "HOME": str(credentials.home),
        "OCI_CONFIG_FILE": str(credentials.config_file),
        "OCI_REGION_METADATA": realm.REGION_METADATA_JSON,
        "OCI_METADATA_BASE_URL": f"{url}/opc/v2",
        "OCI_SDK_DEFAULT_RETRY_ENABLED": "false",  # an emulator bug fails fast instead of retrying for minutes
        "HTTPS_PROXY": url,
        "https_proxy": url,
        "NO_PROXY": NO_PROXY,
        "no_proxy": NO_PROXY,
        "REQUESTS_CA_BUNDLE": ca,  # requests, including the SDK's vendored copy
        "SSL_CERT_FILE": ca,  # Python's ssl default context (urllib, ansible's open_url)
    }


def is_inherited_override(name: str) -> bool:
    """True for variables `process_env` drops from the parent environment before applying the emulator's."""
    return name.upper() in _INHERITED_NAMES or name.upper().startswith(_INHERITED_PREFIXES)


def process_env(env: Mapping[str, str], base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default os.environ) without OCI, proxy and CA settings, plus `env`."""
    base = os.environ if base is None else base
    merged = {name: value for name, value in base.items() if not is_inherited_override(name)}
    merged.update(env)
    return merged


def shell_exports(env: Mapping[str, str]) -> str:
    """`export NAME=value` lines, quoted for POSIX shells."""
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in env.items())


def docker_env_file(env: Mapping[str, str]) -> str:
    """NAME=value lines for `docker run --env-file` (which takes values literally, unquoted)."""
    return "".join(f"{name}={value}\n" for name, value in env.items())
