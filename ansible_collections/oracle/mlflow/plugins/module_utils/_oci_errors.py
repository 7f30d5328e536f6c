# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the oracle.mlflow plugins say when OCI answers with an error, when it does not answer, and when the
identity cannot be set up: one ``OracleMlflowError`` each, one line that says what to do.

Private to this collection (underscore prefix): no compatibility promise outside it.

* ``describe_service_error(exc, doing, hint=None)``: an error answer (``oci.exceptions.ServiceError`` or
  anything with its ``status``, ``code``, ``message`` and ``request_id``), its kind from the HTTP status.
* ``reaching(client, service, doing)``: a block whose connection failures (refused, DNS, TLS, proxy,
  timeouts: the SDK's and ``requests``' exceptions are all ``OSError``) become one ``unreachable`` error.
* ``auth_error(auth_type, exc)``: the principal could not be set up (``_oci_auth.OciAuthError``).
* ``policy_subject(auth_type)``: how an IAM policy names the principal (``group`` or ``dynamic-group``), for hints.

Nothing here imports the OCI SDK: the plugins' unit tests pass stand-ins.
"""

from __future__ import annotations

import contextlib
import re
from collections import namedtuple

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError

CREDENTIALS_HINT = ("check the API key (uploaded to the user, same fingerprint), the session or principal token, and "
                    "this host's clock")

# What to do, by HTTP status, when the caller has nothing more precise to say.
_HINTS = {
    400: "OCI found the request invalid: check the task's options (OCIDs, names, values).",
    401: CREDENTIALS_HINT[0].upper() + CREDENTIALS_HINT[1:] + '.',
    403: 'Check that an IAM policy lets this principal do this.',
    404: ('Check the name or OCID and the region; OCI answers 404 as well when no IAM policy lets this principal '
          'see the resource.'),
    409: 'The resource is in a state that does not allow this, or another change to it is in progress: wait and run '
         'again.',
    412: 'The resource changed since it was read (ETag): run again.',
    429: 'OCI is throttling the requests: run again later, or with fewer tasks at once.',
}
_SERVER_HINT = 'OCI failed on its side: run again; if it goes on, give the opc-request-id to Oracle support.'
_OTHER_HINT = "Check the task's options, then run again."

ServiceAnswer = namedtuple('ServiceAnswer', ['status', 'code', 'message', 'request_id'])
ServiceAnswer.__doc__ = """The parts of an OCI error answer, as ``oci.exceptions.ServiceError`` has them."""


def policy_subject(auth_type):
    """How an IAM policy statement names the principal of ``auth_type``: ``group`` for a user's API key or
    session, ``dynamic-group`` for an instance or resource principal."""
    return 'group' if auth_type in ('api_key', 'security_token') else 'dynamic-group'


def one_line(text):
    """``text`` with every run of white space (new lines included) folded into one space."""
    return ' '.join(str(text).split())


def _sentence(text):
    text = one_line(text)
    return text if not text or text[-1] in '.!?' else text + '.'


def _capitalized(text):
    return text[:1].upper() + text[1:]


def kind_of_status(status):
    """The error kind of an HTTP status: 404 missing, 401/403 denied, 409/412 conflict, 400 invalid, else error."""
    if status == 404:
        return 'missing'
    if status in (401, 403):
        return 'denied'
    if status in (409, 412):
        return 'conflict'
    if status == 400:
        return 'invalid'
    return 'error'


def service_answer(exc):
    """``404 NotAuthorizedOrNotFound: <the service's message> (opc-request-id <id>)``, on one line."""
    text = '%s %s' % (getattr(exc, 'status', None), getattr(exc, 'code', None))
    message = getattr(exc, 'message', None)
    if message:
        text += ': %s' % one_line(message)
    request_id = getattr(exc, 'request_id', None)
    if request_id:
        text += ' (opc-request-id %s)' % request_id
    return text


def service_details(exc):
    """The result keys of an error answer: ``status``, ``code``, ``opc_request_id``."""
    return dict(status=getattr(exc, 'status', None), code=getattr(exc, 'code', None),
                opc_request_id=getattr(exc, 'request_id', None))


def describe_service_error(exc, doing, hint=None, kind=None):
    """The ``OracleMlflowError`` for an OCI error answer to ``doing`` (``reading the bucket 'b'``).

    ``<Doing> failed [<status> <code>: <message> (opc-request-id <id>)]. <what to do>``; the kind is
    ``kind_of_status`` unless ``kind`` is given, and ``hint`` replaces the status's advice.
    """
    status = getattr(exc, 'status', None)
    if hint is None:
        hint = _HINTS.get(status) or (_SERVER_HINT if isinstance(status, int) and status >= 500 else _OTHER_HINT)
    message = '%s failed [%s]. %s' % (_capitalized(one_line(doing)), service_answer(exc), _sentence(hint))
    return OracleMlflowError(kind or kind_of_status(status), message, **service_details(exc))


def is_service_error(exc):
    """Whether ``exc`` is an answer of an OCI service (it has an integer ``status`` and a ``code``), as
    ``oci.exceptions.ServiceError`` is, rather than a failure to get one."""
    return isinstance(getattr(exc, 'status', None), int) and hasattr(exc, 'code')


# ---------------------------------------------------------------------------------------------
# No answer


def describe_request_error(exc):
    """The useful short text of a requests/urllib3 error: ``[Errno 111] Connection refused``,
    ``proxy: Tunnel connection failed: 403 Forbidden``, ``TLS: certificate verify failed``..."""
    text = str(exc)
    for pattern, prefix in ((r'Tunnel connection failed: [^\'")]*', 'proxy: '),
                            (r'\[Errno -?\d+\][^\'")]*', ''),
                            (r'certificate verify failed[^\'")]*', 'TLS: '),
                            (r'Failed to resolve [^\'")]*', ''),
                            (r'(?:Read|Connect) timed out[^\'")]*', '')):
        match = re.search(pattern, text)
        if match:
            return prefix + match.group(0).strip().rstrip('.')
    if 'SSLError' in text or 'SSL' in exc.__class__.__name__:
        return 'TLS error (%s)' % text[-200:]
    return '%s: %s' % (exc.__class__.__name__, text[:300]) if text else exc.__class__.__name__


def endpoint_of(client):
    """The endpoint an SDK client sends its requests to, or None."""
    base = getattr(client, 'base_client', None)
    try:
        return base.get_endpoint() if base is not None else None
    except Exception:  # a stand-in without one; the message then names the service only
        return None


def unreachable_error(exc, service, endpoint=None, doing=None, kind='unreachable', hint=None):
    """``Cannot reach <service> at <endpoint> <doing>: <reason>[. <hint>]`` for a connection failure."""
    where = service + (' at %s' % endpoint if endpoint else '') + (' %s' % doing if doing else '')
    message = 'Cannot reach %s: %s' % (where, describe_request_error(exc))
    if hint:
        message += '. %s' % _sentence(hint)
    return OracleMlflowError(kind, one_line(message))


@contextlib.contextmanager
def reaching(client, service, doing=None, kind='unreachable', hint=None):
    """Run the block; a connection failure in it (any ``OSError``) is raised as ``unreachable_error``. Error
    answers of the service (``ServiceError``) pass: the caller knows what they mean.

    ``service`` names it for users (``OCI Object Storage``); ``kind`` is what the module documents for it."""
    try:
        yield
    except OSError as exc:
        raise unreachable_error(exc, service, endpoint_of(client), doing, kind, hint) from None


# ---------------------------------------------------------------------------------------------
# No identity


def auth_error(auth_type, exc, why=None):
    """The ``auth`` error for an ``OciAuthError``: ``Cannot authenticate to OCI with auth_type=<t>: <reason>``,
    or, when ``why`` says what needed the principal, ``<why> with the OCI principal (auth_type=<t>) failed: ...``."""
    if why:
        return OracleMlflowError('auth', one_line('%s with the OCI principal (auth_type=%s) failed: %s'
                                                  % (why, auth_type, exc)))
    return OracleMlflowError('auth', one_line('Cannot authenticate to OCI with auth_type=%s: %s' % (auth_type, exc)))
