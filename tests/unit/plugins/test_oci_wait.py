"""module_utils/_oci_wait.py with stand-in clients and a fake clock: work requests (success, FAILED with its
errors, CANCELED, timeout), lifecycle states (target, failed state, timeout, DELETED via 404), check mode,
and errors while polling. Nothing waits: the clock moves when the waiter sleeps."""

from __future__ import annotations

from types import SimpleNamespace

import oci
import pytest

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_wait import (
    wait_for_state,
    wait_for_work_request,
    work_request_errors,
)

WR = "ocid1.computecontainerinstanceworkrequest.oc1.iad.aaaawr"
CI = "ocid1.computecontainerinstance.oc1.iad.aaaaci"


class Clock:
    """time.monotonic and time.sleep stand-ins: sleeping moves the clock."""

    def __init__(self):
        self.now, self.sleeps = 1000.0, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock():
    return Clock()


def answer(data):
    return SimpleNamespace(data=data)


class WorkRequests:
    """A client with get_work_request (and, unless told otherwise, list_work_request_errors)."""

    def __init__(self, *states, errors=None, percent=None):
        self.states, self.errors, self.percent, self.calls = list(states), errors, percent, []

    def get_work_request(self, work_request_id):
        self.calls.append(("get_work_request", work_request_id))
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        if isinstance(state, Exception):
            raise state
        return answer(SimpleNamespace(id=work_request_id, status=state, percent_complete=self.percent))

    def list_work_request_errors(self, work_request_id):
        self.calls.append(("list_work_request_errors", work_request_id))
        if isinstance(self.errors, Exception):
            raise self.errors
        return answer(self.errors)


def failure(call, *args, **kwargs) -> OracleMlflowError:
    with pytest.raises(OracleMlflowError) as raised:
        call(*args, **kwargs)
    return raised.value


# -- work requests ------------------------------------------------------------------------------------

def test_work_request_success(clock):
    client = WorkRequests("ACCEPTED", "IN_PROGRESS", "IN_PROGRESS", "SUCCEEDED")

    request = wait_for_work_request(client, WR, 60, poll=5, clock=clock, sleep=clock.sleep)

    assert request.status == "SUCCEEDED" and request.id == WR
    assert clock.sleeps == [5, 5, 5]
    assert client.calls == [("get_work_request", WR)] * 4


def test_work_request_success_with_the_sdk_models(clock):
    """Container Instances' own models, as its client returns them."""
    models = oci.container_instances.models

    class Client:
        def get_work_request(self, work_request_id):
            return oci.response.Response(200, {}, models.WorkRequest(id=work_request_id, status="SUCCEEDED",
                                                                     percent_complete=100.0), None)

    assert wait_for_work_request(Client(), WR, 60, clock=clock, sleep=clock.sleep).percent_complete == 100.0
    assert clock.sleeps == []


def test_work_request_failed_lists_its_errors(clock):
    client = WorkRequests("IN_PROGRESS", "FAILED", errors=[
        SimpleNamespace(code="LimitExceeded", message="The service limit for\ncontainer instances is reached."),
        SimpleNamespace(code="InternalError", message="Out of capacity in AD-1.")])

    error = failure(wait_for_work_request, client, WR, 60, doing="creating container instance 'mlflow'",
                    clock=clock, sleep=clock.sleep)

    assert error.kind == "error"
    assert error.message == (
        "The work request %s (creating container instance 'mlflow') ended FAILED: LimitExceeded: The service limit for "
        "container instances is reached; InternalError: Out of capacity in AD-1. Fix what they say, then run again."
        % WR)
    assert error.details == {"work_request_id": WR, "last_state": "FAILED", "errors": [
        {"code": "LimitExceeded", "message": "The service limit for container instances is reached."},
        {"code": "InternalError", "message": "Out of capacity in AD-1."}]}


def test_work_request_errors_as_a_collection_and_many():
    """Container Instances answers a collection (items); the message names five and counts the rest."""
    items = [oci.container_instances.models.WorkRequestError(code="E%d" % n, message="m%d" % n) for n in range(7)]
    client = WorkRequests("FAILED", errors=oci.container_instances.models.WorkRequestErrorCollection(items=items))

    assert len(work_request_errors(client, WR)) == 7
    error = failure(wait_for_work_request, client, WR, 60)
    assert "E0: m0; E1: m1; E2: m2; E3: m3; E4: m4 (and 2 more). Fix what they say" in error.message


@pytest.mark.parametrize("errors, text", [
    ([], "ended CANCELED: OCI lists no errors for it: see the work request in the OCI Console."),
    (oci.exceptions.ServiceError(500, "InternalServerError", {}, "down"),
     "ended CANCELED: its errors could not be listed: see the work request in the OCI Console."),
])
def test_work_request_canceled_without_errors(errors, text):
    error = failure(wait_for_work_request, WorkRequests("CANCELED", errors=errors), WR, 60)

    assert error.kind == "error" and error.message.endswith(text) and error.details["errors"] == []


def test_work_request_client_without_an_error_list():
    class Client:
        def get_work_request(self, work_request_id):
            return answer(SimpleNamespace(status="FAILED"))

    assert "its errors could not be listed" in failure(wait_for_work_request, Client(), WR, 60).message


def test_work_request_timeout(clock):
    client = WorkRequests("ACCEPTED", "IN_PROGRESS", percent=40.0)

    error = failure(wait_for_work_request, client, WR, 12, doing="deleting container instance 'mlflow'", poll=5,
                    clock=clock, sleep=clock.sleep)

    assert error.kind == "timeout"
    assert error.message == (
        "Gave up after 12 s waiting for work request %s (deleting container instance 'mlflow') to succeed: its last "
        "state was IN_PROGRESS (40%% complete). It may still get there: check it in the OCI Console, then run again "
        "(or allow more time)." % WR)
    assert error.details == {"work_request_id": WR, "last_state": "IN_PROGRESS", "elapsed_seconds": 12}
    assert clock.sleeps == [5, 5, 2] and len(client.calls) == 4  # the last read is at the deadline


def test_work_request_error_answer_while_polling(clock):
    client = WorkRequests("IN_PROGRESS", oci.exceptions.ServiceError(404, "NotAuthorizedOrNotFound",
                                                                     {"opc-request-id": "R9"}, "gone"))

    error = failure(wait_for_work_request, client, WR, 60, clock=clock, sleep=clock.sleep)

    assert error.kind == "missing" and error.details["opc_request_id"] == "R9"
    assert error.message.startswith("Reading work request %s failed [404 NotAuthorizedOrNotFound: gone "
                                    "(opc-request-id R9)]." % WR)


def test_work_request_no_answer_while_polling():
    error = failure(wait_for_work_request, WorkRequests(ConnectionRefusedError(111, "Connection refused")), WR, 60)

    assert error.kind == "unreachable"
    assert error.message == "Cannot reach OCI reading work request %s: [Errno 111] Connection refused" % WR


def test_check_mode_never_waits(clock):
    client = WorkRequests("IN_PROGRESS")

    assert wait_for_work_request(client, WR, 60, check_mode=True, clock=clock, sleep=clock.sleep) is None
    assert wait_for_state(lambda: client.get_work_request(WR), "ACTIVE", 60, check_mode=True, clock=clock,
                          sleep=clock.sleep) is None
    assert client.calls == [] and clock.sleeps == []


def test_poll_must_be_positive():
    with pytest.raises(ValueError):
        wait_for_work_request(WorkRequests("IN_PROGRESS"), WR, 60, poll=0)


# -- lifecycle states ---------------------------------------------------------------------------------

class Resource:
    """get_fn stand-in: one lifecycle state (or exception) a call, the last one repeated."""

    def __init__(self, *states, details=None, response=False):
        self.states, self.details, self.response, self.calls = list(states), details, response, 0

    def __call__(self):
        self.calls += 1
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        if isinstance(state, Exception):
            raise state
        resource = SimpleNamespace(id=CI, lifecycle_state=state, lifecycle_details=self.details)
        return answer(resource) if self.response else resource


def test_state_reached(clock):
    get = Resource("CREATING", "CREATING", "ACTIVE", response=True)

    resource = wait_for_state(get, ["ACTIVE"], 60, what="container instance 'mlflow'", poll=3, clock=clock,
                              sleep=clock.sleep)

    assert resource.lifecycle_state == "ACTIVE" and get.calls == 3 and clock.sleeps == [3, 3]


def test_failed_state(clock):
    get = Resource("CREATING", "FAILED", details="Image pull failed:\nunauthorized")

    error = failure(wait_for_state, get, "ACTIVE", 60, what="container instance 'mlflow'", clock=clock,
                    sleep=clock.sleep)

    assert error.kind == "error"
    assert error.message == ("Container instance 'mlflow' (%s) is FAILED, not ACTIVE: Image pull failed: "
                             "unauthorized. See it in the OCI Console (its work requests say why), then run again." % CI)
    assert error.details == {"resource_id": CI, "last_state": "FAILED"}


def test_state_timeout(clock):
    error = failure(wait_for_state, Resource("UPDATING"), ("ACTIVE", "INACTIVE"), 10, poll=4, clock=clock,
                    sleep=clock.sleep)

    assert error.kind == "timeout"
    assert error.message == ("Gave up after 10 s waiting for the resource (%s) to be ACTIVE or INACTIVE: its last "
                             "state was UPDATING. It may still get there: check it in the OCI Console, then run again "
                             "(or allow more time)." % CI)
    assert error.details == {"resource_id": CI, "last_state": "UPDATING", "elapsed_seconds": 10}


def test_deleted_via_404(clock):
    gone = oci.exceptions.ServiceError(404, "NotAuthorizedOrNotFound", {}, "not found")
    get = Resource("DELETING", "DELETING", gone)

    assert wait_for_state(get, "DELETED", 60, clock=clock, sleep=clock.sleep) is None
    assert get.calls == 3


def test_deleted_state_itself(clock):
    assert wait_for_state(Resource("DELETED"), "DELETED", 60, clock=clock, sleep=clock.sleep).lifecycle_state \
        == "DELETED"


def test_404_is_an_error_unless_waiting_for_deletion(clock):
    gone = oci.exceptions.ServiceError(404, "NotAuthorizedOrNotFound", {}, "not found")

    error = failure(wait_for_state, Resource(gone), "ACTIVE", 60, what="policy 'mlflow'", clock=clock,
                    sleep=clock.sleep)

    assert error.kind == "missing" and error.message.startswith("Reading policy 'mlflow' failed [404 ")
