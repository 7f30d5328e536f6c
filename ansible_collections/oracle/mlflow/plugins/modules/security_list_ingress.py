#!/usr/bin/python
# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: security_list_ingress
short_description: Add or remove one TCP ingress rule of an OCI security list, leaving its other rules alone
version_added: 0.2.0
description:
  - Makes sure that one stateful TCP ingress rule, from the O(source) CIDR block to destination port O(port) (or the ports
    O(port) to O(port_max)), is in an OCI VCN security list (O(state=present)), or that no such rule is (O(state=absent)).
  - OCI's UpdateSecurityList replaces the whole list of rules. The module reads the list, adds or removes only its own rule,
    and writes the ingress rules back under the ETag it read (C(if-match)). Every other ingress rule is sent back as it was
    read, in its place; the new rule goes last; the egress rules are not sent, so they stay as they are.
  - When another writer changed the list between the read and the update, OCI answers 412 and the module reads, merges and
    updates again, up to O(conflict_retries) more times with a short growing pause; then it fails with one line, having
    changed nothing.
  - "A rule counts as this task's rule when it is TCP (protocol 6), stateful, of source type C(CIDR_BLOCK), from the same
    network as O(source) (V(2001:DB8::/32) is V(2001:db8::/32)), to exactly the destination ports O(port)-O(port_max)
    (a TCP rule without port options is the range 1-65535) and without a source port range. Broader rules that also let
    the traffic in (all protocols, a larger CIDR or port range) are not this rule and are left alone."
  - The description is not part of what the rule is. With O(description) set, a matching rule with another description
    gets this one, in place (a change); without it, any description counts as present.
  - Refuses a rule open to every address (V(0.0.0.0/0), V(::/0)) unless O(allow_any_source=true).
author:
  - oracle.mlflow contributors (!UNKNOWN)
extends_documentation_fragment:
  - oracle.mlflow.oci_auth
  - oracle.mlflow.attributes
  - oracle.mlflow.attributes.ACTIONGROUP_OCI
attributes:
  check_mode:
    support: full
    details:
      - Reads the security list and reports whether the rule would be added, relabelled or removed; sends no update.
  diff_mode:
    support: full
    details:
      - The ingress rules of the list that count as this task's rule, before and after (in OCI's shape); the other rules
        are not shown.
  idempotent:
    support: full
options:
  security_list_id:
    description:
      - OCID of the security list (C(ocid1.securitylist.<realm>.<region>.<unique id>)).
    type: str
    required: true
  source:
    description:
      - Source of the traffic, an IPv4 or IPv6 CIDR block with its network address (V(192.0.2.0/24), V(192.0.2.7/32) for one
        address, V(2001:db8::/32)).
      - V(0.0.0.0/0) and V(::/0) (anyone) need O(allow_any_source=true) with O(state=present).
    type: str
    required: true
  port:
    description:
      - Destination TCP port of the rule, or the first port of its range (see O(port_max)); 1 to 65535.
    type: int
    required: true
  port_max:
    description:
      - Last destination port of the range, at least O(port). Default is O(port) (a single port).
    type: int
  description:
    description:
      - Description of the rule (at most 255 characters), shown in the OCI Console.
      - Not part of what the rule is (see above); ignored with O(state=absent).
    type: str
  state:
    description:
      - V(present) the rule must be in the list (added at its end when it is not).
      - V(absent) no rule that counts as this one may be in the list (every such rule is removed, duplicates included).
    type: str
    choices: [present, absent]
    default: present
  allow_any_source:
    description:
      - Let O(source) be V(0.0.0.0/0) or V(::/0), which opens the port to every address. Without it such a rule is refused
        before anything is read or changed.
    type: bool
    default: false
  conflict_retries:
    description:
      - How many more times to read, merge and update when OCI answers 412 (the list changed since it was read); 0 to 20.
    type: int
    default: 4
notes:
  - "The principal needs an IAM policy such as C(allow group <group> to manage security-lists in compartment <compartment>)
    (C(dynamic-group) for an instance or resource principal)."
  - Rules the OCI SDK cannot describe (fields newer than the SDK on the managed node) would be lost when the list is written
    back; keep the node's C(oci) package current.
seealso:
  - name: Security lists (OCI API)
    description: GetSecurityList and UpdateSecurityList.
    link: https://docs.oracle.com/en-us/iaas/api/#/en/iaas/20160918/SecurityList/
"""

EXAMPLES = r"""
- name: Let the MLflow clients reach the tracking server's port
  oracle.mlflow.security_list_ingress:
    security_list_id: ocid1.securitylist.oc1.iad.aaaaaaaaexampleexample
    source: 192.0.2.0/24
    port: 443
    description: MLflow clients

- name: A range of ports for one address
  oracle.mlflow.security_list_ingress:
    security_list_id: "{{ security_list_id }}"
    source: 198.51.100.7/32
    port: 5000
    port_max: 5010

- name: Remove the rule again
  oracle.mlflow.security_list_ingress:
    security_list_id: "{{ security_list_id }}"
    source: 192.0.2.0/24
    port: 443
    state: absent
"""

RETURN = r"""
rule:
  description: The rule this task manages, in OCI's shape (as the task would add it).
  returned: always
  type: dict
  sample:
    protocol: "6"
    source: 192.0.2.0/24
    source_type: CIDR_BLOCK
    is_stateless: false
    description: MLflow clients
    tcp_options:
      destination_port_range: {min: 443, max: 443}
      source_port_range: null
    udp_options: null
    icmp_options: null
security_list:
  description:
    - The security list as OCI describes it after the task (in check mode, as it was read); V(null) when it could not be
      read.
  returned: always
  type: dict
  contains:
    id:
      description: OCID of the security list.
      type: str
    display_name:
      description: Its name.
      type: str
    vcn_id:
      description: OCID of its VCN.
      type: str
    compartment_id:
      description: OCID of its compartment.
      type: str
    lifecycle_state:
      description: Its lifecycle state.
      type: str
      sample: AVAILABLE
    etag:
      description: Its ETag after the task.
      type: str
    ingress_security_rules:
      description: All its ingress rules, in order (OCI's shape, as RV(rule)).
      type: list
      elements: dict
    egress_security_rules:
      description: All its egress rules, in order.
      type: list
      elements: dict
conflicts:
  description: How many updates OCI refused with 412 because the list had changed since it was read (each one retried).
  returned: always
  type: int
  sample: 0
error_kind:
  description:
    - Why the task failed. V(invalid) bad options (found before any call) or a request OCI found invalid; V(auth) the OCI
      principal could not be set up; V(missing) the security list is not there, or not visible to this principal (OCI answers
      both with 404); V(denied) 401 or 403, or an update refused after the list could be read; V(conflict) the list kept
      changing for more than O(conflict_retries) retries (412), or OCI answered 409; V(unreachable) no answer from OCI;
      V(error) anything else.
  returned: on failure
  type: str
  sample: invalid
status:
  description: HTTP status of the error answer of OCI that failed the task.
  returned: on failure, when an error answer of OCI failed the task
  type: int
  sample: 412
code:
  description: Error code of that answer.
  returned: on failure, when an error answer of OCI failed the task
  type: str
  sample: NoEtagMatch
opc_request_id:
  description: The C(opc-request-id) of that answer; Oracle support asks for it.
  returned: on failure, when an error answer of OCI failed the task
  type: str
"""

import ipaddress
import random
import re
import time

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_auth import HAS_OCI_SDK
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_errors import (
    CREDENTIALS_HINT,
    describe_service_error,
    policy_subject,
    reaching,
    service_answer,
    service_details,
)
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_module import OciModule

if HAS_OCI_SDK:
    import oci
    from oci.core.models import IngressSecurityRule, PortRange, TcpOptions, UpdateSecurityListDetails

TCP = '6'
CIDR_BLOCK = 'CIDR_BLOCK'
ALL_PORTS = (1, 65535)
MAX_DESCRIPTION = 255
MAX_CONFLICT_RETRIES = 20
CONFLICT_PAUSE = 0.25  # seconds before the first retry; doubles each time, at most CONFLICT_PAUSE_MAX
CONFLICT_PAUSE_MAX = 4
SECURITY_LIST_OCID = re.compile(r'^ocid1\.securitylist\.[a-z0-9]+\.[a-z0-9-]*(\.[A-Za-z0-9_-]+)*\.[A-Za-z0-9_-]+$')
ANY_OCID = re.compile(r'^ocid1\.([a-z0-9]+)\.')
SERVICE = 'OCI Virtual Network'


# -- options ------------------------------------------------------------------------------------------

def parse_source(source):
    """The ``ipaddress`` network of the ``source`` option; ``OracleMlflowError('invalid')`` with one line otherwise."""
    text = (source or '').strip()
    if '/' not in text:
        try:
            address = ipaddress.ip_address(to_text(text))
        except ValueError:
            address = None
        example = '%s/%d' % (address, address.max_prefixlen) if address else '192.0.2.0/24'
        raise OracleMlflowError('invalid', "source '%s' is not a CIDR block: write address/prefix, for example %s%s."
                                % (source, example, ' for that one address' if address else ''))
    try:
        return ipaddress.ip_network(to_text(text), strict=True)
    except ValueError as exc:
        try:
            network = ipaddress.ip_network(to_text(text), strict=False)
        except ValueError:
            raise OracleMlflowError('invalid', "source '%s' is not an IPv4 or IPv6 CIDR block (%s); for example "
                                    "192.0.2.0/24." % (source, exc)) from None
        address = text.split('/')[0]
        raise OracleMlflowError('invalid', "source '%s' has bits set beyond its /%d prefix: write its network, %s (or "
                                "%s/%d for that one address)." % (source, network.prefixlen, network, address,
                                                                  network.max_prefixlen)) from None


def check_options(params):
    """The checked (security list OCID, source network, port range); raises ``OracleMlflowError('invalid')``
    with one line for the first option that cannot work, before any call."""
    ocid = (params['security_list_id'] or '').strip()
    if not SECURITY_LIST_OCID.match(ocid):
        other = ANY_OCID.match(ocid)
        kind = " is the OCID of a %s, not of a security list" % other.group(1) if other and \
            other.group(1) != 'securitylist' else ' is not a security list OCID'
        raise OracleMlflowError('invalid', "security_list_id '%s'%s (ocid1.securitylist.<realm>.<region>.<unique id>; "
                                "the VCN's page in the OCI Console lists its security lists)." % (ocid, kind))
    network = parse_source(params['source'])
    port, port_max = params['port'], params['port_max']
    for name, value in (('port', port), ('port_max', port_max)):
        if value is not None and not 1 <= value <= 65535:
            raise OracleMlflowError('invalid', '%s %d is not a TCP port: use 1 to 65535.' % (name, value))
    if port_max is None:
        port_max = port
    elif port_max < port:
        raise OracleMlflowError('invalid', 'port_max %d is lower than port %d: the rule covers port to port_max.'
                                % (port_max, port))
    if network.prefixlen == 0 and params['state'] == 'present' and not params['allow_any_source']:
        raise OracleMlflowError('invalid', "source %s lets every address on the internet reach %s: give the clients' "
                                "CIDR block instead, or set allow_any_source: true if that is really meant."
                                % (network, describe_ports(port, port_max)))
    description = params['description']
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise OracleMlflowError('invalid', 'description has %d characters; OCI allows at most %d.'
                                % (len(description), MAX_DESCRIPTION))
    if not 0 <= params['conflict_retries'] <= MAX_CONFLICT_RETRIES:
        raise OracleMlflowError('invalid', 'conflict_retries must be from 0 to %d, not %d.'
                                % (MAX_CONFLICT_RETRIES, params['conflict_retries']))
    return ocid, network, (port, port_max)


def describe_ports(port, port_max):
    return 'TCP port %d' % port if port == port_max else 'TCP ports %d-%d' % (port, port_max)


# -- rules --------------------------------------------------------------------------------------------

def _network(text):
    try:
        return ipaddress.ip_network(to_text(text or ''), strict=False)
    except ValueError:
        return None


def _ports(port_range):
    if port_range is None:
        return ALL_PORTS
    return (port_range.min, port_range.max)


def is_this_rule(rule, network, ports):
    """Whether an ingress rule of the list counts as the task's rule (see the module's description)."""
    if rule.protocol != TCP or rule.is_stateless or (rule.source_type or CIDR_BLOCK) != CIDR_BLOCK:
        return False
    if _network(rule.source) != network:
        return False
    options = rule.tcp_options
    if options is not None and options.source_port_range is not None:
        return False
    return _ports(options.destination_port_range if options is not None else None) == ports


def new_rule(network, ports, description):
    return IngressSecurityRule(protocol=TCP, source=str(network), source_type=CIDR_BLOCK, is_stateless=False,
                               description=description,
                               tcp_options=TcpOptions(destination_port_range=PortRange(min=ports[0], max=ports[1])))


def relabelled(rule, description):
    """A copy of ``rule`` with another description (the rule read stays as it was, for the diff)."""
    copy = IngressSecurityRule(**dict((name, getattr(rule, name)) for name in rule.swagger_types))
    copy.description = description
    return copy


def merged(rules, network, ports, state, description):
    """The ingress rules to write (None when nothing needs to change): the others untouched and in place."""
    matching = [rule for rule in rules if is_this_rule(rule, network, ports)]
    if state == 'absent':
        return [rule for rule in rules if not is_this_rule(rule, network, ports)] if matching else None
    if not matching:
        return list(rules) + [new_rule(network, ports, description)]
    if description is None or any(rule.description == description for rule in matching):
        return None
    first = matching[0]
    return [relabelled(rule, description) if rule is first else rule for rule in rules]


def as_dict(model):
    return oci.util.to_dict(model)


# -- the task -----------------------------------------------------------------------------------------

class IngressRuleManager(object):
    def __init__(self, module, security_list_id, network, ports):
        self.module = module
        self.params = module.params
        self.auth_type = self.params['auth_type']
        self.security_list_id = security_list_id
        self.network = network
        self.ports = ports
        self.client = None
        self.region = None
        self.conflicts = 0
        self.last_conflict = None

    def policy_hint(self):
        return ("an IAM policy such as 'allow %s <%s of this principal> to manage security-lists in compartment "
                "<compartment>' (auth_type=%s)" % (policy_subject(self.auth_type), policy_subject(self.auth_type),
                                                   self.auth_type))

    def where(self):
        return 'security list %s' % self.security_list_id

    def refusal(self, exc, doing, updating=False):
        if exc.status == 404 and not updating:
            return OracleMlflowError('missing', (
                "The %s does not exist in region %s, or this principal cannot see it: OCI answers both with 404 [%s]. "
                "Check the OCID and the region, and %s." % (self.where(), self.region, service_answer(exc),
                                                            self.policy_hint())), **service_details(exc))
        if exc.status in (403, 404):
            return OracleMlflowError('denied', (
                "OCI refused %s with auth_type=%s [%s]: this principal could read the list, so this is likely a missing "
                "IAM policy for updating it (or the list was deleted meanwhile): %s."
                % (doing, self.auth_type, service_answer(exc), self.policy_hint())), **service_details(exc))
        if exc.status == 401:
            return OracleMlflowError('denied', "OCI did not accept the credentials (auth_type=%s) %s [%s]: %s."
                                     % (self.auth_type, doing, service_answer(exc), CREDENTIALS_HINT),
                                     **service_details(exc))
        return describe_service_error(exc, doing)

    def read(self):
        """(security list, its ETag)."""
        doing = 'reading the %s' % self.where()
        try:
            with reaching(self.client, SERVICE, '(%s)' % doing):
                response = self.client.get_security_list(self.security_list_id)
        except oci.exceptions.ServiceError as exc:
            raise self.refusal(exc, doing) from None
        return response.data, response.headers.get('etag')

    def write(self, rules, etag):
        """(updated security list, its new ETag), or None when OCI answered 412 (changed since it was read)."""
        doing = 'updating the ingress rules of the %s' % self.where()
        try:
            with reaching(self.client, SERVICE, '(%s)' % doing):
                response = self.client.update_security_list(
                    self.security_list_id, UpdateSecurityListDetails(ingress_security_rules=rules), if_match=etag)
        except oci.exceptions.ServiceError as exc:
            if exc.status == 412:
                self.last_conflict = exc
                return None
            raise self.refusal(exc, doing, updating=True) from None
        return response.data, response.headers.get('etag')

    def pause(self):
        time.sleep(min(CONFLICT_PAUSE_MAX, CONFLICT_PAUSE * 2 ** (self.conflicts - 1)) * random.uniform(0.5, 1.0))

    def run(self):
        self.client = self.module.client(oci.core.VirtualNetworkClient)
        self.region = self.module.oci_auth()[0].get('region')
        retries = self.params['conflict_retries']
        while True:
            security_list, etag = self.read()
            rules = list(security_list.ingress_security_rules or [])
            wanted = merged(rules, self.network, self.ports, self.params['state'], self.params['description'])
            if wanted is None:
                return self.result(False, security_list, etag, rules, rules)
            if self.module.check_mode:
                return self.result(True, security_list, etag, rules, wanted)
            updated = self.write(wanted, etag)
            if updated is not None:
                return self.result(True, updated[0], updated[1], rules, wanted)
            self.conflicts += 1
            if self.conflicts > retries:
                raise self.conflict_error()
            self.pause()

    def conflict_error(self):
        exc = self.last_conflict
        return OracleMlflowError('conflict', (
            "The %s kept changing under this task: OCI refused all %d updates with 412 [%s], each time because another "
            "writer had changed the list since it was read. This task changed nothing; run again once the other writer is "
            "done, or raise conflict_retries (now %d)." % (self.where(), self.conflicts, service_answer(exc),
                                                           self.params['conflict_retries'])), **service_details(exc))

    def result(self, changed, security_list, etag, before, after):
        return dict(changed=changed, security_list=describe_security_list(security_list, etag), conflicts=self.conflicts,
                    diff=dict(before=self.diff_state(before), after=self.diff_state(after)))

    def diff_state(self, rules):
        return dict(security_list_id=self.security_list_id,
                    ingress_rules=[as_dict(rule) for rule in rules if is_this_rule(rule, self.network, self.ports)])


def describe_security_list(security_list, etag):
    return dict(id=security_list.id, display_name=security_list.display_name, vcn_id=security_list.vcn_id,
                compartment_id=security_list.compartment_id, lifecycle_state=security_list.lifecycle_state, etag=etag,
                ingress_security_rules=[as_dict(rule) for rule in security_list.ingress_security_rules or []],
                egress_security_rules=[as_dict(rule) for rule in security_list.egress_security_rules or []])


def rule_of(params):
    """The task's rule as RV(rule) shows it, from the options as given (before they are checked)."""
    port, port_max = params['port'], params['port_max'] if params['port_max'] is not None else params['port']
    return dict(protocol=TCP, source=params['source'], source_type=CIDR_BLOCK, is_stateless=False,
                description=params['description'], icmp_options=None, udp_options=None,
                tcp_options=dict(destination_port_range=dict(min=port, max=port_max), source_port_range=None))


def main():
    module = OciModule(
        argument_spec=dict(
            security_list_id=dict(type='str', required=True),
            source=dict(type='str', required=True),
            port=dict(type='int', required=True),
            port_max=dict(type='int'),
            description=dict(type='str'),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            allow_any_source=dict(type='bool', default=False),
            conflict_retries=dict(type='int', default=4),
        ),
        supports_check_mode=True,
        failure_result=lambda params: dict(changed=False, security_list=None, rule=rule_of(params), conflicts=0),
    )
    manager = None
    try:
        security_list_id, network, ports = check_options(module.params)
        manager = IngressRuleManager(module, security_list_id, network, ports)
        result = manager.run()
    except OracleMlflowError as error:
        module.fail(error, conflicts=manager.conflicts if manager else 0)
    rule = as_dict(new_rule(network, ports, module.params['description']))
    if not module._diff:
        result.pop('diff')
    module.exit_json(rule=rule, **result)


if __name__ == '__main__':
    main()
