# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""oracle.mlflow.object_storage_bucket, run by `ansible` against the OCI emulator's Object Storage.

Each action runs four times (check, real, idempotent, idempotent check); the emulator's state and its
request log (which principal made which call) are the evidence.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import unquote

import pytest

from oci_emulator import realm

BUCKET = "mlflow-artifacts"
PROBE = ".oracle-mlflow-write-probe-"


@pytest.fixture
def bucket(run_module, env):
    """bucket(args, check=False, diff=False, env=None) -> the module's result."""
    def run(args, check=False, diff=False, env=env):
        return run_module("object_storage_bucket", args, check=check, diff=diff, env=env)
    return run


def four_times(bucket, args):
    """check, real, idempotent, idempotent check (each with diff)."""
    return [bucket(args, check=check, diff=True) for check in (True, False, False, True)]


def calls(emu):
    return [(e["method"], unquote(e["path"].split("?")[0]), e["status"]) for e in emu.requests_for("object_storage")]


def writes(emu):
    return [c for c in calls(emu) if c[0] in ("POST", "PUT", "DELETE")]


# -- present ------------------------------------------------------------------------------------------

def test_create_four_times(bucket, emu):
    results = four_times(bucket, {"name": BUCKET, "compartment_id": realm.COMPARTMENT})

    assert [r["changed"] for r in results] == [True, True, False, False], results
    assert not any(r.get("failed") for r in results)
    check, real, again, again_check = results
    assert check["bucket"] is None and real["bucket"]["name"] == BUCKET
    assert real["bucket"]["compartment_id"] == realm.COMPARTMENT
    assert real["bucket"]["public_access_type"] == "NoPublicAccess"
    assert check["diff"] == real["diff"] == {
        "before": {"state": "absent", "name": BUCKET, "namespace": realm.NAMESPACE},
        "after": {"state": "present", "name": BUCKET, "namespace": realm.NAMESPACE,
                  "compartment_id": realm.COMPARTMENT, "storage_tier": "Standard"}}
    assert again["diff"]["before"] == again["diff"]["after"] == real["diff"]["after"]
    assert again["namespace"] == again["tenancy_namespace"] == realm.NAMESPACE
    assert emu.state.bucket(BUCKET) is not None
    assert [w for w in writes(emu)] == [("POST", "/n/%s/b" % realm.NAMESPACE, 200)]


def test_existing_bucket_writable_four_times(bucket, emu):
    emu.state.add_bucket(BUCKET)
    emu.state.put_object(BUCKET, "experiments/1/keep.txt", b"keep")

    results = four_times(bucket, {"name": BUCKET, "check_writable": True, "write_probe_prefix": "/experiments/"})

    assert [r["changed"] for r in results] == [False] * 4
    assert [r["writable"] for r in results] == [None, True, True, None]
    assert emu.state.objects(BUCKET) == {"experiments/1/keep.txt": 4}
    probes = [c for c in writes(emu) if PROBE in c[1]]
    assert [(m, s) for m, _, s in probes] == [("PUT", 200), ("DELETE", 204)] * 2
    assert all(p.startswith("/n/%s/b/%s/o/experiments/%s" % (realm.NAMESPACE, BUCKET, PROBE)) for _, p, _ in probes)


def test_instance_principal(bucket, emu):
    result = bucket({"name": BUCKET, "compartment_id": realm.COMPARTMENT, "auth_type": "instance_principal",
                     "check_writable": True})

    assert result["changed"] and result["writable"] is True
    assert {e["principal"]["type"] for e in emu.requests_for("object_storage")} == {"instance_principal"}
    assert emu.state.bucket(BUCKET).created_by == realm.INSTANCE
    assert emu.state.objects(BUCKET) == {}


def test_api_key_principal_is_logged(bucket, emu):
    emu.state.add_bucket(BUCKET)

    result = bucket({"name": BUCKET, "check_writable": True})

    assert result["writable"] is True
    assert {e["principal"]["type"] for e in emu.requests_for("object_storage")} == {"api_key"}


def test_action_group_sets_the_auth_type(tmp_path, env, emu):
    from test_vault_secret import playbook  # the one-play helper of the Vault tests

    emu.state.add_bucket(BUCKET)
    tasks = [{"module_defaults": {"group/oracle.mlflow.oci": {"auth_type": "instance_principal"}},
              "block": [{"oracle.mlflow.object_storage_bucket": {"name": BUCKET}}]}]

    rc, output, _ = playbook(tmp_path, env, tasks)

    assert rc == 0, output
    assert {e["principal"]["type"] for e in emu.requests_for("object_storage")} == {"instance_principal"}


# -- failures -----------------------------------------------------------------------------------------

def test_missing_bucket_without_compartment(bucket, emu):
    for check in (True, False):
        result = bucket({"name": BUCKET, "check_writable": True}, check=check)

        assert result["failed"] and result["error_kind"] == "missing"
        assert ("The bucket '%s' in namespace '%s' does not exist; create it or set compartment_id"
                % (BUCKET, realm.NAMESPACE)) in result["msg"]
        assert "missing IAM policy for that principal" in result["msg"] and "(auth_type=api_key)" in result["msg"]
    assert writes(emu) == []


def test_wrong_namespace(bucket, emu):
    emu.state.add_bucket(BUCKET)

    for args in ({"name": BUCKET, "namespace": "otherns"},
                 {"name": BUCKET, "namespace": "otherns", "compartment_id": realm.COMPARTMENT}):
        result = bucket(args)

        assert result["failed"] and result["error_kind"] == "namespace"
        assert ("Namespace 'otherns' is not the namespace of this principal's tenancy ('%s')" % realm.NAMESPACE
                in result["msg"])
        assert result["tenancy_namespace"] == realm.NAMESPACE
    assert writes(emu) == []


@pytest.mark.parametrize("status", [404, 401, 403])
def test_denied(bucket, emu, status):
    emu.state.add_bucket(BUCKET)
    emu.state.deny("api_key", status=status, service="object_storage")

    result = bucket({"name": BUCKET})

    assert result["failed"]
    if status == 404:  # what OCI answers without a policy: indistinguishable from a missing bucket
        assert result["error_kind"] == "missing"
        assert "missing IAM policy for that principal" in result["msg"]
    elif status == 401:
        assert result["error_kind"] == "denied"
        assert "OCI did not accept the credentials (auth_type=api_key)" in result["msg"]
    else:
        assert result["error_kind"] == "denied"
        assert "this may be a missing IAM policy for that principal" in result["msg"]
        assert "auth_type=api_key" in result["msg"] and "allow group" in result["msg"]


def test_denied_create_of_a_hidden_bucket(bucket, emu):
    """GetBucket 404 (no policy), CreateBucket 409: the bucket is there but hidden."""
    emu.state.add_bucket(BUCKET)
    emu.state.deny(realm.INSTANCE, service="object_storage")

    result = bucket({"name": BUCKET, "compartment_id": realm.COMPARTMENT, "auth_type": "instance_principal"})

    assert result["failed"] and result["error_kind"] == "denied"
    assert "allow dynamic-group" in result["msg"] and "auth_type=instance_principal" in result["msg"]


def test_principal_denied_on_one_bucket_only(bucket, emu):
    """deny(<principal OCID>) refuses the instance; the API key user is not affected."""
    emu.state.add_bucket(BUCKET)
    emu.state.deny(realm.INSTANCE, status=403, service="object_storage")

    ok = bucket({"name": BUCKET, "check_writable": True})
    denied = bucket({"name": BUCKET, "check_writable": True, "auth_type": "instance_principal"})

    assert ok["writable"] is True
    assert denied["failed"] and denied["error_kind"] == "denied" and "auth_type=instance_principal" in denied["msg"]
    assert emu.state.objects(BUCKET) == {}


@pytest.fixture
def refuse_puts(emu):
    """The emulator's deny is per principal or bucket, not per verb: to emulate a principal that may read
    the bucket but not write objects (a 'read buckets' policy without 'manage objects'), PutObject is
    answered as OCI does without a policy (404) for this test."""
    from oci_emulator.routing import ApiError

    routes = emu._server.router.routes
    index = next(i for i, r in enumerate(routes) if r.methods == "PUT" and "/o" in r.path and "/u" not in r.path)
    original = routes[index]

    def refuse(request, state):
        raise ApiError(404, "BucketNotFound", "Either the bucket named '%s' does not exist in the namespace '%s' or "
                       "you are not authorized to access it" % (request.params["bucket"], request.params["ns"]))

    routes[index] = dataclasses.replace(original, handler=refuse)
    yield
    routes[index] = original


def test_write_probe_refused(bucket, emu, refuse_puts):
    emu.state.add_bucket(BUCKET)

    for check in (True, False):
        result = bucket({"name": BUCKET, "check_writable": True, "write_probe_prefix": "mlflow"}, check=check)

        if check:  # check mode writes nothing, so it cannot tell
            assert result["writable"] is None and not result.get("failed")
        else:
            assert result["failed"] and result["error_kind"] == "denied"
            assert result["msg"].startswith("OCI refused writing the probe object 'mlflow/%s" % PROBE)
            assert "with auth_type=api_key [404 BucketNotFound" in result["msg"]
            assert "to manage objects in compartment" in result["msg"]
    assert emu.state.objects(BUCKET) == {}


# -- absent -------------------------------------------------------------------------------------------

def test_absent_four_times(bucket, emu):
    emu.state.add_bucket(BUCKET)

    results = four_times(bucket, {"name": BUCKET, "state": "absent"})

    assert [r["changed"] for r in results] == [True, True, False, False], results
    assert results[0]["diff"]["before"]["state"] == "present"
    assert results[0]["diff"]["after"] == {"state": "absent", "name": BUCKET, "namespace": realm.NAMESPACE}
    assert emu.state.bucket(BUCKET) is None
    assert [c for c in writes(emu)] == [("DELETE", "/n/%s/b/%s" % (realm.NAMESPACE, BUCKET), 204)]


def test_absent_refuses_a_non_empty_bucket(bucket, emu):
    emu.state.add_bucket(BUCKET)
    emu.state.put_object(BUCKET, "1/artifacts/model.pkl", b"model")

    for check in (True, False):
        result = bucket({"name": BUCKET, "state": "absent"}, check=check)

        assert result["failed"] and result["error_kind"] == "not_empty"
        assert "The bucket '%s' in namespace '%s' is not empty" % (BUCKET, realm.NAMESPACE) in result["msg"]
    assert emu.state.objects(BUCKET) == {"1/artifacts/model.pkl": 5}
    assert writes(emu) == []


def test_bad_options_fail_before_any_call(bucket, emu):
    cases = [({"name": "a/b"}, "is not a bucket name"),
             ({"name": BUCKET, "state": "absent", "check_writable": True}, "check_writable applies to state=present"),
             ({"name": BUCKET, "compartment_id": "compartment"}, "compartment_id 'compartment' is not an OCID"),
             ({"name": BUCKET, "timeout": 0}, "timeout must be at least 1 second")]
    for args, message in cases:
        result = bucket(args)
        assert result["failed"] and result["error_kind"] == "invalid" and message in result["msg"], result
    assert emu.requests_for("object_storage") == []


def test_principal_setup_failure(bucket):
    result = bucket({"name": BUCKET, "auth_type": "resource_principal"})

    assert result["failed"] and result["error_kind"] == "auth"
    assert result["msg"].startswith("Cannot authenticate to OCI with auth_type=resource_principal")
