"""The Virtual Network as the emulated cloud keeps it: VCNs, their subnets and security lists, and
the VNICs that sit in subnets (with a private IP each).

`Network` holds them all, under the State's lock; `State.network` is a fresh one after every reset.
Every resource has an ETag that changes with each write, as OCI's Core resources do, so a client
can update under `if-match` (and get 412 when someone else wrote in between).

Security rules are kept in OCI's JSON shape (camelCase, every field present, null when unset), the
way GetSecurityList answers them: `normalize_rule` checks a rule as OCI would and fills in the
defaults. `tcp_rule(...)` builds one for tests.

A VCN comes with its default security list, holding OCI's default rules: SSH (TCP 22) from anywhere,
ICMP type 3 code 4 from anywhere, ICMP type 3 from the VCN's CIDR blocks, and all egress allowed.
Default route table and DHCP options are only OCIDs (nothing routes here).

Private IPs of VNICs come from their subnet's CIDR: as on OCI the first two addresses and the last
one are reserved, so the first VNIC in 10.0.1.0/24 gets 10.0.1.2.

The fault hook `fail_next_security_list_updates(count, ...)` plays a concurrent writer: each of the
next `count` UpdateSecurityList calls (of one list, or of any) finds the list changed since the
client read it (a rule added, when given, and a new ETag), so an update under the ETag the client
had answers 412, as it would on OCI. An update without `if-match` goes through and overwrites the
concurrent change: the lost update the ETag is there to prevent.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import ipaddress
import itertools
import threading
import uuid
from dataclasses import dataclass, field

from . import realm

LIFECYCLE_STATES = ("PROVISIONING", "AVAILABLE", "TERMINATING", "TERMINATED")
MAX_SECURITY_LISTS_PER_SUBNET = 5  # OCI's limit
MAX_DESCRIPTION = 255
RULE_PROTOCOLS = {"1": "ICMP", "6": "TCP", "17": "UDP", "58": "ICMPv6"}
_SOURCE_TYPES = ("CIDR_BLOCK", "SERVICE_CIDR_BLOCK")
_INGRESS_KEYS = ("description", "icmpOptions", "isStateless", "protocol", "source", "sourceType", "tcpOptions",
                 "udpOptions")
_EGRESS_KEYS = ("description", "destination", "destinationType", "icmpOptions", "isStateless", "protocol",
                "tcpOptions", "udpOptions")
_ORDER = itertools.count()  # creation order, for listings (timeCreated may tie)


def new_ocid(kind: str) -> str:
    unique = "aaaaaaaa" + hashlib.sha256(uuid.uuid4().bytes).hexdigest()[:52]
    return f"ocid1.{kind}.{realm.REALM_KEY.lower()}.{realm.REGION_KEY.lower()}.{unique}"


def new_etag() -> str:
    return uuid.uuid4().hex


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- rules --------------------------------------------------------------------------------------------
def _port_range(value, where: str) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"min", "max"}:
        raise ValueError(f"{where} must be {{min, max}}")
    low, high = value.get("min"), value.get("max")
    for name, port in (("min", low), ("max", high)):
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            raise ValueError(f"{where}.{name} must be a port number from 1 to 65535, not {port!r}")
    if low > high:
        raise ValueError(f"{where}.min ({low}) is greater than its max ({high})")
    return {"max": high, "min": low}


def _port_options(value, where: str) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"destinationPortRange", "sourcePortRange"}:
        raise ValueError(f"{where} must be {{destinationPortRange?, sourcePortRange?}}")
    return {"destinationPortRange": _port_range(value.get("destinationPortRange"), f"{where}.destinationPortRange"),
            "sourcePortRange": _port_range(value.get("sourcePortRange"), f"{where}.sourcePortRange")}


def _icmp_options(value, where: str) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"type", "code"} or not isinstance(value.get("type"), int):
        raise ValueError(f"{where} must be {{type, code?}} with integers")
    code = value.get("code")
    if not 0 <= value["type"] <= 255 or (code is not None and (not isinstance(code, int) or not 0 <= code <= 255)):
        raise ValueError(f"{where} type and code must be from 0 to 255")
    return {"code": code, "type": value["type"]}


def check_cidr(value, where: str) -> str:
    """`value` if it is an IPv4 or IPv6 CIDR block whose host bits are zero; ValueError otherwise."""
    if not isinstance(value, str) or "/" not in value:
        raise ValueError(f"{where} {value!r} is not a CIDR block (address/prefix)")
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{where} {value!r} is not a valid CIDR block ({exc})") from None
    return value


def normalize_rule(rule, direction: str = "ingress") -> dict:
    """The rule as OCI keeps and answers it, after OCI's checks (ValueError with the reason):
    protocol "all" or an IP protocol number as a string; a CIDR source (destination) for CIDR_BLOCK;
    tcpOptions only with protocol 6, udpOptions only with 17, icmpOptions only with 1 or 58; port
    ranges from 1 to 65535; a description of at most 255 characters; no unknown fields."""
    peer, peer_type, keys = (("source", "sourceType", _INGRESS_KEYS) if direction == "ingress"
                             else ("destination", "destinationType", _EGRESS_KEYS))
    if not isinstance(rule, dict):
        raise ValueError(f"an {direction} rule must be an object")
    unknown = sorted(set(rule) - set(keys))
    if unknown:
        raise ValueError(f"{direction} rule has unknown fields: {', '.join(unknown)}")
    protocol = rule.get("protocol")
    if not isinstance(protocol, str) or not (protocol == "all" or (protocol.isdigit() and int(protocol) <= 255)):
        raise ValueError(f"protocol must be 'all' or an IP protocol number as a string, not {protocol!r}")
    kind = rule.get(peer_type) or "CIDR_BLOCK"
    if kind not in _SOURCE_TYPES:
        raise ValueError(f"{peer_type} must be one of {', '.join(_SOURCE_TYPES)}")
    address = rule.get(peer)
    if kind == "CIDR_BLOCK":
        check_cidr(address, peer)
    elif not isinstance(address, str) or not address:
        raise ValueError(f"{peer} must name a service CIDR label")
    for options, allowed in (("tcpOptions", ("6",)), ("udpOptions", ("17",)), ("icmpOptions", ("1", "58"))):
        if rule.get(options) is not None and protocol not in allowed:
            raise ValueError(f"{options} needs protocol {' or '.join(allowed)}, not {protocol}")
    stateless = rule.get("isStateless")
    if stateless is not None and not isinstance(stateless, bool):
        raise ValueError("isStateless must be a boolean")
    description = rule.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > MAX_DESCRIPTION):
        raise ValueError(f"description must be a string of at most {MAX_DESCRIPTION} characters")
    return {"description": description, "icmpOptions": _icmp_options(rule.get("icmpOptions"), "icmpOptions"),
            "isStateless": bool(stateless), "protocol": protocol, peer: address, peer_type: kind,
            "tcpOptions": _port_options(rule.get("tcpOptions"), "tcpOptions"),
            "udpOptions": _port_options(rule.get("udpOptions"), "udpOptions")}


def normalize_rules(rules, direction: str) -> list[dict]:
    if not isinstance(rules, list):
        raise ValueError(f"{direction}SecurityRules must be a list")
    return [normalize_rule(rule, direction) for rule in rules]


def tcp_rule(source: str, port: int, port_max: int | None = None, *, description: str | None = None,
             stateless: bool = False) -> dict:
    """A TCP ingress rule from `source` to destination ports port..port_max (OCI's JSON shape)."""
    return normalize_rule({"protocol": "6", "source": source, "isStateless": stateless, "description": description,
                           "tcpOptions": {"destinationPortRange": {"min": port, "max": port_max or port}}})


def default_rules(cidr_blocks: list[str]) -> tuple[list[dict], list[dict]]:
    """(ingress, egress) of a new VCN's default security list, as OCI makes it."""
    ingress = [tcp_rule("0.0.0.0/0", 22),
               normalize_rule({"protocol": "1", "source": "0.0.0.0/0", "icmpOptions": {"type": 3, "code": 4}})]
    ingress += [normalize_rule({"protocol": "1", "source": cidr, "icmpOptions": {"type": 3}}) for cidr in cidr_blocks]
    egress = [normalize_rule({"protocol": "all", "destination": "0.0.0.0/0"}, "egress")]
    return ingress, egress


# -- resources ----------------------------------------------------------------------------------------
@dataclass
class NetworkResource:
    """What every Virtual Network resource has."""

    id: str
    compartment_id: str
    display_name: str
    lifecycle_state: str = "AVAILABLE"
    freeform_tags: dict = field(default_factory=dict)
    defined_tags: dict = field(default_factory=dict)
    etag: str = field(default_factory=new_etag)
    time_created: dt.datetime = field(default_factory=now)
    order: int = field(default_factory=lambda: next(_ORDER))

    def touch(self) -> None:
        """A write: a new ETag."""
        self.etag = new_etag()


@dataclass
class Vcn(NetworkResource):
    cidr_blocks: list[str] = field(default_factory=list)
    dns_label: str | None = None
    default_security_list_id: str = ""
    default_route_table_id: str = field(default_factory=lambda: new_ocid("routetable"))
    default_dhcp_options_id: str = field(default_factory=lambda: new_ocid("dhcpoptions"))

    @property
    def networks(self) -> list[ipaddress.IPv4Network]:
        return [ipaddress.ip_network(cidr) for cidr in self.cidr_blocks]


@dataclass
class Subnet(NetworkResource):
    vcn_id: str = ""
    cidr_block: str = ""
    security_list_ids: list[str] = field(default_factory=list)
    route_table_id: str = ""
    dhcp_options_id: str = ""
    dns_label: str | None = None
    prohibit_public_ip_on_vnic: bool = False
    availability_domain: str | None = None

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.ip_network(self.cidr_block)


@dataclass
class SecurityList(NetworkResource):
    vcn_id: str = ""
    ingress_rules: list[dict] = field(default_factory=list)
    egress_rules: list[dict] = field(default_factory=list)


@dataclass
class Vnic(NetworkResource):
    subnet_id: str = ""
    private_ip: str = ""
    public_ip: str | None = None
    hostname_label: str | None = None
    is_primary: bool = True
    mac_address: str = ""
    availability_domain: str = f"{realm.REGION_KEY}:{realm.REGION.upper()}-AD-1"
    nsg_ids: list[str] = field(default_factory=list)


@dataclass
class Conflict:
    """A pending concurrent write (fail_next_security_list_updates)."""

    security_list_id: str | None
    remaining: int
    ingress_rules: list[dict]


class Network:
    """VCNs, subnets, security lists and VNICs of the emulated tenancy, and the seed methods for them.
    Methods take `lock` (the State's); lookups return the stored objects (read them under the lock)."""

    def __init__(self, lock: threading.RLock):
        self.lock = lock
        self.vcns: dict[str, Vcn] = {}
        self.subnets: dict[str, Subnet] = {}
        self.security_lists: dict[str, SecurityList] = {}
        self.vnics: dict[str, Vnic] = {}
        self.conflicts: list[Conflict] = []

    # -- seeds (also what the API's create calls end with) -------------------------------------------
    def add_vcn(self, cidr_block: str | list[str] = "10.0.0.0/16", *, compartment_id: str = realm.COMPARTMENT,
                display_name: str | None = None, dns_label: str | None = None) -> Vcn:
        """A VCN (AVAILABLE at once) with its default security list; ValueError for a bad CIDR."""
        cidr_blocks = [cidr_block] if isinstance(cidr_block, str) else list(cidr_block)
        if not cidr_blocks:
            raise ValueError("a VCN needs at least one CIDR block")
        for cidr in cidr_blocks:
            network = ipaddress.ip_network(check_cidr(cidr, "cidrBlock"))
            if network.version != 4 or not 16 <= network.prefixlen <= 30:
                raise ValueError(f"cidrBlock {cidr} must be an IPv4 block from /16 to /30")
        with self.lock:
            vcn = Vcn(new_ocid("vcn"), compartment_id, display_name or "", cidr_blocks=cidr_blocks,
                      dns_label=dns_label)
            vcn.display_name = vcn.display_name or f"vcn{vcn.time_created:%Y%m%d%H%M%S}"
            ingress, egress = default_rules(cidr_blocks)
            default = self.add_security_list(vcn, ingress, egress, display_name=f"Default Security List for "
                                                                               f"{vcn.display_name}")
            vcn.default_security_list_id = default.id
            self.vcns[vcn.id] = vcn
            return vcn

    def add_subnet(self, vcn: Vcn | str, cidr_block: str, *, display_name: str | None = None,
                   security_list_ids: list[str] | None = None, compartment_id: str | None = None,
                   dns_label: str | None = None, prohibit_public_ip_on_vnic: bool = False,
                   route_table_id: str | None = None, dhcp_options_id: str | None = None,
                   availability_domain: str | None = None) -> Subnet:
        """A subnet of `vcn` (object or OCID); ValueError when its CIDR is outside the VCN's or overlaps
        another subnet's, LookupError for security lists that are not the VCN's."""
        with self.lock:
            vcn = self._vcn(vcn)
            network = ipaddress.ip_network(check_cidr(cidr_block, "cidrBlock"))
            if not any(network.version == n.version and network.subnet_of(n) for n in vcn.networks):
                raise ValueError(f"cidrBlock {cidr_block} is not within the VCN's CIDR blocks "
                                 f"({', '.join(vcn.cidr_blocks)})")
            if network.prefixlen > 30:
                raise ValueError(f"cidrBlock {cidr_block}: a subnet is at most a /30")
            for other in self.subnets.values():
                if other.vcn_id == vcn.id and other.network.overlaps(network):
                    raise ValueError(f"cidrBlock {cidr_block} overlaps subnet {other.id} ({other.cidr_block})")
            ids = list(security_list_ids) if security_list_ids is not None else [vcn.default_security_list_id]
            self.check_security_lists(vcn, ids)
            subnet = Subnet(new_ocid("subnet"), compartment_id or vcn.compartment_id, display_name or "",
                            vcn_id=vcn.id, cidr_block=cidr_block, security_list_ids=ids,
                            route_table_id=route_table_id or vcn.default_route_table_id,
                            dhcp_options_id=dhcp_options_id or vcn.default_dhcp_options_id, dns_label=dns_label,
                            prohibit_public_ip_on_vnic=prohibit_public_ip_on_vnic,
                            availability_domain=availability_domain)
            subnet.display_name = subnet.display_name or f"subnet{subnet.time_created:%Y%m%d%H%M%S}"
            self.subnets[subnet.id] = subnet
            return subnet

    def add_security_list(self, vcn: Vcn | str, ingress_rules: list[dict] | None = None,
                          egress_rules: list[dict] | None = None, *, display_name: str | None = None,
                          compartment_id: str | None = None) -> SecurityList:
        """A security list of `vcn` (object or OCID) with these rules (OCI's JSON shape, checked by
        normalize_rule: ValueError)."""
        with self.lock:
            vcn = vcn if isinstance(vcn, Vcn) else self._vcn(vcn)
            security_list = SecurityList(new_ocid("securitylist"), compartment_id or vcn.compartment_id,
                                         display_name or "", vcn_id=vcn.id,
                                         ingress_rules=normalize_rules(ingress_rules or [], "ingress"),
                                         egress_rules=normalize_rules(egress_rules or [], "egress"))
            security_list.display_name = security_list.display_name or f"seclist{security_list.order}"
            self.security_lists[security_list.id] = security_list
            return security_list

    def add_vnic(self, subnet: Subnet | str, *, private_ip: str | None = None, display_name: str | None = None,
                 public_ip: str | None = None, hostname_label: str | None = None,
                 compartment_id: str | None = None) -> Vnic:
        """A VNIC in `subnet` (object or OCID) with `private_ip`, or the lowest free address of the
        subnet (the first two and the last are reserved, as on OCI); ValueError when it is taken,
        reserved, outside the subnet, or the subnet is full."""
        with self.lock:
            subnet = self._subnet(subnet)
            taken = {v.private_ip for v in self.vnics.values() if v.subnet_id == subnet.id}
            if private_ip is None:
                private_ip = next((str(a) for a in _usable(subnet.network) if str(a) not in taken), None)
                if private_ip is None:
                    raise ValueError(f"subnet {subnet.id} ({subnet.cidr_block}) has no free address")
            elif not _is_usable(private_ip, subnet.network):
                raise ValueError(f"{private_ip} is not a usable address of subnet {subnet.cidr_block}")
            elif private_ip in taken:
                raise ValueError(f"{private_ip} is taken in subnet {subnet.cidr_block}")
            vnic = Vnic(new_ocid("vnic"), compartment_id or subnet.compartment_id, display_name or "",
                        subnet_id=subnet.id, private_ip=private_ip, public_ip=public_ip,
                        hostname_label=hostname_label, mac_address=_mac(private_ip))
            vnic.display_name = vnic.display_name or f"vnic{vnic.order}"
            self.vnics[vnic.id] = vnic
            return vnic

    def remove_vnic(self, vnic_id: str) -> None:
        """Detach a VNIC (KeyError if unknown): its private IP is free again."""
        with self.lock:
            del self.vnics[vnic_id]

    def fail_next_security_list_updates(self, count: int = 1, *, security_list_id: str | None = None,
                                        ingress_rules: list[dict] | None = None) -> None:
        """The 412 hook: each of the next `count` UpdateSecurityList calls (of `security_list_id`, or
        of any list) first finds the list changed by another writer: `ingress_rules[i]` (the i-th
        of these calls) appended when given, and a new ETag either way. An update under the ETag
        its client read therefore answers 412 NoEtagMatch; one without if-match overwrites it."""
        if count < 1:
            raise ValueError("count must be at least 1")
        rules = normalize_rules(ingress_rules or [], "ingress")
        if len(rules) > count:
            raise ValueError("at most one concurrent rule per update")
        with self.lock:
            if security_list_id is not None and security_list_id not in self.security_lists:
                raise LookupError(f"no security list {security_list_id}")
            self.conflicts.append(Conflict(security_list_id, count, rules))

    # -- what the API does ----------------------------------------------------------------------------
    def concurrent_write(self, security_list: SecurityList) -> bool:
        """Play the pending concurrent writer on `security_list`, if one waits for it; True if it wrote."""
        with self.lock:
            conflict = next((c for c in self.conflicts if c.security_list_id in (None, security_list.id)), None)
            if conflict is None:
                return False
            if conflict.ingress_rules:
                security_list.ingress_rules.append(conflict.ingress_rules.pop(0))
            security_list.touch()
            conflict.remaining -= 1
            if conflict.remaining == 0:
                self.conflicts.remove(conflict)
            return True

    def _vcn(self, vcn: Vcn | str) -> Vcn:
        if isinstance(vcn, Vcn):
            return vcn
        if vcn not in self.vcns:
            raise LookupError(f"no VCN {vcn}")
        return self.vcns[vcn]

    def _subnet(self, subnet: Subnet | str) -> Subnet:
        if isinstance(subnet, Subnet):
            return subnet
        if subnet not in self.subnets:
            raise LookupError(f"no subnet {subnet}")
        return self.subnets[subnet]

    def check_security_lists(self, vcn: Vcn, ids: list[str]) -> None:
        if len(ids) > MAX_SECURITY_LISTS_PER_SUBNET:
            raise ValueError(f"a subnet has at most {MAX_SECURITY_LISTS_PER_SUBNET} security lists")
        for security_list_id in ids:
            found = self.security_lists.get(security_list_id)
            if found is None or found.vcn_id != vcn.id:
                raise LookupError(f"security list {security_list_id} is not a security list of VCN {vcn.id}")

    # -- lookups ------------------------------------------------------------------------------------
    def vcn(self, vcn_id: str) -> Vcn | None:
        with self.lock:
            return self.vcns.get(vcn_id)

    def subnet(self, subnet_id: str) -> Subnet | None:
        with self.lock:
            return self.subnets.get(subnet_id)

    def security_list(self, security_list_id: str) -> SecurityList | None:
        with self.lock:
            return self.security_lists.get(security_list_id)

    def vnic(self, vnic_id: str) -> Vnic | None:
        with self.lock:
            return self.vnics.get(vnic_id)

    def ingress_rules(self, security_list_id: str) -> list[dict]:
        """Copies of a security list's ingress rules, in order (KeyError if unknown): what a test
        asserts a module left behind."""
        with self.lock:
            return copy.deepcopy(self.security_lists[security_list_id].ingress_rules)


def _usable(network: ipaddress.IPv4Network):
    """The addresses OCI hands out in a subnet: all but the first two and the last."""
    return itertools.islice(network.hosts(), 1, None)  # hosts() already leaves out the first and the last


def _is_usable(address: str, network: ipaddress.IPv4Network) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return ip in network and ip not in (network.network_address, network.network_address + 1,
                                        network.broadcast_address)


def _mac(private_ip: str) -> str:
    digest = hashlib.sha256(private_ip.encode()).digest()
    return "02:00:17:" + ":".join(f"{b:02X}" for b in digest[:3])
