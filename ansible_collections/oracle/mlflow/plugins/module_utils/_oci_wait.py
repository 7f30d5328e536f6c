# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for OCI: a work request until it ends, a resource until it reaches a lifecycle state.

Private to this collection (underscore prefix): no compatibility promise outside it.

``wait_for_work_request(client, work_request_id, timeout)`` polls ``client.get_work_request(id).data``
(Container Instances' client, ``oci.work_requests.WorkRequestClient``, any with that method) until its
``status`` is SUCCEEDED (returned), FAILED or CANCELED (raised, with the errors
``client.list_work_request_errors(id)`` lists, if the client has that method).

``wait_for_state(get_fn, target_states, timeout)`` polls ``get_fn()`` (a resource with ``lifecycle_state``, or
a response whose ``data`` is one) until the state is a target (returned) or a failed state (raised). Waiting
for DELETED or TERMINATED, a 404 answer means the resource is gone: ``None`` is returned.

Both raise ``OracleMlflowError``: kind ``timeout`` when the time is up (the message names what was waited for,
its OCID, the last state seen and the seconds waited), ``error`` for a failed end, and the kinds of
``_oci_errors`` for an error answer or no answer while polling. In check mode (``check_mode=True``) nothing
was changed, so nothing is waited for: both return ``None`` at once without a call.

The SDK is used only through these attributes (duck typing); ``clock`` and ``sleep`` can be replaced, so
tests run with stand-ins and without waiting.
"""

from __future__ import annotations

import time

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_errors import (
    describe_service_error,
    endpoint_of,
    is_service_error,
    one_line,
    unreachable_error,
)

DEFAULT_POLL = 5  # seconds between two reads
WORK_REQUEST_SUCCEEDED = 'SUCCEEDED'
WORK_REQUEST_FAILED = ('FAILED', 'CANCELED')
GONE_STATES = ('DELETED', 'TERMINATED')
LISTED_ERRORS = 5  # a failed work request's errors named in the message, at most
STILL_RUNNING = 'It may still get there: check it in the OCI Console, then run again (or allow more time).'


def _read(call, client, doing, gone_ok=False):
    """``call()``, with error answers and connection failures as ``OracleMlflowError``; ``None`` for a 404
    when ``gone_ok``."""
    try:
        return call()
    except OracleMlflowError:
        raise
    except Exception as exc:
        if is_service_error(exc):
            if gone_ok and exc.status == 404:
                return None
            raise describe_service_error(exc, doing) from None
        if isinstance(exc, OSError):
            raise unreachable_error(exc, 'OCI', endpoint_of(client), doing) from None
        raise


def _poll(fetch, finished, timeout, poll, clock, sleep):
    """``fetch()`` until ``finished(result)``, at most ``timeout`` seconds (and at least once):
    ``(last result, finished, seconds waited)``."""
    if poll <= 0:
        raise ValueError('poll must be a positive number of seconds')
    started = clock()
    while True:
        result = fetch()
        elapsed = clock() - started
        if finished(result):
            return result, True, elapsed
        if elapsed >= timeout:
            return result, False, elapsed
        sleep(min(poll, timeout - elapsed))


def _seconds(elapsed):
    return int(round(elapsed))


# ---------------------------------------------------------------------------------------------
# Work requests


def work_request_errors(client, work_request_id):
    """``[{'code', 'message'}]`` that OCI lists for a work request, or ``None`` when the client cannot list
    them (no ``list_work_request_errors``, or the call failed)."""
    lister = getattr(client, 'list_work_request_errors', None)
    if lister is None:
        return None
    try:
        data = lister(work_request_id).data
    except Exception:  # an error answer, no answer: the failure is reported without its errors
        return None
    items = getattr(data, 'items', data)  # Container Instances: a collection; work_requests: a list
    if callable(items):
        items = data
    return [dict(code=getattr(item, 'code', None), message=one_line(getattr(item, 'message', None) or ''))
            for item in items or []]


def _errors_text(errors):
    if errors is None:
        return 'its errors could not be listed: see the work request in the OCI Console'
    if not errors:
        return 'OCI lists no errors for it: see the work request in the OCI Console'
    shown = [('%s: %s' % (error['code'], error['message']) if error['code'] else error['message']).rstrip('.')
             for error in errors[:LISTED_ERRORS]]
    more = ' (and %d more)' % (len(errors) - LISTED_ERRORS) if len(errors) > LISTED_ERRORS else ''
    return '%s%s. Fix what they say, then run again' % ('; '.join(shown), more)


def wait_for_work_request(client, work_request_id, timeout, doing=None, poll=DEFAULT_POLL, check_mode=False,
                          clock=time.monotonic, sleep=time.sleep):
    """The work request once it SUCCEEDED; raises ``OracleMlflowError`` when it FAILED or was CANCELED
    (``error``, its errors listed) or is still running after ``timeout`` seconds (``timeout``).

    ``doing`` says what the work request does, for messages (``creating container instance 'mlflow'``)."""
    if check_mode:
        return None
    what = 'work request %s%s' % (work_request_id, ' (%s)' % doing if doing else '')
    request, ended, elapsed = _poll(
        lambda: _read(lambda: client.get_work_request(work_request_id).data, client, 'reading %s' % what),
        lambda request: request.status == WORK_REQUEST_SUCCEEDED or request.status in WORK_REQUEST_FAILED,
        timeout, poll, clock, sleep)
    if not ended:
        percent = getattr(request, 'percent_complete', None)
        raise OracleMlflowError('timeout', 'Gave up after %d s waiting for %s to succeed: its last state was %s%s. %s'
                                % (_seconds(elapsed), what, request.status,
                                   ' (%g%% complete)' % percent if percent is not None else '', STILL_RUNNING),
                                work_request_id=work_request_id, last_state=request.status,
                                elapsed_seconds=_seconds(elapsed))
    if request.status != WORK_REQUEST_SUCCEEDED:
        errors = work_request_errors(client, work_request_id)
        raise OracleMlflowError('error', one_line('The %s ended %s: %s.' % (what, request.status, _errors_text(errors))),
                                work_request_id=work_request_id, last_state=request.status, errors=errors or [])
    return request


# ---------------------------------------------------------------------------------------------
# Lifecycle states


def _resource(answer):
    """The resource of ``get_fn()``'s answer: an SDK response's ``data``, or the resource itself."""
    if answer is not None and not hasattr(answer, 'lifecycle_state') and hasattr(answer, 'data'):
        return answer.data
    return answer


def wait_for_state(get_fn, target_states, timeout, what='the resource', failed_states=('FAILED',),
                   poll=DEFAULT_POLL, check_mode=False, clock=time.monotonic, sleep=time.sleep):
    """The resource once its ``lifecycle_state`` is one of ``target_states``; ``None`` when it is gone (404)
    and a target is DELETED or TERMINATED. Raises ``OracleMlflowError``: ``error`` when it reaches one of
    ``failed_states``, ``timeout`` when neither happened within ``timeout`` seconds.

    ``what`` names the resource for messages (``container instance 'mlflow'``); its OCID is added from
    the resource's ``id``."""
    if check_mode:
        return None
    targets = (target_states,) if isinstance(target_states, str) else tuple(target_states)
    failed = (failed_states,) if isinstance(failed_states, str) else tuple(failed_states or ())
    gone_ok = bool(set(targets) & set(GONE_STATES))
    resource, reached, elapsed = _poll(
        lambda: _resource(_read(get_fn, None, 'reading %s' % what, gone_ok=gone_ok)),
        lambda resource: resource is None or resource.lifecycle_state in targets + failed,
        timeout, poll, clock, sleep)
    if resource is None:
        return None
    state = resource.lifecycle_state
    ocid = getattr(resource, 'id', None)
    label = '%s%s' % (what, ' (%s)' % ocid if ocid and ocid not in what else '')
    wanted = ' or '.join(targets)
    if not reached:
        raise OracleMlflowError('timeout', 'Gave up after %d s waiting for %s to be %s: its last state was %s. %s'
                                % (_seconds(elapsed), label, wanted, state, STILL_RUNNING),
                                resource_id=ocid, last_state=state, elapsed_seconds=_seconds(elapsed))
    if state not in targets:
        details = getattr(resource, 'lifecycle_details', None)
        raise OracleMlflowError('error', one_line('%s is %s, not %s%s. See it in the OCI Console (its work requests '
                                                  'say why), then run again.'
                                                  % (label[:1].upper() + label[1:], state, wanted,
                                                     ': %s' % details if details else '')),
                                resource_id=ocid, last_state=state)
    return resource
