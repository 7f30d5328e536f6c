# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""oracle.mlflow.security_list_ingress, run by `ansible-playbook` against the OCI emulator's Virtual Network.

Each action runs four times in one play (check, real, idempotent, idempotent check); the security list the
emulator keeps (every rule, in order), its ETag and the request log are the evidence. The emulator's
concurrent-writer hook makes updates under a stale ETag answer 412, to prove the retry keeps the other change.
"""

from __future__ import annotations

import dataclasses

import pytest

from oci_emulator import realm
from oci_emulator.networks import normalize_rule, tcp_rule

MODULE = "oracle.mlflow.security_list_ingress"
CLIENTS = "192.0.2.0/24"


@pytest.fixture
def vcn(emu):
    return emu.state.network.add_vcn("10.0.0.0/16", display_name="mlflow")


@pytest.fixture
def play(run_play, tmp_path, env):
    """play(tasks, module_defaults=None) -> each task's result; a failing task does not stop the play."""
    def run(tasks, module_defaults=None):
        return run_play(tmp_path, [dict(task, ignore_errors=True) for task in tasks], module_defaults=module_defaults,
                        env=env)
    return run


def task(args, check=False):
    return {MODULE: args, "check_mode": check, "diff": True}


def four_times(play, args):
    """check, real, idempotent, idempotent check (each with diff)."""
    return play([task(args, check) for check in (True, False, False, True)])


def puts(emu):
    return [e["status"] for e in emu.requests_for("virtual_network") if e["method"] == "PUT"]


def oci_shape(rule):
    """A rule as the module returns it (the SDK's snake_case) from the emulator's camelCase JSON."""
    ports = rule["tcpOptions"]["destinationPortRange"] if rule["tcpOptions"] else None
    return {"protocol": rule["protocol"], "source": rule["source"], "source_type": rule["sourceType"],
            "is_stateless": rule["isStateless"], "description": rule["description"], "icmp_options": None,
            "udp_options": None, "tcp_options": {"destination_port_range": ports, "source_port_range": None}}


# -- present ------------------------------------------------------------------------------------------

def test_add_four_times_keeps_the_other_rules(play, emu, vcn):
    list_id = vcn.default_security_list_id
    before = emu.state.network.ingress_rules(list_id)
    egress = list(emu.state.network.security_list(list_id).egress_rules)
    args = {"security_list_id": list_id, "source": CLIENTS, "port": 5000, "description": "MLflow clients"}

    results = four_times(play, args)

    assert [r["changed"] for r in results] == [True, True, False, False], results
    assert not any(r.get("failed") for r in results)
    ours = tcp_rule(CLIENTS, 5000, description="MLflow clients")
    assert emu.state.network.ingress_rules(list_id) == before + [ours], "the defaults untouched and in order, ours last"
    assert emu.state.network.security_list(list_id).egress_rules == egress
    assert puts(emu) == [200], "one update, from the real run"
    check, real, again, _ = results
    assert check["diff"] == real["diff"] == {"before": {"security_list_id": list_id, "ingress_rules": []},
                                             "after": {"security_list_id": list_id, "ingress_rules": [oci_shape(ours)]}}
    assert again["diff"]["before"] == again["diff"]["after"] == real["diff"]["after"]
    assert real["rule"] == oci_shape(ours) and real["conflicts"] == 0
    assert real["security_list"]["etag"] == again["security_list"]["etag"] == emu.state.network.security_list(list_id).etag
    assert len(check["security_list"]["ingress_security_rules"]) == 3, "check mode shows the list as it is"
    assert real["security_list"]["ingress_security_rules"][-1] == oci_shape(ours)
    assert (real["security_list"]["vcn_id"], real["security_list"]["compartment_id"]) == (vcn.id, realm.COMPARTMENT)


def test_a_new_description_relabels_the_rule_in_place(play, emu, vcn):
    """The description is not what the rule is: a matching rule gets the new one where it stands; without a
    description any counts. (What else counts as the rule: tests/unit/plugins/test_security_list_rules.py.)"""
    rules = [tcp_rule("10.0.0.0/16", 22), tcp_rule("2001:DB8::/32", 8000, 8010, description="old"),
             tcp_rule("10.0.0.0/16", 443)]
    sl = emu.state.network.add_security_list(vcn, rules)
    base = {"security_list_id": sl.id, "source": "2001:db8::/32", "port": 8000, "port_max": 8010}

    relabel, without = play([task(base | {"description": "MLflow range"}), task(base)])

    assert (relabel["changed"], without["changed"]) == (True, False), (relabel, without)
    assert emu.state.network.ingress_rules(sl.id) == [
        rules[0], tcp_rule("2001:DB8::/32", 8000, 8010, description="MLflow range"), rules[2]]
    assert [r["description"] for r in relabel["diff"]["before"]["ingress_rules"]] == ["old"]
    assert [r["description"] for r in relabel["diff"]["after"]["ingress_rules"]] == ["MLflow range"]
    assert puts(emu) == [200]


def test_any_source_needs_allow_any_source(play, emu, vcn):
    list_id = vcn.default_security_list_id
    before = emu.state.network.ingress_rules(list_id)
    args = {"security_list_id": list_id, "source": "0.0.0.0/0", "port": 443}

    refused, allowed, removed = play([task(args), task(args | {"allow_any_source": True}),
                                      task(args | {"state": "absent"})])

    assert refused["failed"] and refused["error_kind"] == "invalid"
    assert refused["msg"] == ("source 0.0.0.0/0 lets every address on the internet reach TCP port 443: give the "
                              "clients' CIDR block instead, or set allow_any_source: true if that is really meant.")
    assert refused["rule"]["source"] == "0.0.0.0/0" and refused["security_list"] is None
    assert allowed["changed"] and not allowed.get("failed")
    assert removed["changed"] and not removed.get("failed"), "removing an open rule needs no flag"
    assert emu.state.network.ingress_rules(list_id) == before
    assert puts(emu) == [200, 200]


# -- absent -------------------------------------------------------------------------------------------

def test_remove_four_times_keeps_the_others_in_order(play, emu, vcn):
    near_misses = [tcp_rule(CLIENTS, 5000, stateless=True),  # stateless: another rule
                   normalize_rule({"protocol": "6", "source": CLIENTS, "tcpOptions": {
                       "destinationPortRange": {"min": 5000, "max": 5000},
                       "sourcePortRange": {"min": 1024, "max": 65535}}}),  # a source port range: another rule
                   tcp_rule("192.0.2.0/25", 5000), tcp_rule(CLIENTS, 5000, 5001),
                   normalize_rule({"protocol": "17", "source": CLIENTS, "udpOptions": {
                       "destinationPortRange": {"min": 5000, "max": 5000}}})]
    ours = [tcp_rule(CLIENTS, 5000, description="MLflow"), tcp_rule(CLIENTS, 5000)]  # a duplicate too
    sl = emu.state.network.add_security_list(vcn, [near_misses[0], ours[0], *near_misses[1:3], ours[1],
                                                   *near_misses[3:]])
    args = {"security_list_id": sl.id, "source": CLIENTS, "port": 5000, "state": "absent", "description": "ignored"}

    results = four_times(play, args)

    assert [r["changed"] for r in results] == [True, True, False, False], results
    assert emu.state.network.ingress_rules(sl.id) == near_misses
    assert [r["description"] for r in results[0]["diff"]["before"]["ingress_rules"]] == ["MLflow", None]
    assert results[0]["diff"]["after"]["ingress_rules"] == []
    assert puts(emu) == [200]


# -- concurrent writers -------------------------------------------------------------------------------

def test_a_concurrent_change_is_retried_and_survives(play, emu, vcn):
    """Two updates in a row find the list changed since it was read (412): the module reads and merges again,
    and the other writer's rule stays. The action group sets the principal."""
    list_id = vcn.default_security_list_id
    theirs = tcp_rule("198.51.100.0/24", 8080, description="another writer")
    emu.state.network.fail_next_security_list_updates(2, security_list_id=list_id, ingress_rules=[theirs])
    before = emu.state.network.ingress_rules(list_id)

    [result] = play([task({"security_list_id": list_id, "source": CLIENTS, "port": 443})],
                    module_defaults={"group/oracle.mlflow.oci": {"auth_type": "instance_principal"}})

    assert result["changed"] and not result.get("failed") and result["conflicts"] == 2, result
    assert emu.state.network.ingress_rules(list_id) == before + [theirs, tcp_rule(CLIENTS, 443)]
    assert puts(emu) == [412, 412, 200]
    assert [e["method"] for e in emu.requests_for("virtual_network")] == ["GET", "PUT"] * 3
    assert {e["principal"]["type"] for e in emu.requests_for("virtual_network")} == {"instance_principal"}


def test_when_the_retries_run_out(play, emu, vcn):
    list_id = vcn.default_security_list_id
    theirs = [tcp_rule("198.51.100.0/24", 8080), tcp_rule("203.0.113.0/24", 8080)]
    emu.state.network.fail_next_security_list_updates(3, security_list_id=list_id, ingress_rules=theirs)
    before = emu.state.network.ingress_rules(list_id)

    [result] = play([task({"security_list_id": list_id, "source": CLIENTS, "port": 443, "conflict_retries": 1})])

    assert result["failed"] and result["error_kind"] == "conflict" and result["conflicts"] == 2
    assert result["msg"].startswith("The security list %s kept changing under this task: OCI refused all 2 updates "
                                    "with 412 [412 NoEtagMatch: " % list_id)
    assert result["msg"].endswith("This task changed nothing; run again once the other writer is done, or raise "
                                  "conflict_retries (now 1).")
    assert "\n" not in result["msg"] and (result["status"], result["code"]) == (412, "NoEtagMatch")
    assert emu.state.network.ingress_rules(list_id) == before + theirs, "the other writer's rules, not ours"
    assert puts(emu) == [412, 412]


# -- failures -----------------------------------------------------------------------------------------

def test_bad_inputs_get_one_line_each(play, emu, vcn):
    """Bad options fail before any call (every case: tests/unit/plugins/test_security_list_rules.py); a
    well-formed OCID of no security list fails on the read."""
    cases = [
        ({"security_list_id": vcn.id}, "security_list_id '%s' is the OCID of a vcn, not of a security list" % vcn.id),
        ({"source": "10.0.0.5/24"}, "source '10.0.0.5/24' has bits set beyond its /24 prefix: write its network, "
                                    "10.0.0.0/24 (or 10.0.0.5/32 for that one address)."),
        ({"port": 5000, "port_max": 80}, "port_max 80 is lower than port 5000: the rule covers port to port_max."),
    ]
    base = {"security_list_id": vcn.default_security_list_id, "source": CLIENTS, "port": 443}
    missing = vcn.default_security_list_id[:-6] + "gone00"

    *invalid, gone = play([task(base | args) for args, _ in cases] + [task(base | {"security_list_id": missing})])

    for (args, message), result in zip(cases, invalid, strict=True):
        assert result["failed"] and result["error_kind"] == "invalid", (args, result)
        assert message in result["msg"] and "\n" not in result["msg"], (args, result["msg"])
    assert gone["failed"] and gone["error_kind"] == "missing" and gone["status"] == 404
    assert gone["msg"].startswith("The security list %s does not exist in region %s, or this principal cannot see "
                                  "it: OCI answers both with 404 [404 NotAuthorizedOrNotFound" % (missing, realm.REGION))
    assert "'allow group <group of this principal> to manage security-lists in compartment <compartment>' " \
           "(auth_type=api_key)" in gone["msg"] and "\n" not in gone["msg"]
    assert [(e["method"], e["path"]) for e in emu.requests_for("virtual_network")] == [
        ("GET", "/20160918/securityLists/%s" % missing)], "the bad options made no call"


@pytest.fixture
def refuse_updates(emu):
    """A principal that may read the list but not update it: OCI answers the update 404, as without a policy."""
    from oci_emulator.routing import not_found

    routes = emu._server.router.routes
    index = next(i for i, r in enumerate(routes) if r.methods == "PUT" and "securityLists" in r.path)
    original = routes[index]

    def refuse(request, state):
        raise not_found()

    routes[index] = dataclasses.replace(original, handler=refuse)
    yield
    routes[index] = original


def test_update_refused_after_the_read(play, emu, vcn, refuse_updates):
    list_id = vcn.default_security_list_id
    before = emu.state.network.ingress_rules(list_id)

    [result] = play([task({"security_list_id": list_id, "source": CLIENTS, "port": 443})])

    assert result["failed"] and result["error_kind"] == "denied"
    assert result["msg"].startswith("OCI refused updating the ingress rules of the security list %s with "
                                    "auth_type=api_key [404 NotAuthorizedOrNotFound" % list_id)
    assert "likely a missing IAM policy for updating it" in result["msg"]
    assert emu.state.network.ingress_rules(list_id) == before
