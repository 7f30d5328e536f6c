# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:

    # Docker engine connection options; the spec lives in module_utils/_docker_client.py.
    DOCUMENTATION = r"""
options:
  docker_host:
    description:
      - URL or Unix socket of the Docker engine API, for example V(unix:///var/run/docker.sock) or V(tcp://192.0.2.23:2376).
      - With TLS on (O(validate_certs) or a client certificate), V(tcp://) is used as V(https://).
      - If not set in the task, the environment variable E(DOCKER_HOST) is used, then the default.
    type: str
    default: unix:///var/run/docker.sock
    aliases:
      - docker_url
  api_version:
    description:
      - Docker engine API version to speak, for example V(1.41).
      - V(auto) uses the highest version both the engine and the Docker SDK for Python support.
      - If not set in the task, the environment variable E(DOCKER_API_VERSION) is used, then the default.
    type: str
    default: auto
    aliases:
      - docker_api_version
  timeout:
    description:
      - Seconds to wait for an answer from the engine API.
      - Long streaming operations (an image build) are not cut off by it.
      - If not set in the task, the environment variable E(DOCKER_TIMEOUT) is used, then the default.
    type: int
    default: 60
  validate_certs:
    description:
      - Connect with TLS and verify the engine's certificate (against O(ca_path) when given).
      - If not set in the task, the environment variable E(DOCKER_TLS_VERIFY) is used, then the default.
    type: bool
    default: false
    aliases:
      - tls_verify
  ca_path:
    description:
      - CA certificate used to verify the engine when O(validate_certs=true).
      - If not set and E(DOCKER_CERT_PATH) is, C(ca.pem) from that directory is used.
    type: path
    aliases:
      - ca_cert
  client_cert:
    description:
      - Client TLS certificate; turns TLS on. Requires O(client_key).
      - If neither O(client_cert) nor O(client_key) is set and E(DOCKER_CERT_PATH) is, C(cert.pem) and C(key.pem) from that
        directory are used.
    type: path
    aliases:
      - tls_client_cert
  client_key:
    description:
      - Client TLS private key, used with O(client_cert).
    type: path
    aliases:
      - tls_client_key
requirements:
  - Docker SDK for Python (C(docker)) 7.0.0 or newer on the managed node
  - a Docker engine with API version 1.41 or newer
notes:
  - The connection options can be set once for every module of the collection with
    C(module_defaults) and C(group/oracle.mlflow.docker).
  - Registry credentials are read by the Docker SDK from C($HOME/.docker/config.json), or from C($DOCKER_CONFIG/config.json)
    when E(DOCKER_CONFIG) is set.
"""
