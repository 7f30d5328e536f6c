# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""oracle.mlflow.iam_dynamic_group and oracle.mlflow.iam_policy, run by `ansible-playbook` against the OCI
emulator's Identity service; then the policies they write, enforced on a real principal.

Each action runs four ways in one play (check, real, idempotent, idempotent check); several plays keep going past
failing tasks (ignore_errors) to collect one clear line per bad input. The emulator's state and its request log
(which calls were made, which policy check denied a read) are the evidence.
"""

from __future__ import annotations

import pytest

from oci_emulator import realm

DG = "oracle.mlflow.iam_dynamic_group"
POLICY = "oracle.mlflow.iam_policy"
FOUR_WAYS = (True, False, False, True)
RULE = f"ALL {{instance.compartment.id = '{realm.COMPARTMENT}', resource.type = 'computecontainerinstance'}}"
SAME_RULE = f'all{{ RESOURCE.TYPE="computecontainerinstance" ,\n instance.compartment.id = "{realm.COMPARTMENT}" }}'
OTHER_RULE = f"ANY {{instance.compartment.id = '{realm.COMPARTMENT}'}}"
STATEMENTS = [
    "allow dynamic-group mlflow-dg to read secret-bundles in compartment emulator",
    "allow dynamic-group mlflow-dg to manage objects in compartment emulator where target.bucket.name = 'mlflow-art'",
    "allow dynamic-group mlflow-dg to read buckets in compartment emulator",
]
SAME_STATEMENTS = [  # reordered, re-spaced, keywords and names in another case, other quotes
    'Allow dynamic-group MLflow-DG to READ buckets in compartment Emulator',
    "ALLOW dynamic-group mlflow-dg to manage objects IN compartment emulator WHERE target.bucket.name=\"mlflow-art\"",
    "allow   dynamic-group mlflow-dg\n to read secret-bundles in compartment emulator",
]


@pytest.fixture
def play(run_play, tmp_path, env):
    """play(tasks, module_defaults=None) -> each task's result (tasks from `task`)."""
    return lambda tasks, module_defaults=None: run_play(tmp_path, tasks, module_defaults=module_defaults, env=env)


def task(module, args, check=False, **extra):
    return {module: args, "check_mode": check, "diff": True, **extra}


def four_ways(module, args):
    return [task(module, args, check=check) for check in FOUR_WAYS]


def writes(emu):
    return [(e["method"], e["path"].rsplit("/", 1)[0] if e["method"] != "POST" else e["path"], e["status"])
            for e in emu.requests_for("identity") if e["method"] in ("POST", "PUT", "DELETE")]


def changed(results):
    return [r.get("changed") for r in results]


def assert_failed(result, kind, *phrases):
    assert result.get("failed") and result["error_kind"] == kind, result
    for phrase in phrases:
        assert phrase in result["msg"], result["msg"]
    assert "\n" not in result["msg"]


# -- iam_dynamic_group --------------------------------------------------------------------------------------

def test_dynamic_group_lifecycle_four_ways(play, emu):
    args = {"name": "mlflow-dg", "matching_rule": RULE, "description": "MLflow servers"}
    tasks = (four_ways(DG, args)
             + [task(DG, dict(args, matching_rule=SAME_RULE), check) for check in (True, False)]
             + four_ways(DG, dict(args, matching_rule=OTHER_RULE, description="changed"))
             + four_ways(DG, {"name": "mlflow-dg", "state": "absent"}))

    results = play(tasks)

    create, same, update, absent = results[:4], results[4:6], results[6:10], results[10:]
    assert changed(create) == [True, True, False, False]
    assert changed(same) == [False, False], "the same rule written otherwise is no change"
    assert changed(update) == [True, True, False, False]
    assert changed(absent) == [True, True, False, False]
    assert not any(r.get("failed") for r in results), results
    check, real = create[0], create[1]
    assert check["dynamic_group"] is None
    group = real["dynamic_group"]
    assert (group["name"], group["compartment_id"], group["matching_rule"], group["lifecycle_state"]) == (
        "mlflow-dg", realm.TENANCY, RULE, "ACTIVE"), "created CREATING, waited for ACTIVE"
    assert check["diff"] == real["diff"] == {
        "before": {"state": "absent", "name": "mlflow-dg"},
        "after": {"state": "present", "name": "mlflow-dg", "description": "MLflow servers", "matching_rule": RULE}}
    assert create[2]["dynamic_group"]["id"] == group["id"]
    assert create[2]["diff"]["before"] == create[2]["diff"]["after"]
    assert same[1]["dynamic_group"]["matching_rule"] == RULE
    assert update[0]["diff"]["before"]["matching_rule"] == RULE
    assert update[0]["diff"]["after"] == {"state": "present", "name": "mlflow-dg", "description": "changed",
                                          "matching_rule": OTHER_RULE}
    assert update[1]["dynamic_group"]["matching_rule"] == OTHER_RULE
    assert absent[0]["diff"]["after"] == {"state": "absent", "name": "mlflow-dg"}
    assert absent[1]["dynamic_group"] is None and emu.state.dynamic_groups == {}
    assert writes(emu) == [("POST", "/20160918/dynamicGroups", 200), ("PUT", "/20160918/dynamicGroups", 200),
                           ("DELETE", "/20160918/dynamicGroups", 204)]
    assert {e["principal"]["type"] for e in emu.requests_for("identity")} == {"api_key"}


def test_dynamic_group_bad_inputs(play, emu):
    emu.state.add_dynamic_group("MLflow-Servers", OTHER_RULE)
    emu.state.iam_activation_seconds = None  # what the module creates stays CREATING
    cases = [
        ({"name": "a", "matching_rule": RULE, "compartment_id": realm.COMPARTMENT},
         "invalid", f"compartment_id '{realm.COMPARTMENT}' is the OCID of a compartment: expected a tenancy OCID"),
        ({"name": "a", "matching_rule": RULE, "compartment_id": "ocid1.tenancy.octest..NOT-LOWER"},
         "invalid", "is not a well-formed OCID"),
        ({"name": "a b", "matching_rule": RULE}, "invalid", "'a b' is not a dynamic group name"),
        ({"name": "a"}, "invalid", "matching_rule is required with state=present"),
        ({"name": "mlflow-servers", "matching_rule": RULE}, "conflict",
         "The dynamic group named 'MLflow-Servers'", "OCI names are unique whatever their case"),
        ({"name": "tagged", "matching_rule": "tag.ops.team.value"}, "invalid",
         "Creating dynamic group 'tagged' in the tenancy", "400 InvalidParameter", "unknown variable"),
        ({"name": "slow", "matching_rule": RULE, "wait_timeout": 2}, "timeout",
         "Gave up after 2 s waiting for dynamic group 'slow' (ocid1.dynamicgroup.", "to be ACTIVE: its last state was "
                                                                                    "CREATING"),
    ]

    absent_in_another_case = task(DG, {"name": "mlflow-servers", "state": "absent"})

    results = play([task(DG, args, ignore_errors=True) for args, *_ in cases] + [absent_in_another_case])

    for result, (_, kind, *phrases) in zip(results, cases, strict=False):
        assert_failed(result, kind, *phrases)
    assert results[-1]["changed"] is False, "absent deletes only the group of exactly that name"
    assert [w[0] for w in writes(emu)] == ["POST", "POST"], "only the refused rule and the slow group were sent"
    assert sorted(g.name for g in emu.state.dynamic_groups.values()) == ["MLflow-Servers", "slow"]


# -- iam_policy ---------------------------------------------------------------------------------------------

def test_policy_lifecycle_four_ways(play, emu):
    emu.state.add_dynamic_group("mlflow-dg", OTHER_RULE)
    args = {"name": "mlflow-policy", "compartment_id": realm.TENANCY, "statements": STATEMENTS,
            "version_date": "2024-01-01"}
    fewer = dict(args, statements=STATEMENTS[:2], description="two statements", version_date="")
    tasks = (four_ways(POLICY, args)
             + [task(POLICY, dict(args, statements=SAME_STATEMENTS), check) for check in (True, False)]
             + four_ways(POLICY, fewer)
             + four_ways(POLICY, {"name": "mlflow-policy", "compartment_id": realm.TENANCY, "state": "absent"}))

    results = play(tasks)

    create, same, update, absent = results[:4], results[4:6], results[6:10], results[10:]
    assert not any(r.get("failed") for r in results), results
    assert changed(create) == [True, True, False, False]
    assert changed(same) == [False, False], "the same statements written otherwise are no change"
    assert changed(update) == [True, True, False, False]
    assert changed(absent) == [True, True, False, False]
    policy = create[1]["policy"]
    assert (policy["statements"], policy["version_date"], policy["lifecycle_state"], policy["description"]) == (
        STATEMENTS, "2024-01-01", "ACTIVE", "Managed by Ansible (oracle.mlflow.iam_policy)")
    assert create[0]["policy"] is None and create[0]["diff"] == create[1]["diff"]
    assert create[0]["diff"]["after"]["statements"] == STATEMENTS
    assert same[1]["policy"]["statements"] == STATEMENTS, "left as OCI has them"
    assert update[0]["diff"]["before"]["statements"] == STATEMENTS
    assert update[0]["diff"]["after"] | {"compartment_id": None} == {
        "state": "present", "name": "mlflow-policy", "compartment_id": None, "description": "two statements",
        "statements": STATEMENTS[:2], "version_date": None}
    assert (update[1]["policy"]["statements"], update[1]["policy"]["version_date"]) == (STATEMENTS[:2], None)
    assert update[2]["diff"]["before"] == update[2]["diff"]["after"]
    assert absent[1]["policy"] is None and emu.state.policies == {}
    assert writes(emu) == [("POST", "/20160918/policies", 200), ("PUT", "/20160918/policies", 200),
                           ("DELETE", "/20160918/policies", 204)]


def test_policy_bad_inputs_and_a_name_taken_in_another_compartment(play, emu):
    emu.state.add_dynamic_group("mlflow-dg", OTHER_RULE)
    team = emu.state.add_compartment("iam-team")
    taken = emu.state.add_policy("mlflow", STATEMENTS[:1], compartment_id=realm.TENANCY)
    emu.state.iam_activation_seconds = None
    here = {"compartment_id": realm.COMPARTMENT, "statements": ["allow dynamic-group mlflow-dg to read buckets in "
                                                                "compartment id %s" % realm.COMPARTMENT]}
    clash = (f"A policy named 'mlflow' ({taken.id}) already exists in compartment '{realm.TENANCY_NAME}' "
             f"({realm.TENANCY}): policy names are unique in the tenancy", f"compartment_id: {realm.TENANCY}")
    cases = [
        (dict(here, name="mlflow"), True, "conflict", *clash),
        (dict(here, name="mlflow"), False, "conflict", *clash),
        (dict(here, name="a", compartment_id=realm.INSTANCE), False, "invalid",
         "is the OCID of an instance: expected a compartment OCID (ocid1.compartment.<realm>..<unique id>) or "
         "tenancy OCID"),
        (dict(here, name="a", compartment_id="ocid1.compartment.octest..aaaa aaaa"), False, "invalid",
         "is not a well-formed OCID"),
        (dict(here, name="a", statements=[]), False, "invalid", "statements is required with state=present"),
        (dict(here, name="a", version_date="01/02/2024"), False, "invalid", "version_date '01/02/2024' is not a date"),
        (dict(here, name="a", statements=["allow group Administrators to read buckets in compartment iam-team"]),
         False, "invalid", "Creating policy 'a' in compartment", "400 InvalidParameter",
         "statement 1 (", "does not understand 'group' subjects"),
        (dict(here, name="a", compartment_id=team.id,
              statements=["allow dynamic-group mlflow-dg to read buckets in tenancy"]), False, "invalid",
         "'in tenancy' is only allowed in a policy attached to the tenancy"),
        (dict(here, name="nowhere", compartment_id="ocid1.compartment.octest..aaaaaaaanothere"), False, "missing",
         "Listing the policies of compartment ocid1.compartment.octest..aaaaaaaanothere failed [404"),
        (dict(here, name="slow", wait_timeout=2), False, "timeout",
         "Gave up after 2 s waiting for policy 'slow' (ocid1.policy.", "its last state was CREATING"),
    ]
    tasks = [task(POLICY, args, check, ignore_errors=True) for args, check, *_ in cases]
    # The action group: module_defaults set the OCI options of both modules (an instance principal here).
    tasks.append({"module_defaults": {"group/oracle.mlflow.oci": {"auth_type": "instance_principal"}},
                  "block": [task(DG, {"name": "absent-dg", "state": "absent"}),
                            task(POLICY, {"name": "absent", "compartment_id": team.id, "state": "absent"})]})

    results = play(tasks)

    for result, (_, _, kind, *phrases) in zip(results, cases, strict=False):
        assert_failed(result, kind, *phrases)
    assert changed(results[len(cases):]) == [False, False]
    assert [(w[0], w[2]) for w in writes(emu)] == [("POST", 409), ("POST", 400), ("POST", 400), ("POST", 200)]
    assert sorted(p.name for p in emu.state.policies.values()) == ["mlflow", "slow"]
    by_instance = [e for e in emu.requests_for("identity") if e["principal"]["type"] == "instance_principal"]
    assert [(e["method"], e["path"]) for e in by_instance] == [
        ("GET", "/20160918/dynamicGroups"), ("GET", "/20160918/policies")]


# -- the policies enforced on a real principal ----------------------------------------------------------------

def test_an_instance_principal_reads_a_secret_only_while_a_policy_grants_it(play, emu):
    """A named instance (its own OCID, federating through the emulator's metadata and auth services) reads a
    Vault secret with oracle.mlflow.vault_secret_info: denied with no policy, allowed once iam_dynamic_group and
    iam_policy granted it, denied again once the statement is gone; the log shows each check."""
    host = emu.state.add_named_instance("iam-e2e-host")
    secret_id = emu.state.add_secret("iam-e2e-db", '{"password": "not-shown"}')
    emu.state.enforce_policies(True)
    read = task("oracle.mlflow.vault_secret_info", {"secret_id": secret_id, "auth_type": "instance_principal"},
                ignore_errors=True, environment={"OCI_METADATA_BASE_URL": f"{emu.url}/instances/{host.name}/opc/v2"})
    grant = f"allow dynamic-group iam-e2e-hosts to read secret-bundles in compartment id {realm.COMPARTMENT}"
    policy = {"name": "iam-e2e", "compartment_id": realm.COMPARTMENT, "description": "e2e"}
    other = f"allow dynamic-group iam-e2e-hosts to read buckets in compartment id {realm.COMPARTMENT}"

    results = play([
        read,
        task(DG, {"name": "iam-e2e-hosts", "matching_rule": f"ANY {{instance.id = '{host.instance_id}'}}"}),
        task(POLICY, dict(policy, statements=[grant, other])),
        read,
        task(POLICY, dict(policy, statements=[other])),
        read,
    ])

    before, group, granted, allowed, revoked, after = results
    assert_failed(before, "missing", "404 NotAuthorizedOrNotFound")
    assert group["changed"] and group["dynamic_group"]["lifecycle_state"] == "ACTIVE"
    assert granted["changed"] and granted["policy"]["lifecycle_state"] == "ACTIVE"
    assert not allowed.get("failed") and allowed["censored"], allowed
    assert revoked["changed"] and revoked["policy"]["statements"] == [other]
    assert_failed(after, "missing", "404 NotAuthorizedOrNotFound")
    reads = emu.requests_for("vault")
    assert [(e["status"], e["principal"]["type"], e["principal"]["id"]) for e in reads] == [
        (404, "instance_principal", host.instance_id), (200, "instance_principal", host.instance_id),
        (404, "instance_principal", host.instance_id)]
    checks = [e["policy"] for e in reads]
    assert [[(c["permission"], c["dynamic_groups"], c["allowed"], c["statement"]) for c in entry] for entry in checks] == [
        [("SECRET_BUNDLE_READ", [], False, None)],
        [("SECRET_BUNDLE_READ", ["iam-e2e-hosts"], True, grant)],
        [("SECRET_BUNDLE_READ", ["iam-e2e-hosts"], False, None)]]
    assert {e["principal"]["type"] for e in emu.requests_for("identity")} == {"api_key"}, "the admin wrote them"
