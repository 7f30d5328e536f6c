# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OCI Container Registry (OCIR): registry hosts, user names, namespaces, the OCI-signed token exchange,
and checking a login against a registry the way ``docker login`` does.

Private to this collection (underscore prefix): no compatibility promise outside it.

Two registry addresses are kept apart on purpose:

* the **OCIR host** of a region (``ocir_host()``): where an OCI principal exchanges its signature for a
  registry token (``GET https://<host>/20180419/docker/token``);
* the **registry** docker talks to (``auths`` key of the docker config, first part of image references):
  usually the same host, but it may be a mirror, a proxy, or a test registry such as ``127.0.0.1:5443``
  whose token realm accepts OCIR tokens.

Failures are ``OracleMlflowError``: ``invalid`` (a name), ``denied`` (a refusal; ``details['status']`` is the
HTTP status), ``unreachable`` (no answer), ``error`` (an answer that makes no sense), and the kinds of
``_oci_errors.describe_service_error`` for the namespace lookup.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import ipaddress
import json
import re

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_auth import HAS_OCI_SDK, HAS_REQUESTS
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_errors import (
    describe_request_error,
    describe_service_error,
    endpoint_of,
    reaching,
    unreachable_error,
)

if HAS_OCI_SDK:
    import oci
if HAS_REQUESTS:
    import requests

TOKEN_PATH = '/20180419/docker/token'
BEARER_TOKEN_USER = 'BEARER_TOKEN'
FEDERATED_DOMAIN = 'oracleidentitycloudservice'  # IDCS-federated users: <namespace>/oracleidentitycloudservice/<user>
OC1_REGISTRY_DOMAIN = 'ocir.io'
LOOPBACK_NAMES = ('localhost',)


# ---------------------------------------------------------------------------------------------
# Names (pure functions)


def ocir_host(region):
    """The OCIR host of an ``OciRegion`` (``_oci_auth.resolve_region``).

    The commercial realm (OC1) uses ``<region key>.ocir.io`` (``iad.ocir.io``; ``<region identifier>.ocir.io``
    is the same registry); every other realm ``ocir.<region identifier>.oci.<realm domain>``
    (``ocir.us-langley-1.oci.oraclegovcloud.com``), which also covers regions declared in
    ``OCI_REGION_METADATA``.
    """
    if region.realm == 'oc1':
        return '%s.%s' % (region.key or region.identifier, OC1_REGISTRY_DOMAIN)
    return 'ocir.%s.oci.%s' % (region.identifier, region.realm_domain)


def normalize_registry(registry):
    """``host[:port]`` from what a user may write (``https://iad.ocir.io/``, ``IAD.ocir.io``)."""
    value = (registry or '').strip()
    value = re.sub(r'^[a-zA-Z][a-zA-Z0-9+.-]*://', '', value)
    value = value.split('/', 1)[0]
    if not value:
        raise OracleMlflowError('invalid', "The registry '%s' has no host name." % registry)
    return value.lower()


def registry_hostname(registry):
    """Host part of ``host[:port]`` (IPv6 brackets kept off)."""
    if registry.startswith('['):
        return registry[1:registry.index(']')]
    return registry.rsplit(':', 1)[0] if registry.count(':') == 1 else registry


def is_loopback(registry):
    """True for registries on this host, which docker lets speak plain HTTP (127.0.0.0/8, ::1, localhost)."""
    host = registry_hostname(registry)
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def namespace_from_username(username):
    """The namespace a user name names (``ns/jdoe``, ``ns/oracleidentitycloudservice/jdoe``), or None."""
    parts = username.split('/')
    if len(parts) >= 2 and parts[0].lower() != FEDERATED_DOMAIN:
        return parts[0]
    return None


def registry_username(username, namespace=None):
    """Return the full OCIR user name for an auth-token login.

    OCIR user names are ``<namespace>/<user>``, ``<namespace>/oracleidentitycloudservice/<user>``
    (federated through IDCS) or ``<namespace>/<identity domain>/<user>``. A bare ``<user>`` or
    ``oracleidentitycloudservice/<user>`` gets ``<namespace>/`` in front. A user name that names
    another namespace than ``namespace`` is an error (one of the two is wrong). Raises ``OracleMlflowError('invalid')``.
    """
    username = (username or '').strip()
    parts = username.split('/')
    if not username or any(not part for part in parts):
        raise OracleMlflowError('invalid', "The username '%s' is not of the form <namespace>/<user>." % username)
    named = namespace_from_username(username)
    if named is None:
        if not namespace:
            raise OracleMlflowError('invalid', "The username '%s' has no namespace and none is known: give namespace, "
                                    "or the username as <namespace>/%s." % (username, username))
        return '%s/%s' % (namespace, username)
    if namespace and named.lower() != namespace.lower():
        if len(parts) == 2:
            hint = ("for a user of an identity domain other than the default, give "
                    "<namespace>/<identity domain>/<user>")
        else:
            hint = 'fix one of the two'
        raise OracleMlflowError('invalid', "The username '%s' names the namespace '%s' but namespace is '%s': %s."
                                % (username, named, namespace, hint))
    return username


def token_expiry(token):
    """Expiry of a JWT-shaped registry token (``exp`` claim, not verified) as an aware datetime, or None."""
    try:
        payload = token.split('.')[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4)))
        return datetime.datetime.fromtimestamp(int(claims['exp']), datetime.timezone.utc)
    except (IndexError, ValueError, KeyError, TypeError, binascii.Error, AttributeError, OverflowError):
        return None


def isoformat(moment):
    """``2026-01-02T03:04:05Z`` (or None)."""
    if moment is None:
        return None
    return moment.astimezone(datetime.timezone.utc).replace(microsecond=0).isoformat().replace('+00:00', 'Z')


# ---------------------------------------------------------------------------------------------
# OCI calls


def get_namespace(client):
    """The tenancy's Object Storage namespace, which is also its OCIR namespace (``GET /n/``), with an
    ``oci.object_storage.ObjectStorageClient`` of the principal."""
    try:
        with reaching(client, 'Object Storage', 'to look up the namespace', hint='Give namespace explicitly'):
            return client.get_namespace().data
    except oci.exceptions.ServiceError as exc:
        raise describe_service_error(exc, 'looking up the namespace at Object Storage (%s)' % endpoint_of(client),
                                     hint='Give namespace explicitly, or check the credentials.') from None


def exchange_token(host, signer, timeout=30):
    """OCI-signed ``GET https://<host>/20180419/docker/token``: return ``(token, expires_at)``.

    ``expires_at`` (an aware datetime, or None) comes from the token's ``exp`` claim, else from ``expires_in``.
    """
    url = 'https://%s%s' % (host, TOKEN_PATH)
    started = datetime.datetime.now(datetime.timezone.utc)
    try:
        response = requests.get(url, auth=signer, timeout=timeout)
    except requests.RequestException as exc:
        raise unreachable_error(exc, 'the OCIR token endpoint %s' % url,
                                hint='Check the region and the network (proxy)') from None
    if response.status_code != 200:
        raise OracleMlflowError(
            'denied' if response.status_code in (401, 403, 404) else 'error',
            'OCIR refused the token exchange at %s: HTTP %s %s. Check that the principal is valid in this region and '
            'that a policy lets it use the registry (repos in the tenancy).'
            % (url, response.status_code, _oci_error_text(response)), status=response.status_code)
    try:
        body = response.json()
        token = body.get('token') or body['access_token']
    except (ValueError, KeyError, AttributeError):
        raise OracleMlflowError('error', 'The OCIR token endpoint %s answered without a token.' % url) from None
    expires_at = token_expiry(token)  # the token's own claim when it has one, else the answer's lifetime
    if expires_at is None and body.get('expires_in'):
        try:
            expires_at = started + datetime.timedelta(seconds=int(body['expires_in']))
        except (TypeError, ValueError):
            pass
    return token, expires_at


def _oci_error_text(response):
    try:
        body = response.json()
        return '%s: %s' % (body.get('code'), body.get('message'))
    except ValueError:
        return response.text[:200]


# ---------------------------------------------------------------------------------------------
# Checking a login against the registry: GET /v2/ -> 401 challenge -> realm (Basic) -> token -> /v2/


def _parse_challenge(header):
    scheme, dummy, rest = (header or '').partition(' ')
    return scheme.strip().lower(), dict(re.findall(r'(\w+)="([^"]*)"', rest))


class RegistryClient:
    """A registry's ``/v2/`` API as far as logging in goes. ``https`` first; plain ``http`` for
    loopback registries only (as docker does for 127.0.0.0/8 by default)."""

    def __init__(self, registry, timeout=30):
        self.registry = registry
        self.timeout = timeout
        self.session = requests.Session()
        self.base_url = None

    def _v2(self, **kwargs):
        schemes = ['https', 'http'] if is_loopback(self.registry) else ['https']
        failures = []
        for scheme in ([self.base_url.split(':', 1)[0]] if self.base_url else schemes):
            url = '%s://%s/v2/' % (scheme, self.registry)
            try:
                response = self.session.get(url, timeout=self.timeout, **kwargs)
            except requests.RequestException as exc:
                failures.append('%s: %s' % (url, describe_request_error(exc)))
                continue
            self.base_url = '%s://%s' % (scheme, self.registry)
            return response
        raise OracleMlflowError('unreachable', 'Cannot reach the registry %s (%s). Check the registry address and port, '
                                'and that it is up and reachable from this host.' % (self.registry, '; '.join(failures)))

    def check_login(self, username, password):
        """Log in as ``docker login`` would, without storing anything. Returns the realm URL used (None
        for a registry without authentication); raises ``OracleMlflowError``: ``denied`` when the registry or
        its token realm refuses the credentials (401, 403 or 404, in ``details['status']``), ``unreachable``,
        ``error``."""
        response = self._v2()
        if response.status_code == 200:
            return None  # an open registry: any credentials do
        if response.status_code != 401:
            raise OracleMlflowError('error', 'The registry %s answered GET /v2/ with HTTP %s: is it a Docker registry '
                                    '(API v2)?' % (self.registry, response.status_code))
        scheme, params = _parse_challenge(response.headers.get('WWW-Authenticate'))
        if scheme == 'basic':
            answer = self._v2(auth=(username, password))
            if answer.status_code == 200:
                return self.base_url + '/v2/'
            raise OracleMlflowError('denied', 'HTTP %s from the registry %s' % (answer.status_code, self.registry),
                                    status=answer.status_code)
        if scheme != 'bearer' or not params.get('realm'):
            raise OracleMlflowError('error', 'The registry %s sent an authentication challenge this module does not '
                                    'know: %r' % (self.registry, response.headers.get('WWW-Authenticate')))
        realm = params['realm']
        query = {'account': username}
        for name in ('service', 'scope'):
            if params.get(name):
                query[name] = params[name]
        try:
            answer = self.session.get(realm, params=query, auth=(username, password), timeout=self.timeout)
        except requests.RequestException as exc:
            raise unreachable_error(exc, 'the token realm %s of the registry %s' % (realm, self.registry)) from None
        if answer.status_code in (401, 403, 404):
            raise OracleMlflowError('denied', 'HTTP %s from the token realm %s' % (answer.status_code, realm),
                                    status=answer.status_code)
        if answer.status_code != 200:
            raise OracleMlflowError('error', 'The token realm %s of the registry %s answered HTTP %s: %s'
                                    % (realm, self.registry, answer.status_code, ' '.join(answer.text[:200].split())))
        try:
            body = answer.json()
            token = body.get('token') or body['access_token']
        except (ValueError, KeyError, AttributeError):
            raise OracleMlflowError('error', 'The token realm %s answered without a token.' % realm) from None
        final = self._v2(headers={'Authorization': 'Bearer %s' % token})
        if final.status_code != 200:
            raise OracleMlflowError('error', 'The registry %s did not accept the token its realm %s issued for %s '
                                    '(HTTP %s).' % (self.registry, realm, username, final.status_code))
        return realm
