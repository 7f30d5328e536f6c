# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker engine connection shared by the oracle.mlflow docker modules.

Private to this collection (underscore prefix): no compatibility promise outside it.

A module merges ``DOCKER_COMMON_ARGS`` into its argument spec (``docker_argument_spec()``),
documents them with the ``oracle.mlflow.docker`` doc fragment, and calls ``get_docker_client()``
once it has validated its own options. The client is the docker SDK's low-level
``docker.APIClient``, so modules can stream build/push output and read engine errors.
``check_docker_sdk()`` fails a module early when the SDK is missing. Failures carry ``error_kind``
(``_errors.KINDS``): ``invalid`` TLS settings, ``unreachable`` engine, ``error`` for a missing SDK.
"""

from __future__ import annotations

import os
import traceback

from ansible.module_utils.basic import env_fallback, missing_required_lib

try:
    import docker
    from docker.errors import APIError, DockerException, TLSParameterError
    from docker.tls import TLSConfig

    HAS_DOCKER_SDK = True
    DOCKER_SDK_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised only without the SDK
    HAS_DOCKER_SDK = False
    DOCKER_SDK_IMPORT_ERROR = traceback.format_exc()

    class DockerException(Exception):  # type: ignore[no-redef]
        """Stand-in so ``except DockerException`` stays valid without the SDK."""

    class APIError(DockerException):  # type: ignore[no-redef]
        """Stand-in so ``except APIError`` stays valid without the SDK."""

    class TLSParameterError(DockerException):  # type: ignore[no-redef]
        """Stand-in so ``except TLSParameterError`` stays valid without the SDK."""


DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock'
DEFAULT_TIMEOUT_SECONDS = 60

# Keep in sync with plugins/doc_fragments/docker.py.
DOCKER_COMMON_ARGS = dict(
    docker_host=dict(type='str', default=DEFAULT_DOCKER_HOST, aliases=['docker_url'],
                     fallback=(env_fallback, ['DOCKER_HOST'])),
    api_version=dict(type='str', default='auto', aliases=['docker_api_version'],
                     fallback=(env_fallback, ['DOCKER_API_VERSION'])),
    timeout=dict(type='int', default=DEFAULT_TIMEOUT_SECONDS,
                 fallback=(env_fallback, ['DOCKER_TIMEOUT'])),
    validate_certs=dict(type='bool', default=False, aliases=['tls_verify'],
                        fallback=(env_fallback, ['DOCKER_TLS_VERIFY'])),
    ca_path=dict(type='path', aliases=['ca_cert']),
    client_cert=dict(type='path', aliases=['tls_client_cert']),
    client_key=dict(type='path', aliases=['tls_client_key']),
)

DOCKER_REQUIRED_TOGETHER = [['client_cert', 'client_key']]


def docker_argument_spec(**module_args):
    """Return the module's own argument spec merged with the common connection options."""
    spec = dict((name, dict(definition)) for name, definition in DOCKER_COMMON_ARGS.items())
    spec.update(module_args)
    return spec


def format_docker_error(exc):
    """Return the most useful text of a docker SDK exception (the engine's explanation if any)."""
    explanation = getattr(exc, 'explanation', None)
    if explanation:
        if isinstance(explanation, bytes):
            explanation = explanation.decode('utf-8', errors='replace')
        return str(explanation)
    return str(exc)


def _tls_config(module):
    """Build the TLS settings, or None for a plain connection.

    TLS is used when ``validate_certs`` is true or a client certificate is given. Certificate paths
    not set in the task are looked up in ``DOCKER_CERT_PATH`` (``ca.pem``, ``cert.pem``, ``key.pem``),
    as the docker CLI does.
    """
    params = module.params
    ca_path, client_cert, client_key = params['ca_path'], params['client_cert'], params['client_key']
    cert_dir = os.environ.get('DOCKER_CERT_PATH')
    if cert_dir:
        def from_cert_dir(filename):
            candidate = os.path.join(cert_dir, filename)
            return candidate if os.path.isfile(candidate) else None
        ca_path = ca_path or from_cert_dir('ca.pem')
        if not client_cert and not client_key:
            client_cert, client_key = from_cert_dir('cert.pem'), from_cert_dir('key.pem')
            if not (client_cert and client_key):
                client_cert = client_key = None

    if not params['validate_certs'] and not client_cert:
        return None
    return TLSConfig(
        client_cert=(client_cert, client_key) if client_cert else None,
        ca_cert=ca_path,
        verify=params['validate_certs'],
    )


def _base_url(docker_host, tls):
    # Same rule as the docker CLI: tcp:// means https:// once TLS is on.
    if tls and docker_host.startswith('tcp://'):
        return 'https://' + docker_host[len('tcp://'):]
    return docker_host


def check_docker_sdk(module):
    """Fail the module with Ansible's usual message when the Docker SDK for Python is missing."""
    if not HAS_DOCKER_SDK:
        module.fail_json(msg=missing_required_lib('docker (Docker SDK for Python)'), error_kind='error',
                         exception=DOCKER_SDK_IMPORT_ERROR)


def get_docker_client(module):
    """Return a connected ``docker.APIClient`` or fail the module with a clear message.

    Fails when the docker SDK is missing, the TLS settings are unusable, or the engine at
    ``docker_host`` does not answer a ping within ``timeout`` seconds.
    """
    check_docker_sdk(module)

    params = module.params
    docker_host = params['docker_host']
    try:
        tls = _tls_config(module)
    except TLSParameterError as exc:
        module.fail_json(msg='Invalid TLS settings for docker_host %s: %s' % (docker_host, exc), error_kind='invalid')

    unreachable = ('Cannot connect to the Docker engine at %s (docker_host, or DOCKER_HOST): %%s. '
                   'Check that the engine is running and that this user may use it.' % docker_host)
    try:
        client = docker.APIClient(
            base_url=_base_url(docker_host, tls),
            version=params['api_version'],
            timeout=params['timeout'],
            tls=tls if tls is not None else False,
        )
        # version='auto' already asked the engine; an explicit version did not, so always ping.
        client.ping()
    except APIError as exc:
        module.fail_json(msg=unreachable % format_docker_error(exc), error_kind='unreachable')
    except DockerException as exc:
        module.fail_json(msg=unreachable % exc, error_kind='unreachable')
    except Exception as exc:  # requests/urllib3 errors that the SDK does not wrap
        module.fail_json(msg=unreachable % exc, error_kind='unreachable', exception=traceback.format_exc())
    return client
