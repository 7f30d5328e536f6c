# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error class of the collection's plugins.

Private to this collection (underscore prefix): no compatibility promise outside it.

Every failure a plugin reports is an ``OracleMlflowError`` with a ``kind``, which modules return as
``error_kind`` (documented in each module's RETURN) so playbooks can branch on it, and a one-line
``message`` that says what happened and what to do. Plugins raise it from their logic and turn it into
``fail_json`` (or ``AnsibleError``) in one place.

Kinds (a module documents the subset it can return):

``invalid``
    the task's options are wrong; found before any call, or answered 400 by the service.
``auth``
    the identity (OCI principal, registry login) cannot be set up.
``missing``
    the thing named is not there, or not visible to the caller (OCI answers both with 404).
``denied``
    the service refused the caller (401, 403; a policy).
``conflict``
    the request clashes with the state of the resource (409, 412 on a stale ETag, a bucket not empty).
``format``
    an answer was read but its content is not what was asked for.
``timeout``
    a wait (work request, lifecycle state) did not end in time.
``unreachable``
    no answer from the service (connection refused, DNS, TLS, proxy, read timeout).
``error``
    anything else: server errors, unexpected answers.

Two kinds are narrower cases of these that ``object_storage_bucket`` has returned since 0.1.0:
``namespace`` (an Object Storage namespace that is not the principal's and shows no such bucket) and
``not_empty`` (a bucket to delete still holds objects).
"""

from __future__ import annotations

KINDS = ('invalid', 'auth', 'missing', 'denied', 'conflict', 'format', 'timeout', 'unreachable', 'error',
         'namespace', 'not_empty')


class OracleMlflowError(Exception):
    """A failure to report; ``kind`` is one of ``KINDS``, ``message`` one line for the user.

    ``details`` are extra result keys for the failing task (``status``, ``code``, ``opc_request_id``...).
    """

    def __init__(self, kind, message, **details):
        if kind not in KINDS:
            raise ValueError('unknown error kind %r' % (kind,))
        super(OracleMlflowError, self).__init__(message)
        self.kind = kind
        self.message = message
        self.details = details

    def result(self):
        """The keys a failing module returns: ``msg``, ``error_kind`` and the details."""
        result = dict(self.details)
        result.update(msg=self.message, error_kind=self.kind)
        return result
