"""plugins/modules/security_list_ingress.py without a network: the one line each bad option gets, what counts
as the task's rule, and the merge that leaves every other rule as and where it was. The module's runs against
the emulator are tests/integration/test_security_list_ingress.py."""

from __future__ import annotations

import ipaddress

import pytest
from oci.core.models import IngressSecurityRule, PortRange, TcpOptions, UdpOptions

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.modules import security_list_ingress as module

OCID = "ocid1.securitylist.oc1.iad.aaaaaaaaexample"
NET = ipaddress.ip_network("192.0.2.0/24")


def params(**given):
    defaults = {"security_list_id": OCID, "source": "192.0.2.0/24", "port": 443, "port_max": None,
                "description": None, "state": "present", "allow_any_source": False, "conflict_retries": 4}
    return defaults | given


def refusal(**given) -> str:
    with pytest.raises(OracleMlflowError) as failure:
        module.check_options(params(**given))
    assert failure.value.kind == "invalid" and "\n" not in failure.value.message
    return failure.value.message


def tcp(source="192.0.2.0/24", low=443, high=None, description=None, **extra):
    return IngressSecurityRule(protocol="6", source=source, description=description, tcp_options=TcpOptions(
        destination_port_range=PortRange(min=low, max=high or low)), **extra)


# -- options ------------------------------------------------------------------------------------------

def test_good_options_are_normalized():
    assert module.check_options(params(source=" 2001:DB8::/32 ", port=5000, port_max=5010)) == (
        OCID, ipaddress.ip_network("2001:db8::/32"), (5000, 5010))
    assert module.check_options(params())[2] == (443, 443)
    assert module.check_options(params(source="0.0.0.0/0", allow_any_source=True))[1].prefixlen == 0
    assert module.check_options(params(source="::/0", state="absent"))[1].prefixlen == 0, "removing needs no flag"


@pytest.mark.parametrize(("given", "message"), [
    ({"security_list_id": "sl-1"}, "security_list_id 'sl-1' is not a security list OCID (ocid1.securitylist."
                                   "<realm>.<region>.<unique id>; the VCN's page in the OCI Console lists its "
                                   "security lists)."),
    ({"security_list_id": "ocid1.subnet.oc1.iad.aaaa"}, "security_list_id 'ocid1.subnet.oc1.iad.aaaa' is the OCID "
                                                        "of a subnet, not of a security list"),
    ({"security_list_id": "ocid1.securitylist.oc1.iad."}, "is not a security list OCID"),
    ({"source": "10.0.0.0/33"}, "source '10.0.0.0/33' is not an IPv4 or IPv6 CIDR block"),
    ({"source": "mlflow-clients"}, "source 'mlflow-clients' is not a CIDR block: write address/prefix, for example "
                                   "192.0.2.0/24."),
    ({"source": "10.0.0.5"}, "source '10.0.0.5' is not a CIDR block: write address/prefix, for example 10.0.0.5/32 "
                             "for that one address."),
    ({"source": "2001:db8::1"}, "for example 2001:db8::1/128 for that one address."),
    ({"source": "10.0.0.5/24"}, "source '10.0.0.5/24' has bits set beyond its /24 prefix: write its network, "
                                "10.0.0.0/24 (or 10.0.0.5/32 for that one address)."),
    ({"port": 0}, "port 0 is not a TCP port: use 1 to 65535."),
    ({"port_max": 70000}, "port_max 70000 is not a TCP port: use 1 to 65535."),
    ({"port": 5000, "port_max": 80}, "port_max 80 is lower than port 5000: the rule covers port to port_max."),
    ({"source": "0.0.0.0/0"}, "source 0.0.0.0/0 lets every address on the internet reach TCP port 443: give the "
                              "clients' CIDR block instead, or set allow_any_source: true if that is really meant."),
    ({"source": "::/0", "port_max": 444}, "source ::/0 lets every address on the internet reach TCP ports 443-444"),
    ({"description": "x" * 256}, "description has 256 characters; OCI allows at most 255."),
    ({"conflict_retries": 21}, "conflict_retries must be from 0 to 20, not 21."),
    ({"conflict_retries": -1}, "conflict_retries must be from 0 to 20, not -1."),
])
def test_each_bad_option_gets_one_line(given, message):
    assert message in refusal(**given)


# -- what counts as the rule --------------------------------------------------------------------------

@pytest.mark.parametrize(("rule", "counts"), [
    (tcp(), True),
    (tcp(description="anything"), True),
    (tcp(source_type="CIDR_BLOCK", is_stateless=False), True),
    (IngressSecurityRule(protocol="6", source="192.0.2.0/24"), False),  # all ports: 1-65535, not 443
    (tcp(low=442, high=443), False),
    (tcp(source="192.0.2.0/25"), False),
    (tcp(is_stateless=True), False),
    (tcp(source_type="SERVICE_CIDR_BLOCK"), False),
    (IngressSecurityRule(protocol="6", source="192.0.2.0/24", tcp_options=TcpOptions(
        destination_port_range=PortRange(min=443, max=443), source_port_range=PortRange(min=1024, max=65535))), False),
    (IngressSecurityRule(protocol="17", source="192.0.2.0/24", udp_options=UdpOptions(
        destination_port_range=PortRange(min=443, max=443))), False),
    (IngressSecurityRule(protocol="all", source="192.0.2.0/24"), False),
    (tcp(source="not a cidr"), False),
])
def test_what_counts_as_the_rule(rule, counts):
    assert module.is_this_rule(rule, NET, (443, 443)) is counts


def test_spelling_of_the_source_does_not_count():
    assert module.is_this_rule(tcp(source="2001:DB8:0::/32"), ipaddress.ip_network("2001:db8::/32"), (443, 443))


def test_a_rule_without_port_options_is_every_port():
    rule = IngressSecurityRule(protocol="6", source="192.0.2.0/24")
    assert module.is_this_rule(rule, NET, (1, 65535))


# -- merging ------------------------------------------------------------------------------------------

def test_present_appends_and_keeps_the_others_as_they_are():
    others = [tcp(source="10.0.0.0/16", low=22), tcp(low=444)]

    merged = module.merged(others, NET, (443, 443), "present", "MLflow")

    assert merged[:2] == others and merged[0] is others[0] and merged[1] is others[1]
    assert module.as_dict(merged[2]) == module.as_dict(module.new_rule(NET, (443, 443), "MLflow"))
    assert module.merged(merged, NET, (443, 443), "present", "MLflow") is None
    assert module.merged(merged, NET, (443, 443), "present", None) is None


def test_present_relabels_in_place_without_touching_the_rule_read():
    rules = [tcp(low=22), tcp(description="old"), tcp(low=444)]

    merged = module.merged(rules, NET, (443, 443), "present", "new")

    assert [r.description for r in merged] == [None, "new", None] and rules[1].description == "old"
    assert merged[0] is rules[0] and merged[2] is rules[2]
    with_duplicate = rules + [tcp(description="new")]
    assert module.merged(with_duplicate, NET, (443, 443), "present", "new") is None, "one of them has it already"


def test_absent_removes_every_copy_and_keeps_the_order():
    keep = [tcp(low=22), tcp(is_stateless=True), tcp(low=444)]
    rules = [keep[0], tcp(description="a"), keep[1], tcp(), keep[2]]

    assert module.merged(rules, NET, (443, 443), "absent", None) == keep
    assert module.merged(keep, NET, (443, 443), "absent", None) is None
