"""Virtual Network through the unmodified SDK (`oci.core.VirtualNetworkClient`): VCNs with their
default security list, subnets, security lists under ETags (412 on a stale one), the concurrent-writer
hook, VNICs and their private IPs, seeding from another process, and the log naming who signed."""

from __future__ import annotations

import oci
import pytest
import requests
from oci.core.models import (
    CreateSecurityListDetails,
    CreateSubnetDetails,
    CreateVcnDetails,
    EgressSecurityRule,
    IngressSecurityRule,
    PortRange,
    TcpOptions,
    UpdateSecurityListDetails,
    UpdateSubnetDetails,
    UpdateVcnDetails,
)

from . import realm
from .networks import tcp_rule

NO_RETRY = oci.retry.NoneRetryStrategy()


def network_client(signer=None) -> oci.core.VirtualNetworkClient:
    if signer is None:
        return oci.core.VirtualNetworkClient(oci.config.from_file(), retry_strategy=NO_RETRY)
    return oci.core.VirtualNetworkClient({"region": realm.REGION}, signer=signer, retry_strategy=NO_RETRY)


def refusal(call, *args, **kwargs) -> oci.exceptions.ServiceError:
    with pytest.raises(oci.exceptions.ServiceError) as failure:
        call(*args, **kwargs)
    return failure.value


def tcp(source: str, port: int, description: str | None = None) -> IngressSecurityRule:
    return IngressSecurityRule(protocol="6", source=source, description=description,
                               tcp_options=TcpOptions(destination_port_range=PortRange(min=port, max=port)))


def calls(emu) -> list[tuple[str, str, int]]:
    return [(e["method"], e["path"].removeprefix("/20160918"), e["status"]) for e in emu.requests_for("virtual_network")]


@pytest.fixture
def emu(oci_emulator_env, clean_oci_emulator):
    return clean_oci_emulator


@pytest.fixture
def client(emu) -> oci.core.VirtualNetworkClient:
    return network_client()


@pytest.fixture
def vcn(emu):
    return emu.state.network.add_vcn("10.0.0.0/16", display_name="mlflow")


# -- VCNs and subnets ---------------------------------------------------------------------------------
def test_vcn_lifecycle_with_its_default_security_list(emu, client):
    created = client.create_vcn(CreateVcnDetails(compartment_id=realm.COMPARTMENT, cidr_block="10.0.0.0/16",
                                                 display_name="mlflow", dns_label="mlflow")).data

    assert client.base_client.get_endpoint() == f"https://{realm.service_host('iaas')}"
    assert (created.cidr_block, created.cidr_blocks, created.lifecycle_state, created.vcn_domain_name) == (
        "10.0.0.0/16", ["10.0.0.0/16"], "AVAILABLE", "mlflow.oraclevcn.com")
    assert created.id.startswith(f"ocid1.vcn.{realm.REALM_KEY.lower()}.{realm.REGION_KEY.lower()}.")
    default = client.get_security_list(created.default_security_list_id).data
    assert default.vcn_id == created.id and default.display_name == "Default Security List for mlflow"
    assert [(r.protocol, r.source, r.tcp_options and r.tcp_options.destination_port_range.min,
             r.icmp_options and (r.icmp_options.type, r.icmp_options.code)) for r in default.ingress_security_rules] == [
        ("6", "0.0.0.0/0", 22, None), ("1", "0.0.0.0/0", None, (3, 4)), ("1", "10.0.0.0/16", None, (3, None))]
    assert [(r.protocol, r.destination) for r in default.egress_security_rules] == [("all", "0.0.0.0/0")]

    updated = client.update_vcn(created.id, UpdateVcnDetails(display_name="mlflow-vcn")).data
    assert updated.display_name == "mlflow-vcn" and client.get_vcn(created.id).data.display_name == "mlflow-vcn"
    assert [v.id for v in client.list_vcns(realm.COMPARTMENT).data] == [created.id]
    assert client.list_vcns("ocid1.compartment.octest..aaaaaaaaother").data == []

    client.delete_vcn(created.id)
    assert refusal(client.get_vcn, created.id).code == "NotAuthorizedOrNotFound"
    assert refusal(client.get_security_list, created.default_security_list_id).status == 404
    assert [c[0] for c in calls(emu)] == ["POST", "GET", "PUT", "GET", "GET", "GET", "DELETE", "GET", "GET"]
    assert {e["principal"]["type"] for e in emu.requests_for("virtual_network")} == {"api_key"}


def test_subnets_stay_inside_their_vcn(emu, client, vcn):
    details = dict(compartment_id=realm.COMPARTMENT, vcn_id=vcn.id, display_name="mlflow")
    subnet = client.create_subnet(CreateSubnetDetails(cidr_block="10.0.1.0/24", **details)).data

    assert (subnet.vcn_id, subnet.cidr_block, subnet.security_list_ids, subnet.virtual_router_ip) == (
        vcn.id, "10.0.1.0/24", [vcn.default_security_list_id], "10.0.1.1")
    assert client.get_subnet(subnet.id).data.route_table_id == vcn.default_route_table_id
    for cidr, message in (("10.1.0.0/24", "is not within the VCN's CIDR blocks"),
                          ("10.0.1.128/25", "overlaps subnet"), ("10.0.2.7/24", "is not a valid CIDR block")):
        error = refusal(client.create_subnet, CreateSubnetDetails(cidr_block=cidr, **details))
        assert (error.status, error.code) == (400, "InvalidParameter") and message in error.message, error.message
    missing = refusal(client.create_subnet, CreateSubnetDetails(cidr_block="10.0.2.0/24", **details | {
        "vcn_id": vcn.id.replace("aaaaaaaa", "bbbbbbbb")}))
    assert (missing.status, missing.code) == (400, "RelatedResourceNotAuthorizedOrNotFound")
    assert [s.id for s in client.list_subnets(realm.COMPARTMENT, vcn_id=vcn.id).data] == [subnet.id]

    in_use = refusal(client.delete_vcn, vcn.id)
    assert (in_use.status, in_use.code) == (409, "Conflict") and subnet.id in in_use.message
    emu.state.network.add_vnic(subnet.id)
    assert refusal(client.delete_subnet, subnet.id).status == 409


def test_subnet_security_lists(emu, client, vcn):
    subnet = emu.state.network.add_subnet(vcn, "10.0.1.0/24")
    extra = emu.state.network.add_security_list(vcn, [tcp_rule("10.0.0.0/16", 5000)])
    other_vcn = emu.state.network.add_vcn("192.168.0.0/16")

    updated = client.update_subnet(subnet.id, UpdateSubnetDetails(
        security_list_ids=[vcn.default_security_list_id, extra.id])).data

    assert updated.security_list_ids == [vcn.default_security_list_id, extra.id]
    foreign = refusal(client.update_subnet, subnet.id, UpdateSubnetDetails(
        security_list_ids=[other_vcn.default_security_list_id]))
    assert foreign.code == "RelatedResourceNotAuthorizedOrNotFound"
    assert refusal(client.delete_security_list, extra.id).status == 409  # the subnet uses it
    default = refusal(client.delete_security_list, vcn.default_security_list_id)
    assert default.status == 409 and "default security list" in default.message


# -- security lists and ETags ------------------------------------------------------------------------
def test_update_under_the_etag_replaces_the_rules(emu, client, vcn):
    created = client.create_security_list(CreateSecurityListDetails(
        compartment_id=realm.COMPARTMENT, vcn_id=vcn.id, display_name="mlflow",
        ingress_security_rules=[tcp("10.0.0.0/16", 5000, "mlflow")],
        egress_security_rules=[EgressSecurityRule(protocol="all", destination="0.0.0.0/0")]))
    read = client.get_security_list(created.data.id)
    assert read.headers["etag"] == created.headers["etag"]
    assert read.data.ingress_security_rules[0].description == "mlflow"
    assert read.data.ingress_security_rules[0].is_stateless is False
    assert read.data.ingress_security_rules[0].source_type == "CIDR_BLOCK"

    rules = read.data.ingress_security_rules + [tcp("192.0.2.0/24", 443)]
    updated = client.update_security_list(read.data.id, UpdateSecurityListDetails(ingress_security_rules=rules),
                                          if_match=read.headers["etag"])

    assert updated.headers["etag"] != read.headers["etag"]
    assert [(r.source, r.tcp_options.destination_port_range.max) for r in updated.data.ingress_security_rules] == [
        ("10.0.0.0/16", 5000), ("192.0.2.0/24", 443)]
    assert [r.destination for r in updated.data.egress_security_rules] == ["0.0.0.0/0"], "egress not given: kept"
    stale = refusal(client.update_security_list, read.data.id, UpdateSecurityListDetails(ingress_security_rules=[]),
                    if_match=read.headers["etag"])
    assert (stale.status, stale.code) == (412, "NoEtagMatch")
    assert len(emu.state.network.ingress_rules(read.data.id)) == 2, "a refused update changes nothing"
    assert client.get_security_list(read.data.id).headers["etag"] == updated.headers["etag"]
    assert refusal(client.delete_security_list, read.data.id, if_match=read.headers["etag"]).status == 412
    client.delete_security_list(read.data.id, if_match=updated.headers["etag"])
    assert calls(emu)[-3:] == [("GET", f"/securityLists/{read.data.id}", 200),
                               ("DELETE", f"/securityLists/{read.data.id}", 412),
                               ("DELETE", f"/securityLists/{read.data.id}", 204)]


@pytest.mark.parametrize(("rule", "message"), [
    (tcp("10.0.0.0/33", 80), "is not a valid CIDR block"),
    (tcp("10.0.0.1/24", 80), "has host bits set"),
    (tcp("10.0.0.0/24", 0), "must be a port number from 1 to 65535"),
    (IngressSecurityRule(protocol="17", source="10.0.0.0/24", tcp_options=TcpOptions()), "tcpOptions needs protocol 6"),
    (IngressSecurityRule(protocol="tcp", source="10.0.0.0/24"), "protocol must be 'all' or an IP protocol number"),
    (IngressSecurityRule(protocol="6", source="10.0.0.0/24", description="x" * 256), "at most 255 characters"),
])
def test_rules_are_checked(emu, client, vcn, rule, message):
    error = refusal(client.update_security_list, vcn.default_security_list_id,
                    UpdateSecurityListDetails(ingress_security_rules=[rule]))

    assert (error.status, error.code) == (400, "InvalidParameter") and message in error.message, error.message
    assert len(emu.state.network.ingress_rules(vcn.default_security_list_id)) == 3


def test_the_conflict_hook_plays_a_concurrent_writer(emu, client, vcn):
    security_list_id = vcn.default_security_list_id
    emu.state.network.fail_next_security_list_updates(2, security_list_id=security_list_id,
                                                      ingress_rules=[tcp_rule("198.51.100.0/24", 8080)])

    answers = []
    for _ in range(3):  # read, merge, update under the ETag: as a careful client does
        read = client.get_security_list(security_list_id)
        rules = read.data.ingress_security_rules + [tcp("192.0.2.0/24", 443)]
        try:
            client.update_security_list(security_list_id, UpdateSecurityListDetails(ingress_security_rules=rules),
                                        if_match=read.headers["etag"])
            answers.append(200)
            break
        except oci.exceptions.ServiceError as error:
            answers.append((error.status, error.code))

    assert answers == [(412, "NoEtagMatch"), (412, "NoEtagMatch"), 200]
    sources = [r["source"] for r in emu.state.network.ingress_rules(security_list_id)]
    assert sources == ["0.0.0.0/0", "0.0.0.0/0", "10.0.0.0/16", "198.51.100.0/24", "192.0.2.0/24"], \
        "the concurrent rule came in once (the second conflict only changed the ETag) and survived the merge"
    assert [c[2] for c in calls(emu) if c[0] == "PUT"] == [412, 412, 200]


def test_without_if_match_the_concurrent_change_is_lost(emu, client, vcn):
    emu.state.network.fail_next_security_list_updates(ingress_rules=[tcp_rule("198.51.100.0/24", 8080)])
    rules = client.get_security_list(vcn.default_security_list_id).data.ingress_security_rules

    client.update_security_list(vcn.default_security_list_id, UpdateSecurityListDetails(ingress_security_rules=rules))

    assert "198.51.100.0/24" not in [r["source"] for r in emu.state.network.ingress_rules(vcn.default_security_list_id)]
    assert emu.state.network.conflicts == []


def test_list_security_lists_pages(emu, client, vcn):
    extra = [emu.state.network.add_security_list(vcn, display_name=f"list-{i}") for i in range(3)]

    first = client.list_security_lists(realm.COMPARTMENT, vcn_id=vcn.id, limit=2)
    every = oci.pagination.list_call_get_all_results(client.list_security_lists, realm.COMPARTMENT, vcn_id=vcn.id,
                                                     limit=2).data
    by_name = client.list_security_lists(realm.COMPARTMENT, display_name="list-1").data

    assert len(first.data) == 2 and first.next_page
    assert [s.id for s in every] == [vcn.default_security_list_id] + [s.id for s in extra]
    assert [s.id for s in by_name] == [extra[1].id]
    missing = requests.get(f"{emu.url}/20160918/securityLists", timeout=10, proxies={"http": None})
    assert missing.status_code == 401  # unsigned


# -- VNICs --------------------------------------------------------------------------------------------
def test_get_vnic_with_its_private_ip(emu, vcn):
    subnet = emu.state.network.add_subnet(vcn, "10.0.1.0/24")
    first, second = emu.state.network.add_vnic(subnet), emu.state.network.add_vnic(subnet, display_name="mlflow")
    client = network_client(oci.auth.signers.InstancePrincipalsSecurityTokenSigner())

    vnic = client.get_vnic(second.id).data

    assert (first.private_ip, vnic.private_ip, vnic.subnet_id, vnic.display_name, vnic.lifecycle_state) == (
        "10.0.1.2", "10.0.1.3", subnet.id, "mlflow", "AVAILABLE")
    assert vnic.is_primary and vnic.public_ip is None and vnic.mac_address
    emu.state.network.remove_vnic(first.id)
    assert emu.state.network.add_vnic(subnet).private_ip == "10.0.1.2", "a freed address is handed out again"
    with pytest.raises(ValueError, match="is taken"):
        emu.state.network.add_vnic(subnet, private_ip="10.0.1.3")
    with pytest.raises(ValueError, match="not a usable address"):
        emu.state.network.add_vnic(subnet, private_ip="10.0.1.1")
    assert refusal(client.get_vnic, second.id.replace("aaaaaaaa", "bbbbbbbb")).status == 404
    assert emu.requests_for("virtual_network")[0]["principal"]["type"] == "instance_principal"


# -- seeding from another process ---------------------------------------------------------------------
def test_seed_over_http(emu, client):
    def seed(kind, **body):
        answer = requests.post(f"{emu.url}/_emulator/seed/{kind}", json=body, timeout=10, proxies={"http": None})
        return answer.status_code, answer.json()

    status, vcn = seed("vcn", cidr_block="10.0.0.0/16", display_name="mlflow")
    assert status == 200 and vcn["default_security_list_id"].startswith("ocid1.securitylist.")
    _, subnet = seed("subnet", vcn_id=vcn["vcn_id"], cidr_block="10.0.1.0/24")
    _, vnic = seed("vnic", subnet_id=subnet["subnet_id"])
    _, extra = seed("security-list", vcn_id=vcn["vcn_id"], ingress_rules=[tcp_rule("10.0.0.0/16", 5000)])
    assert seed("security-list-conflict", security_list_id=extra["security_list_id"], count=1) == (200, {
        "count": 1, "security_list_id": extra["security_list_id"], "ingress_rules": 0})

    assert client.get_vnic(vnic["vnic_id"]).data.private_ip == vnic["private_ip"] == "10.0.1.2"
    read = client.get_security_list(extra["security_list_id"])
    assert read.headers["etag"] == extra["etag"]
    assert refusal(client.update_security_list, extra["security_list_id"],
                   UpdateSecurityListDetails(ingress_security_rules=[]), if_match=read.headers["etag"]).status == 412
    assert seed("subnet", vcn_id=vcn["vcn_id"])[0] == 400
    assert seed("vcn", cidr_block="10.0.0.0/8")[1]["code"] == "InvalidParameter"
    assert seed("security-list", vcn_id=vcn["vcn_id"], ingress_rules=[{"protocol": "6"}])[0] == 400
    assert seed("security-list-conflict", security_list_id="ocid1.securitylist.octest.lts.nope")[0] == 400
