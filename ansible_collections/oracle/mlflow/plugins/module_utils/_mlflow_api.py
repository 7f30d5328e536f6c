# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Talking to an MLflow tracking server's REST API from a module: the one place for it.

Private to this collection (underscore prefix): no compatibility promise outside it.

* ``MLFLOW_API_ARGS``: the connection options (``tracking_uri``, the admin login ``auth_username`` /
  ``auth_password``, ``ca_path``, ``validate_certs``, ``use_proxy``, ``timeout``), documented by the
  ``oracle.mlflow.mlflow_api`` doc fragment; ``mlflow_api_argument_spec(own)`` merges them into a module's spec.
* ``MlflowApi``: JSON requests with HTTP basic auth, built on ``ansible.module_utils.urls`` (nothing to install
  on the managed node). Every failure is an ``OracleMlflowError`` with one line: the server unreachable, TLS
  verification failed (naming ``ca_path``), 401 the admin login refused, 403 not an admin, else MLflow's own
  ``error_code`` and message.
* ``MlflowModule``: the ``AnsibleModule`` of these modules, with the API client and one failure path.
"""

from __future__ import annotations

import json
import socket
import ssl
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit

from ansible.module_utils.basic import AnsibleModule, env_fallback
from ansible.module_utils.urls import Request, SSLValidationError

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError

MLFLOW_API_ARGS = dict(
    tracking_uri=dict(type='str', required=True, aliases=['url'], fallback=(env_fallback, ['MLFLOW_TRACKING_URI'])),
    auth_username=dict(type='str', required=True, fallback=(env_fallback, ['MLFLOW_TRACKING_USERNAME'])),
    auth_password=dict(type='str', required=True, no_log=True, fallback=(env_fallback, ['MLFLOW_TRACKING_PASSWORD'])),
    ca_path=dict(type='path', fallback=(env_fallback, ['MLFLOW_TRACKING_SERVER_CERT_PATH'])),
    validate_certs=dict(type='bool', default=True),
    use_proxy=dict(type='bool', default=True),
    timeout=dict(type='int', default=30),
)

# MLflow's error codes for "no such thing" and "already there" (the answer's ``error_code``).
NOT_FOUND = 'RESOURCE_DOES_NOT_EXIST'
ALREADY_EXISTS = 'RESOURCE_ALREADY_EXISTS'
# How much of an MLflow error message a failure repeats. Only its first line: MLflow appends the failed SQL
# statement and its parameters on the next lines of some errors (a user's password hash, on a duplicate user).
MESSAGE_CHARS = 300


def mlflow_api_argument_spec(argument_spec=None):
    """The module's own argument spec with copies of ``MLFLOW_API_ARGS`` merged in."""
    own = dict(argument_spec or {})
    clash = sorted(set(own) & set(MLFLOW_API_ARGS))
    if clash:
        raise ValueError('%s are connection options (doc fragment oracle.mlflow.mlflow_api)' % ', '.join(clash))
    spec = dict((name, dict(option)) for name, option in MLFLOW_API_ARGS.items())
    spec.update(own)
    return spec


def first_line(text):
    """The first non-empty line of ``text``, at most ``MESSAGE_CHARS`` long."""
    lines = [line.strip() for line in (text or '').splitlines() if line.strip()]
    line = lines[0] if lines else ''
    return line if len(line) <= MESSAGE_CHARS else line[:MESSAGE_CHARS - 3] + '...'


class MlflowApiError(OracleMlflowError):
    """An ``OracleMlflowError`` that keeps the answer's HTTP ``status`` and MLflow ``error_code``."""

    def __init__(self, kind, message, status=None, code=None):
        details = dict((k, v) for k, v in (('status', status), ('code', code)) if v is not None)
        super(MlflowApiError, self).__init__(kind, message, **details)
        self.status = status
        self.code = code


def _tls_failure(exc):
    """The reason when ``exc`` is a failed TLS verification, else None."""
    if isinstance(exc, SSLValidationError):
        return first_line(str(exc))
    reason = getattr(exc, 'reason', exc)
    if isinstance(reason, ssl.SSLCertVerificationError):
        return reason.verify_message or str(reason)
    if isinstance(reason, ssl.SSLError):
        return reason.reason or str(reason)
    return None


class MlflowApi(object):
    """The REST API of one tracking server, as the admin login of the options.

    ``params``: a module's validated params (the ``MLFLOW_API_ARGS`` keys).
    """

    def __init__(self, params):
        self.base_url = params['tracking_uri'].rstrip('/')
        parts = urlsplit(self.base_url)
        if parts.scheme not in ('http', 'https') or not parts.netloc:
            raise OracleMlflowError('invalid', 'tracking_uri must be the http:// or https:// URL of the MLflow server, '
                                               'not %r.' % params['tracking_uri'])
        if params['timeout'] < 1:
            raise OracleMlflowError('invalid', 'timeout must be at least 1 second, not %s.' % params['timeout'])
        self.username = params['auth_username']
        self._password = params['auth_password']
        self._options = dict(validate_certs=params['validate_certs'], ca_path=params['ca_path'] or None,
                             use_proxy=params['use_proxy'], timeout=params['timeout'])

    def login_password(self):
        """The admin login's password (MLflow asks for it again when that login changes its own)."""
        return self._password

    # -- requests --------------------------------------------------------------------------------------

    def call(self, method, path, query=None, body=None, login=None):
        """The decoded JSON answer of ``method path`` (``{}`` for an empty one); raises ``MlflowApiError``.

        ``login``: ``(username, password)`` to send instead of the admin's.
        """
        username, password = login or (self.username, self._password)
        url = self.base_url + path + ('?' + urlencode(query) if query else '')
        headers = {'Accept': 'application/json'}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers['Content-Type'] = 'application/json'
        request = Request(url_username=username, url_password=password, force_basic_auth=True, headers=headers,
                          follow_redirects='none', use_netrc=False, **self._options)
        try:
            response = request.open(method, url, data=data)
            text = response.read()
        except HTTPError as exc:
            raise self._http_error(method, path, exc, username) from None
        except (URLError, SSLValidationError, socket.timeout, ConnectionError, ssl.SSLError, OSError) as exc:
            raise self._connection_error(exc) from None
        if not text:
            return {}
        try:
            return json.loads(text)
        except ValueError:
            raise MlflowApiError('format', '%s %s%s answered something that is not JSON: is tracking_uri the MLflow '
                                           'server? (%s)' % (method, self.base_url, path, first_line(_text(text))))

    def get(self, path, **query):
        return self.call('GET', path, query=query)

    def authenticates(self, username, password):
        """Does ``username`` log in with ``password``? (There is no API to read a password: this tries it.)"""
        try:
            self.call('GET', '/api/2.0/mlflow/users/current', login=(username, password))
        except MlflowApiError as exc:
            if exc.status == 401:
                return False
            raise
        return True

    # -- failures ----------------------------------------------------------------------------------------

    def _connection_error(self, exc):
        tls = _tls_failure(exc)
        if tls is not None:
            return MlflowApiError('unreachable', 'TLS verification of %s failed (%s): set ca_path to the CA '
                                                 'certificate that signed the server\'s certificate.'
                                  % (self.base_url, tls))
        reason = getattr(exc, 'reason', exc)
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return MlflowApiError('unreachable', 'The MLflow server at %s did not answer within %s s (timeout).'
                                  % (self.base_url, self._options['timeout']))
        return MlflowApiError('unreachable', 'Cannot reach the MLflow server at %s: %s.'
                              % (self.base_url, first_line(str(reason)) or type(reason).__name__))

    def _http_error(self, method, path, exc, username):
        status = exc.code
        try:
            text = _text(exc.read())
        except Exception:  # noqa: BLE001 - the status alone still says what happened
            text = ''
        if 300 <= status < 400:
            # Redirects are not followed: basic auth must not go to another address than the one given.
            return MlflowApiError('invalid', '%s %s%s was redirected (%s) to %s: set tracking_uri to the server\'s own '
                                             'URL.' % (method, self.base_url, path, status,
                                                       exc.headers.get('Location') if exc.headers else '?'), status)
        if status == 401:
            return MlflowApiError('denied', 'The MLflow server at %s refused the admin login %r (401): check '
                                            'auth_username and auth_password.' % (self.base_url, username), status)
        if status == 403:
            return MlflowApiError('denied', 'The login %r is not an admin of the MLflow server at %s (403 on %s %s): '
                                            'use an admin login.' % (username, self.base_url, method, path), status)
        code, message = None, first_line(text)
        try:
            answer = json.loads(text)
            code, message = answer.get('error_code'), first_line(answer.get('message'))
        except (ValueError, AttributeError):
            pass
        kind = {NOT_FOUND: 'missing', ALREADY_EXISTS: 'conflict', 'INVALID_PARAMETER_VALUE': 'invalid',
                'BAD_REQUEST': 'invalid'}.get(code, 'missing' if status == 404 else 'error')
        if status == 404 and code is None:
            message = 'no such API: is %s an MLflow server with the basic-auth app (--app-name basic-auth)?' \
                      % self.base_url
        return MlflowApiError(kind, 'MLflow answered %s%s to %s %s: %s' % (
            status, ' ' + code if code else '', method, path, message or '(no message)'), status, code)


def _text(data):
    return data.decode('utf-8', 'replace') if isinstance(data, bytes) else (data or '')


class MlflowModule(AnsibleModule):
    """An ``AnsibleModule`` with the connection options merged in, ``self.api`` and ``fail(error)``.

    ``failure_result``: the keys every failure returns besides ``msg`` and ``error_kind``.
    """

    def __init__(self, argument_spec=None, failure_result=None, **kwargs):
        super(MlflowModule, self).__init__(argument_spec=mlflow_api_argument_spec(argument_spec), **kwargs)
        self.failure_result = dict(failure_result or {})
        try:
            self.api = MlflowApi(self.params)
        except OracleMlflowError as error:
            self.fail(error)

    def fail(self, error, **result):
        merged = dict(self.failure_result)
        merged.update(result)
        merged.update(error.result())
        self.fail_json(**merged)
