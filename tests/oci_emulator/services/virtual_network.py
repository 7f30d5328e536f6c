"""Virtual Network: the Core Services networking API (`oci.core.VirtualNetworkClient`), version 20160918,
as far as the collection needs it: VCNs, subnets, security lists (with ETags) and reading VNICs.

    POST   /20160918/vcns                        CreateVcn (its default security list comes with it)
    GET    /20160918/vcns?compartmentId=          ListVcns (displayName, lifecycleState, sortBy, sortOrder,
                                                  limit, page -> opc-next-page)
    GET    /20160918/vcns/{vcnId}                 GetVcn
    PUT    /20160918/vcns/{vcnId}                 UpdateVcn (displayName, tags)
    DELETE /20160918/vcns/{vcnId}                 DeleteVcn (409 Conflict while subnets or other lists remain)
    POST   /20160918/subnets                      CreateSubnet (inside the VCN's CIDR, no overlap)
    GET    /20160918/subnets?compartmentId=       ListSubnets (vcnId, and the filters above)
    GET    /20160918/subnets/{subnetId}           GetSubnet
    PUT    /20160918/subnets/{subnetId}           UpdateSubnet (displayName, securityListIds, tags)
    DELETE /20160918/subnets/{subnetId}           DeleteSubnet (409 Conflict while VNICs are in it)
    POST   /20160918/securityLists                CreateSecurityList
    GET    /20160918/securityLists?compartmentId= ListSecurityLists (vcnId, and the filters above)
    GET    /20160918/securityLists/{id}           GetSecurityList
    PUT    /20160918/securityLists/{id}           UpdateSecurityList: the lists given REPLACE the rules
    DELETE /20160918/securityLists/{id}           DeleteSecurityList (409 Conflict for the VCN's default list
                                                  or one a subnet uses)
    GET    /20160918/vnics/{vnicId}               GetVnic (VNICs are seeded: Network.add_vnic)

Every resource answers its `etag` header on get, create and update; PUT and DELETE honour `if-match`
(412 NoEtagMatch, OCI's code, when it is not the current ETag). Resources are AVAILABLE at once and
gone at once when deleted (a get answers 404 afterwards, as OCI's does once TERMINATED is over).
Errors as OCI spells them: 404 NotAuthorizedOrNotFound for an unknown OCID in the path, 400
InvalidParameter / MissingParameter for bad bodies, 400 RelatedResourceNotAuthorizedOrNotFound for a
VCN or security list in a body that is not there, 409 Conflict for deletes that something depends on.
Models and the 412 hook: networks.py.

Seeds: `vcn`, `subnet`, `security-list`, `vnic`, `security-list-conflict` (see the functions below).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .. import realm
from ..networks import (
    Network,
    NetworkResource,
    SecurityList,
    Subnet,
    Vcn,
    Vnic,
    normalize_rules,
)
from ..routing import ApiError, Request, Response, Route, not_found
from ..signature import signed
from ..vault_secrets import timestamp

if TYPE_CHECKING:
    from ..state import State

HOSTS = (realm.service_host("iaas"), *realm.LOOPBACK_HOSTS)
API = "/20160918"
MAX_PAGE = 1000
COMPARTMENT_OCID = re.compile(r"ocid1\.(?:compartment|tenancy)\.[a-z0-9]+\.[a-z0-9-]*\.[a-z0-9]+")
DNS_LABEL = re.compile(r"[A-Za-z][A-Za-z0-9]{0,14}")
_COMMON_UPDATES = ("displayName", "freeformTags", "definedTags")


def _bad(message: str) -> ApiError:
    return ApiError(400, "InvalidParameter", message)


def _related_missing(what: str) -> ApiError:
    return ApiError(400, "RelatedResourceNotAuthorizedOrNotFound", f"{what} was not found, or you are not "
                                                                   "authorized to use it.")


def _conflict(message: str) -> ApiError:
    return ApiError(409, "Conflict", message)


def _details(request: Request, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
    details = request.json()
    unknown = sorted(set(details) - set(allowed))
    if unknown:
        raise _bad(f"Unknown field(s) in the request body: {', '.join(unknown)}.")
    missing = [name for name in required if details.get(name) in (None, "", [])]
    if missing:
        raise ApiError(400, "MissingParameter", f"{', '.join(missing)} is required.")
    return details


def _compartment(details: dict) -> str:
    compartment_id = details["compartmentId"]
    if not isinstance(compartment_id, str) or not COMPARTMENT_OCID.fullmatch(compartment_id):
        raise _bad(f"compartmentId {compartment_id!r} is not the OCID of a compartment or tenancy.")
    return compartment_id


def _dns_label(details: dict) -> str | None:
    label = details.get("dnsLabel")
    if label is not None and (not isinstance(label, str) or not DNS_LABEL.fullmatch(label)):
        raise _bad("dnsLabel must start with a letter and have at most 15 letters and digits.")
    return label


def _common_updates(details: dict) -> dict:
    """The displayName and tags a create or update sets (checked first, so a bad one changes nothing)."""
    updates = {}
    for key, attribute in (("freeformTags", "freeform_tags"), ("definedTags", "defined_tags")):
        if details.get(key) is not None:
            if not isinstance(details[key], dict):
                raise _bad(f"{key} must be an object.")
            updates[attribute] = dict(details[key])
    if details.get("displayName") is not None:
        if not isinstance(details["displayName"], str) or not details["displayName"]:
            raise _bad("displayName must be a non-empty string.")
        updates["display_name"] = details["displayName"]
    return updates


def _apply(resource: NetworkResource, updates: dict) -> None:
    for attribute, value in updates.items():
        setattr(resource, attribute, value)


def _check_if_match(request: Request, resource: NetworkResource) -> None:
    if_match = request.headers.get("if-match")
    if if_match and if_match != resource.etag:
        raise ApiError(412, "NoEtagMatch", f"The If-Match header ({if_match}) does not match the current ETag of "
                                           f"{resource.id}: it changed since it was read.")


def _in_path(table: dict, request: Request, name: str):
    found = table.get(request.params[name])
    if found is None:
        raise not_found()
    return found


def _answer(body: dict, resource: NetworkResource) -> Response:
    return Response.json(body, headers={"etag": resource.etag})


def _common(resource: NetworkResource) -> dict:
    return {"id": resource.id, "compartmentId": resource.compartment_id, "displayName": resource.display_name,
            "lifecycleState": resource.lifecycle_state, "timeCreated": timestamp(resource.time_created),
            "freeformTags": resource.freeform_tags, "definedTags": resource.defined_tags}


# -- JSON of each resource ----------------------------------------------------------------------------
def vcn_json(vcn: Vcn) -> dict:
    return _common(vcn) | {
        "cidrBlock": vcn.cidr_blocks[0], "cidrBlocks": list(vcn.cidr_blocks), "ipv6CidrBlocks": [],
        "dnsLabel": vcn.dns_label, "vcnDomainName": f"{vcn.dns_label}.oraclevcn.com" if vcn.dns_label else None,
        "defaultSecurityListId": vcn.default_security_list_id, "defaultRouteTableId": vcn.default_route_table_id,
        "defaultDhcpOptionsId": vcn.default_dhcp_options_id}


def subnet_json(subnet: Subnet, network: Network) -> dict:
    vcn = network.vcns.get(subnet.vcn_id)
    domain = (f"{subnet.dns_label}.{vcn.dns_label}.oraclevcn.com"
              if subnet.dns_label and vcn is not None and vcn.dns_label else None)
    return _common(subnet) | {
        "vcnId": subnet.vcn_id, "cidrBlock": subnet.cidr_block, "ipv4CidrBlocks": [subnet.cidr_block],
        "securityListIds": list(subnet.security_list_ids), "routeTableId": subnet.route_table_id,
        "dhcpOptionsId": subnet.dhcp_options_id, "dnsLabel": subnet.dns_label, "subnetDomainName": domain,
        "prohibitPublicIpOnVnic": subnet.prohibit_public_ip_on_vnic,
        "prohibitInternetIngress": subnet.prohibit_public_ip_on_vnic, "availabilityDomain": subnet.availability_domain,
        "virtualRouterIp": str(subnet.network.network_address + 1), "virtualRouterMac": "00:00:17:00:00:01"}


def security_list_json(security_list: SecurityList) -> dict:
    return _common(security_list) | {
        "vcnId": security_list.vcn_id, "ingressSecurityRules": security_list.ingress_rules,
        "egressSecurityRules": security_list.egress_rules}


def vnic_json(vnic: Vnic) -> dict:
    return _common(vnic) | {
        "subnetId": vnic.subnet_id, "privateIp": vnic.private_ip, "publicIp": vnic.public_ip,
        "hostnameLabel": vnic.hostname_label, "isPrimary": vnic.is_primary, "macAddress": vnic.mac_address,
        "availabilityDomain": vnic.availability_domain, "nsgIds": list(vnic.nsg_ids), "skipSourceDestCheck": False,
        "ipv6Addresses": [], "vlanId": None}


# -- listings -----------------------------------------------------------------------------------------
def _page(request: Request, resources: list[NetworkResource], to_json) -> Response:
    """The compartment's resources, filtered by displayName / lifecycleState, sorted, one page."""
    compartment_id = request.arg("compartmentId")
    if not compartment_id:
        raise ApiError(400, "MissingParameter", "compartmentId is required.")
    name, state_filter = request.arg("displayName"), request.arg("lifecycleState")
    found = [r for r in resources if r.compartment_id == compartment_id
             and (name is None or r.display_name == name) and (state_filter is None or r.lifecycle_state == state_filter)]
    sort_by, order = request.arg("sortBy"), request.arg("sortOrder")
    if sort_by not in (None, "TIMECREATED", "DISPLAYNAME"):
        raise _bad("sortBy must be TIMECREATED or DISPLAYNAME.")
    if order not in (None, "ASC", "DESC"):
        raise _bad("sortOrder must be ASC or DESC.")
    if sort_by == "DISPLAYNAME":
        found.sort(key=lambda r: (r.display_name.lower(), r.order), reverse=order == "DESC")
    else:  # creation order; TIMECREATED's default order is descending, as OCI documents
        found.sort(key=lambda r: r.order, reverse=(order or ("DESC" if sort_by else "ASC")) == "DESC")
    try:
        limit = min(int(request.arg("limit") or MAX_PAGE), MAX_PAGE)
        start = int(request.arg("page") or 0)
    except ValueError:
        raise _bad("limit and page must be integers.") from None
    if limit < 1 or start < 0:
        raise _bad("limit must be at least 1 and page not negative.")
    headers = {"opc-next-page": str(start + limit)} if start + limit < len(found) else {}
    return Response.json([to_json(r) for r in found[start:start + limit]], headers=headers)


def _of_vcn(request: Request, resources) -> list:
    vcn_id = request.arg("vcnId")
    return [r for r in resources if vcn_id is None or r.vcn_id == vcn_id]


# -- VCNs ---------------------------------------------------------------------------------------------
def create_vcn(request: Request, state: State) -> Response:
    details = _details(request, ("compartmentId", "cidrBlock", "cidrBlocks", "displayName", "dnsLabel", "freeformTags",
                                 "definedTags", "isIpv6Enabled"), ("compartmentId",))
    compartment_id = _compartment(details)
    cidrs = details.get("cidrBlocks") or ([details["cidrBlock"]] if details.get("cidrBlock") else [])
    if not cidrs:
        raise ApiError(400, "MissingParameter", "cidrBlock or cidrBlocks is required.")
    if details.get("cidrBlock") and details.get("cidrBlocks") and details["cidrBlock"] not in details["cidrBlocks"]:
        raise _bad("cidrBlock must be one of cidrBlocks when both are given.")
    if details.get("isIpv6Enabled"):
        raise _bad("The emulator has no IPv6 VCNs.")
    updates, dns_label = _common_updates(details), _dns_label(details)
    try:
        with state.lock:
            vcn = state.network.add_vcn(cidrs, compartment_id=compartment_id, display_name=details.get("displayName"),
                                        dns_label=dns_label)
            _apply(vcn, updates)
            return _answer(vcn_json(vcn), vcn)
    except ValueError as exc:
        raise _bad(str(exc)) from None


def list_vcns(request: Request, state: State) -> Response:
    with state.lock:
        return _page(request, list(state.network.vcns.values()), vcn_json)


def get_vcn(request: Request, state: State) -> Response:
    with state.lock:
        vcn = _in_path(state.network.vcns, request, "vcn_id")
        return _answer(vcn_json(vcn), vcn)


def update_vcn(request: Request, state: State) -> Response:
    updates = _common_updates(_details(request, _COMMON_UPDATES))
    with state.lock:
        vcn = _in_path(state.network.vcns, request, "vcn_id")
        _check_if_match(request, vcn)
        _apply(vcn, updates)
        vcn.touch()
        return _answer(vcn_json(vcn), vcn)


def delete_vcn(request: Request, state: State) -> Response:
    with state.lock:
        network = state.network
        vcn = _in_path(network.vcns, request, "vcn_id")
        _check_if_match(request, vcn)
        subnets = [s.id for s in network.subnets.values() if s.vcn_id == vcn.id]
        lists = [s.id for s in network.security_lists.values()
                 if s.vcn_id == vcn.id and s.id != vcn.default_security_list_id]
        if subnets or lists:
            raise _conflict(f"The VCN {vcn.id} still has {len(subnets)} subnet(s) and {len(lists)} security list(s) "
                            f"besides its default one: delete them first ({', '.join(subnets + lists)}).")
        del network.security_lists[vcn.default_security_list_id]
        del network.vcns[vcn.id]
    return Response(204)


# -- subnets ------------------------------------------------------------------------------------------
def create_subnet(request: Request, state: State) -> Response:
    details = _details(request, ("compartmentId", "vcnId", "cidrBlock", "displayName", "dnsLabel", "securityListIds",
                                 "routeTableId", "dhcpOptionsId", "prohibitPublicIpOnVnic", "prohibitInternetIngress",
                                 "availabilityDomain", "freeformTags", "definedTags"),
                       ("compartmentId", "vcnId", "cidrBlock"))
    compartment_id, updates, dns_label = _compartment(details), _common_updates(details), _dns_label(details)
    ids = details.get("securityListIds")
    if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)):
        raise _bad("securityListIds must be a list of OCIDs.")
    with state.lock:
        vcn = state.network.vcns.get(details["vcnId"])
        if vcn is None:
            raise _related_missing(f"The VCN {details['vcnId']}")
        try:
            subnet = state.network.add_subnet(
                vcn, details["cidrBlock"], display_name=details.get("displayName"), security_list_ids=ids,
                compartment_id=compartment_id, dns_label=dns_label,
                prohibit_public_ip_on_vnic=bool(details.get("prohibitPublicIpOnVnic")
                                                or details.get("prohibitInternetIngress")),
                route_table_id=details.get("routeTableId"), dhcp_options_id=details.get("dhcpOptionsId"),
                availability_domain=details.get("availabilityDomain"))
        except LookupError as exc:
            raise _related_missing(str(exc.args[0])[:1].upper() + str(exc.args[0])[1:]) from None
        except ValueError as exc:
            raise _bad(str(exc)) from None
        _apply(subnet, updates)
        return _answer(subnet_json(subnet, state.network), subnet)


def list_subnets(request: Request, state: State) -> Response:
    with state.lock:
        return _page(request, _of_vcn(request, state.network.subnets.values()),
                     lambda s: subnet_json(s, state.network))


def get_subnet(request: Request, state: State) -> Response:
    with state.lock:
        subnet = _in_path(state.network.subnets, request, "subnet_id")
        return _answer(subnet_json(subnet, state.network), subnet)


def update_subnet(request: Request, state: State) -> Response:
    details = _details(request, (*_COMMON_UPDATES, "securityListIds"))
    updates = _common_updates(details)
    with state.lock:
        network = state.network
        subnet = _in_path(network.subnets, request, "subnet_id")
        _check_if_match(request, subnet)
        ids = details.get("securityListIds")
        if ids is not None:
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise _bad("securityListIds must be a list of OCIDs.")
            try:
                network.check_security_lists(network.vcns[subnet.vcn_id], ids)
            except LookupError as exc:
                raise _related_missing(str(exc.args[0])) from None
            except ValueError as exc:
                raise _bad(str(exc)) from None
            subnet.security_list_ids = list(ids)
        _apply(subnet, updates)
        subnet.touch()
        return _answer(subnet_json(subnet, network), subnet)


def delete_subnet(request: Request, state: State) -> Response:
    with state.lock:
        network = state.network
        subnet = _in_path(network.subnets, request, "subnet_id")
        _check_if_match(request, subnet)
        vnics = [v.id for v in network.vnics.values() if v.subnet_id == subnet.id]
        if vnics:
            raise _conflict(f"The subnet {subnet.id} has VNICs in it ({', '.join(vnics)}): remove what uses them "
                            "first.")
        del network.subnets[subnet.id]
    return Response(204)


# -- security lists -----------------------------------------------------------------------------------
def _rules(details: dict, key: str, direction: str) -> list[dict] | None:
    if details.get(key) is None:
        return None
    try:
        return normalize_rules(details[key], direction)
    except ValueError as exc:
        raise _bad(f"{key}: {exc}.") from None


def create_security_list(request: Request, state: State) -> Response:
    details = _details(request, ("compartmentId", "vcnId", "displayName", "ingressSecurityRules",
                                 "egressSecurityRules", "freeformTags", "definedTags"),
                       ("compartmentId", "vcnId"))
    compartment_id, updates = _compartment(details), _common_updates(details)
    if details.get("ingressSecurityRules") is None or details.get("egressSecurityRules") is None:
        raise ApiError(400, "MissingParameter", "ingressSecurityRules and egressSecurityRules are required.")
    ingress = _rules(details, "ingressSecurityRules", "ingress")
    egress = _rules(details, "egressSecurityRules", "egress")
    with state.lock:
        vcn = state.network.vcns.get(details["vcnId"])
        if vcn is None:
            raise _related_missing(f"The VCN {details['vcnId']}")
        security_list = state.network.add_security_list(vcn, ingress, egress, display_name=details.get("displayName"),
                                                        compartment_id=compartment_id)
        _apply(security_list, updates)
        return _answer(security_list_json(security_list), security_list)


def list_security_lists(request: Request, state: State) -> Response:
    with state.lock:
        return _page(request, _of_vcn(request, state.network.security_lists.values()), security_list_json)


def get_security_list(request: Request, state: State) -> Response:
    with state.lock:
        security_list = _in_path(state.network.security_lists, request, "security_list_id")
        return _answer(security_list_json(security_list), security_list)


def update_security_list(request: Request, state: State) -> Response:
    """The rule lists given replace the list's rules whole (OCI's semantics); a list not given stays."""
    details = _details(request, (*_COMMON_UPDATES, "ingressSecurityRules", "egressSecurityRules"))
    updates = _common_updates(details)
    ingress = _rules(details, "ingressSecurityRules", "ingress")
    egress = _rules(details, "egressSecurityRules", "egress")
    with state.lock:
        security_list = _in_path(state.network.security_lists, request, "security_list_id")
        state.network.concurrent_write(security_list)  # the 412 hook, when armed
        _check_if_match(request, security_list)
        _apply(security_list, updates)
        if ingress is not None:
            security_list.ingress_rules = ingress
        if egress is not None:
            security_list.egress_rules = egress
        security_list.touch()
        return _answer(security_list_json(security_list), security_list)


def delete_security_list(request: Request, state: State) -> Response:
    with state.lock:
        network = state.network
        security_list = _in_path(network.security_lists, request, "security_list_id")
        _check_if_match(request, security_list)
        vcn = network.vcns.get(security_list.vcn_id)
        if vcn is not None and vcn.default_security_list_id == security_list.id:
            raise _conflict(f"{security_list.id} is the default security list of VCN {vcn.id}: it goes with the VCN.")
        users = [s.id for s in network.subnets.values() if security_list.id in s.security_list_ids]
        if users:
            raise _conflict(f"The security list {security_list.id} is used by subnet(s) {', '.join(users)}.")
        del network.security_lists[security_list.id]
    return Response(204)


# -- VNICs --------------------------------------------------------------------------------------------
def get_vnic(request: Request, state: State) -> Response:
    with state.lock:
        vnic = _in_path(state.network.vnics, request, "vnic_id")
        return _answer(vnic_json(vnic), vnic)


# -- seeds --------------------------------------------------------------------------------------------
def _required(body: dict, *names: str) -> None:
    missing = [name for name in names if not body.get(name)]
    if missing:
        raise ApiError(400, "InvalidParameter", f"{', '.join(missing)} is required")


def _seeding(call):
    try:
        return call()
    except (ValueError, LookupError, TypeError) as exc:
        raise ApiError(400, "InvalidParameter", str(exc.args[0]) if exc.args else str(exc)) from None


def seed_vcn(state: State, body: dict) -> dict:
    """{"cidr_block"?: "10.0.0.0/16" | [...], "compartment_id"?, "display_name"?, "dns_label"?}
    -> {"vcn_id", "default_security_list_id", "compartment_id", "cidr_blocks"}"""
    vcn = _seeding(lambda: state.network.add_vcn(body.get("cidr_block", "10.0.0.0/16"),
                                                 compartment_id=body.get("compartment_id", realm.COMPARTMENT),
                                                 display_name=body.get("display_name"), dns_label=body.get("dns_label")))
    return {"vcn_id": vcn.id, "default_security_list_id": vcn.default_security_list_id,
            "compartment_id": vcn.compartment_id, "cidr_blocks": vcn.cidr_blocks}


def seed_subnet(state: State, body: dict) -> dict:
    """{"vcn_id", "cidr_block", "display_name"?, "security_list_ids"?, "dns_label"?}
    -> {"subnet_id", "vcn_id", "cidr_block", "security_list_ids"}"""
    _required(body, "vcn_id", "cidr_block")
    subnet = _seeding(lambda: state.network.add_subnet(body["vcn_id"], body["cidr_block"],
                                                       display_name=body.get("display_name"),
                                                       security_list_ids=body.get("security_list_ids"),
                                                       dns_label=body.get("dns_label")))
    return {"subnet_id": subnet.id, "vcn_id": subnet.vcn_id, "cidr_block": subnet.cidr_block,
            "security_list_ids": subnet.security_list_ids}


def seed_security_list(state: State, body: dict) -> dict:
    """{"vcn_id", "ingress_rules"?: [OCI rule JSON], "egress_rules"?: [...], "display_name"?}
    -> {"security_list_id", "vcn_id", "etag"}"""
    _required(body, "vcn_id")
    security_list = _seeding(lambda: state.network.add_security_list(
        body["vcn_id"], body.get("ingress_rules"), body.get("egress_rules"), display_name=body.get("display_name")))
    return {"security_list_id": security_list.id, "vcn_id": security_list.vcn_id, "etag": security_list.etag}


def seed_vnic(state: State, body: dict) -> dict:
    """{"subnet_id", "private_ip"?, "display_name"?, "public_ip"?, "hostname_label"?}
    -> {"vnic_id", "subnet_id", "private_ip"}"""
    _required(body, "subnet_id")
    vnic = _seeding(lambda: state.network.add_vnic(body["subnet_id"], private_ip=body.get("private_ip"),
                                                   display_name=body.get("display_name"),
                                                   public_ip=body.get("public_ip"),
                                                   hostname_label=body.get("hostname_label")))
    return {"vnic_id": vnic.id, "subnet_id": vnic.subnet_id, "private_ip": vnic.private_ip}


def seed_security_list_conflict(state: State, body: dict) -> dict:
    """{"count"?: 1, "security_list_id"?, "ingress_rules"?: [OCI rule JSON]} -> the same, as armed:
    the next `count` UpdateSecurityList calls find the list changed by another writer (networks.py)."""
    count = body.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool):
        raise ApiError(400, "InvalidParameter", "count must be an integer")
    _seeding(lambda: state.network.fail_next_security_list_updates(
        count, security_list_id=body.get("security_list_id"), ingress_rules=body.get("ingress_rules")))
    return {"count": count, "security_list_id": body.get("security_list_id"),
            "ingress_rules": len(body.get("ingress_rules") or [])}


def _route(methods: str, path: str, handler) -> Route:
    return Route(methods, API + path, handler, signed, HOSTS)


_ID = r"/(?P<{}>[^/]+)"
ROUTES = [
    _route("POST", r"/vcns/?", create_vcn),
    _route("GET", r"/vcns/?", list_vcns),
    _route("GET", r"/vcns" + _ID.format("vcn_id"), get_vcn),
    _route("PUT", r"/vcns" + _ID.format("vcn_id"), update_vcn),
    _route("DELETE", r"/vcns" + _ID.format("vcn_id"), delete_vcn),
    _route("POST", r"/subnets/?", create_subnet),
    _route("GET", r"/subnets/?", list_subnets),
    _route("GET", r"/subnets" + _ID.format("subnet_id"), get_subnet),
    _route("PUT", r"/subnets" + _ID.format("subnet_id"), update_subnet),
    _route("DELETE", r"/subnets" + _ID.format("subnet_id"), delete_subnet),
    _route("POST", r"/securityLists/?", create_security_list),
    _route("GET", r"/securityLists/?", list_security_lists),
    _route("GET", r"/securityLists" + _ID.format("security_list_id"), get_security_list),
    _route("PUT", r"/securityLists" + _ID.format("security_list_id"), update_security_list),
    _route("DELETE", r"/securityLists" + _ID.format("security_list_id"), delete_security_list),
    _route("GET", r"/vnics" + _ID.format("vnic_id"), get_vnic),
]
SEEDERS = {"vcn": seed_vcn, "subnet": seed_subnet, "security-list": seed_security_list, "vnic": seed_vnic,
           "security-list-conflict": seed_security_list_conflict}
