"""module_utils/_oci_errors.py: one formatter for OCI error answers (kind by status class, one line with the
status, code, the service's message, the opc-request-id and what to do), connection failures, and the
auth-failure text; and _oci_auth.check_timeout. No network: error answers are built by hand."""

from __future__ import annotations

import oci
import pytest

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_auth import DEFAULT_TIMEOUT, OciAuthError, check_timeout
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_errors import (
    ServiceAnswer,
    auth_error,
    describe_service_error,
    is_service_error,
    kind_of_status,
    policy_subject,
    reaching,
    unreachable_error,
)


def service_error(status, code="Code", message="The service's message.", request_id="REQ1"):
    headers = {"opc-request-id": request_id} if request_id else {}
    return oci.exceptions.ServiceError(status, code, headers, message)


# -- the formatter ------------------------------------------------------------------------------------

@pytest.mark.parametrize("status, code, kind, advice", [
    (400, "InvalidParameter", "invalid", "check the task's options"),
    (401, "NotAuthenticated", "denied", "Check the API key (uploaded to the user, same fingerprint)"),
    (403, "NotAuthorized", "denied", "IAM policy lets this principal"),
    (404, "NotAuthorizedOrNotFound", "missing", "OCI answers 404 as well when no IAM policy"),
    (409, "Conflict", "conflict", "wait and run again"),
    (412, "NoEtagMatch", "conflict", "changed since it was read (ETag)"),
    (429, "TooManyRequests", "error", "throttling"),
    (500, "InternalServerError", "error", "give the opc-request-id to Oracle support"),
    (503, "ServiceUnavailable", "error", "OCI failed on its side"),
    (418, "Teapot", "error", "Check the task's options, then run again."),
])
def test_every_status_class(status, code, kind, advice):
    error = describe_service_error(service_error(status, code), "reading the bucket 'b'")

    assert isinstance(error, OracleMlflowError) and error.kind == kind == kind_of_status(status)
    assert error.message.startswith("Reading the bucket 'b' failed [%s %s: The service's message. "
                                    "(opc-request-id REQ1)]. " % (status, code))
    assert advice in error.message
    assert error.details == {"status": status, "code": code, "opc_request_id": "REQ1"}


def test_request_id_absent():
    error = describe_service_error(service_error(404, "BucketNotFound", request_id=None), "reading the bucket 'b'")

    assert "opc-request-id" not in error.message
    assert error.details["opc_request_id"] is None
    assert error.message.startswith("Reading the bucket 'b' failed [404 BucketNotFound: The service's message.]. ")


def test_one_line_whatever_the_service_says():
    error = describe_service_error(service_error(500, message="line one\n  line two\r\n\tthree"),
                                   "creating\nthe policy 'p'", hint="Wait,\nthen run again")

    assert "\n" not in error.message and "\r" not in error.message and "\t" not in error.message
    assert error.message == ("Creating the policy 'p' failed [500 Code: line one line two three "
                             "(opc-request-id REQ1)]. Wait, then run again.")


def test_no_service_message():
    error = describe_service_error(service_error(403, "NotAuthorized", message=None), "deleting the bucket 'b'")

    assert error.message.startswith("Deleting the bucket 'b' failed [403 NotAuthorized (opc-request-id REQ1)]. ")


def test_hint_and_kind_can_be_given():
    error = describe_service_error(service_error(409), "reading secret s", hint="Do this.", kind="error")

    assert error.kind == "error" and error.message.endswith("]. Do this.")


def test_stand_ins_and_result_keys():
    """Duck typing: anything with status, code, message and request_id; the result keys for fail_json."""
    answer = ServiceAnswer(404, "NotFound", "gone", None)
    error = describe_service_error(answer, "reading x")

    assert is_service_error(answer) and is_service_error(service_error(500))
    assert not is_service_error(OSError("refused")) and not is_service_error(OracleMlflowError("error", "m"))
    assert error.result() == {"msg": "Reading x failed [404 NotFound: gone]. Check the name or OCID and the region; "
                                     "OCI answers 404 as well when no IAM policy lets this principal see the resource.",
                              "error_kind": "missing", "status": 404, "code": "NotFound", "opc_request_id": None}


# -- no answer ----------------------------------------------------------------------------------------

class Client:
    class base_client:  # noqa: N801 - the SDK's attribute name
        @staticmethod
        def get_endpoint():
            return "https://objectstorage.example"


def test_reaching_turns_connection_failures_into_one_error():
    with pytest.raises(OracleMlflowError) as failure:
        with reaching(Client(), "OCI Object Storage", "(GetBucket)"):
            raise oci.exceptions.RequestException("Failed to establish a new connection: [Errno 111] Connection "
                                                  "refused")

    assert failure.value.kind == "unreachable"
    assert failure.value.message == ("Cannot reach OCI Object Storage at https://objectstorage.example (GetBucket): "
                                     "[Errno 111] Connection refused")


def test_reaching_lets_answers_through_and_takes_a_kind_and_hint():
    with pytest.raises(oci.exceptions.ServiceError):
        with reaching(Client(), "OCI Object Storage"):
            raise service_error(404)
    with pytest.raises(OracleMlflowError) as failure:
        with reaching(object(), "Object Storage", "to look up the namespace", kind="error", hint="Give namespace"):
            raise OSError("Tunnel connection failed: 403 Forbidden")

    assert failure.value.kind == "error"
    assert failure.value.message == ("Cannot reach Object Storage to look up the namespace: proxy: Tunnel connection "
                                     "failed: 403 Forbidden. Give namespace.")


def test_unreachable_error_without_endpoint_or_doing():
    assert unreachable_error(ConnectionRefusedError(111, "Connection refused"), "OCI").message == (
        "Cannot reach OCI: [Errno 111] Connection refused")


# -- no identity --------------------------------------------------------------------------------------

def test_auth_error_texts():
    reason = OciAuthError("OCI config file /x not found.")

    assert auth_error("api_key", reason).result() == {
        "msg": "Cannot authenticate to OCI with auth_type=api_key: OCI config file /x not found.", "error_kind": "auth"}
    assert auth_error("instance_principal", reason, why="Looking up the namespace").message == (
        "Looking up the namespace with the OCI principal (auth_type=instance_principal) failed: OCI config file /x "
        "not found.")


def test_policy_subject_names_users_groups_and_principals_dynamic_groups():
    assert [policy_subject(t) for t in ("api_key", "security_token", "instance_principal", "resource_principal")] == [
        "group", "group", "dynamic-group", "dynamic-group"]


# -- timeout ------------------------------------------------------------------------------------------

def test_check_timeout():
    assert check_timeout(5) == 5 and check_timeout(None) == DEFAULT_TIMEOUT == 30
    for bad in (0, -1, True, "30"):
        with pytest.raises(OracleMlflowError) as failure:
            check_timeout(bad)
        assert failure.value.result() == {"msg": "timeout must be at least 1 second.", "error_kind": "invalid"}
