#!/usr/bin/python
# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: iam_dynamic_group
short_description: Make sure an OCI IAM dynamic group exists with a matching rule, or is gone
version_added: 0.2.0
description:
  - Finds an OCI IAM dynamic group by O(name) in the tenancy, creates it, updates its matching rule and description where
    they differ, or deletes it (O(state=absent)); waits until it is C(ACTIVE).
  - The matching rule is compared by meaning, not text. White space, the quote style of values, the case of C(ALL), C(ANY)
    and of variable names, and the order of the clauses of C(ALL {...}) and C(ANY {...}) do not count as a change; an
    C(ALL {...}) of one clause is that clause. Values are compared as written.
  - Dynamic groups live in the tenancy (the root compartment) and their names are unique in it whatever their case. A
    group whose name differs only in case is reported, not changed.
  - Members are the instances and resources the rule matches, for example C(ALL {instance.compartment.id = '<ocid>'}) for
    the compute instances of a compartment, or C(ALL {resource.type = 'computecontainerinstance', resource.compartment.id
    = '<ocid>'}) for container instances. Policies grant it access (M(oracle.mlflow.iam_policy)).
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
      - Reads the dynamic groups of the tenancy and reports what would be created, updated or deleted; changes nothing and
        does not wait.
  diff_mode:
    support: full
    details:
      - The group's state, name, description and matching rule before and after.
  idempotent:
    support: full
options:
  name:
    description:
      - Name of the dynamic group (letters, digits, C(.), C(_), C(-); at most 100). It cannot be changed in OCI.
    type: str
    required: true
  compartment_id:
    description:
      - OCID of the tenancy (C(ocid1.tenancy...)). Dynamic groups can only be created in the root compartment, so any other
        OCID is an error.
      - Default is the tenancy of the principal (O(auth_type)).
    type: str
  matching_rule:
    description:
      - The rule that says which instances or resources are members, for example
        C(ANY {instance.compartment.id = 'ocid1.compartment.oc1..aaaa', instance.id = 'ocid1.instance.oc1.iad.aaaa'}).
      - Required with O(state=present).
    type: str
  description:
    description:
      - Description of the dynamic group. OCI requires one; a group the module creates without it gets
        V(Managed by Ansible (oracle.mlflow.iam_dynamic_group)).
      - When not set, the description of an existing group is left as it is.
    type: str
  state:
    description:
      - V(present) the group must exist with O(matching_rule) (and O(description) when set).
      - V(absent) the group must not exist. Policy statements that name it stay (OCI keeps them); remove them with
        M(oracle.mlflow.iam_policy).
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - Wait until the group is C(ACTIVE) (a new group is C(CREATING) first).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for C(ACTIVE), at least V(1). The state is read every second.
    type: int
    default: 300
notes:
  - The principal needs C(manage dynamic-groups in tenancy) to create, update or delete, C(inspect dynamic-groups in tenancy)
    to check. In tenancies with identity domains this works on the Default domain only.
seealso:
  - module: oracle.mlflow.iam_policy
  - name: Managing dynamic groups (OCI documentation)
    description: Writing matching rules.
    link: https://docs.oracle.com/en-us/iaas/Content/Identity/Tasks/managingdynamicgroups.htm
"""

EXAMPLES = r"""
- name: The MLflow servers of a compartment
  oracle.mlflow.iam_dynamic_group:
    name: mlflow-servers
    matching_rule: "ALL {instance.compartment.id = '{{ mlflow_compartment_id }}'}"
    description: MLflow tracking servers

- name: The container instances of a compartment
  oracle.mlflow.iam_dynamic_group:
    name: mlflow-container-instances
    matching_rule: >-
      ALL {resource.type = 'computecontainerinstance', resource.compartment.id = '{{ mlflow_compartment_id }}'}

- name: Remove the group
  oracle.mlflow.iam_dynamic_group:
    name: mlflow-servers-old
    state: absent
"""

RETURN = r"""
dynamic_group:
  description: The dynamic group as OCI describes it; V(null) when it is absent (or would be created in check mode).
  returned: always
  type: dict
  contains:
    id:
      description: OCID of the dynamic group.
      type: str
      sample: ocid1.dynamicgroup.oc1..aaaaaaaaexample
    name:
      description: Name of the dynamic group.
      type: str
      sample: mlflow-servers
    compartment_id:
      description: OCID of the tenancy.
      type: str
      sample: ocid1.tenancy.oc1..aaaaaaaaexample
    description:
      description: Description.
      type: str
    matching_rule:
      description: The matching rule, as OCI has it.
      type: str
      sample: "ALL {instance.compartment.id = 'ocid1.compartment.oc1..aaaaaaaaexample'}"
    lifecycle_state:
      description: C(ACTIVE), or C(CREATING) with O(wait=false) or in check mode.
      type: str
      sample: ACTIVE
    time_created:
      description: When the group was created (ISO 8601).
      type: str
error_kind:
  description:
    - Why the task failed. V(invalid) bad options (found before any call) or a matching rule OCI refused (400); V(auth) the
      OCI principal could not be set up; V(missing) OCI answered 404 (the tenancy is not there or not visible);
      V(denied) 401 or 403; V(conflict) the name is taken by a group whose name differs in case, or OCI refused it (409);
      V(timeout) the group did not become C(ACTIVE) within O(wait_timeout); V(unreachable) no answer from OCI;
      V(error) anything else.
  returned: on failure
  type: str
  sample: invalid
status:
  description: HTTP status of the error answer of OCI that failed the task.
  returned: on failure, when an error answer of OCI failed the task
  type: int
  sample: 400
code:
  description: Error code of that answer.
  returned: on failure, when an error answer of OCI failed the task
  type: str
  sample: InvalidParameter
opc_request_id:
  description: The C(opc-request-id) of that answer, also in the message.
  returned: on failure, when an error answer of OCI failed the task
  type: str
"""

import re

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_auth import HAS_OCI_SDK
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_iam import (
    DEFAULT_DESCRIPTION,
    IamResourceManager,
    canonical_matching_rule,
)
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_module import OciModule
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_ocid import check_ocid

if HAS_OCI_SDK:
    import oci

NAME = re.compile(r'^[A-Za-z0-9._-]{1,100}$')
MODULE = 'iam_dynamic_group'


class DynamicGroupManager(IamResourceManager):
    kind = 'dynamic group'
    result_key = 'dynamic_group'

    def where(self):
        return 'the tenancy (%s)' % self.compartment_id

    def list_all(self):
        return self.list_pages('listing the dynamic groups of %s' % self.where(), self.client.list_dynamic_groups,
                               self.compartment_id)

    def get(self, resource_id):
        return self.client.get_dynamic_group(resource_id)

    def description(self):
        return self.params['description'] or DEFAULT_DESCRIPTION % MODULE

    def create(self):
        details = oci.identity.models.CreateDynamicGroupDetails(
            compartment_id=self.compartment_id, name=self.name, matching_rule=self.params['matching_rule'],
            description=self.description())
        return self.call('creating %s in %s' % (self.what(), self.where()), self.client.create_dynamic_group,
                         details).data

    def differences(self, current):
        changes = []
        if canonical_matching_rule(current.matching_rule) != canonical_matching_rule(self.params['matching_rule']):
            changes.append('matching_rule')
        if self.params['description'] is not None and current.description != self.params['description']:
            changes.append('description')
        return changes

    def update(self, current, etag):
        changes = self.differences(current)
        details = oci.identity.models.UpdateDynamicGroupDetails(
            matching_rule=self.params['matching_rule'] if 'matching_rule' in changes else None,
            description=self.params['description'] if 'description' in changes else None)
        return self.call('updating %s (%s)' % (self.what(), current.id), self.client.update_dynamic_group,
                         current.id, details, if_match=etag).data

    def delete(self, current):
        self.call('deleting %s (%s)' % (self.what(), current.id), self.client.delete_dynamic_group, current.id)

    def diff_fields(self, resource):
        return dict(description=resource.description, matching_rule=resource.matching_rule)

    def wanted_fields(self, current):
        fields = self.diff_fields(current) if current is not None else dict(description=self.description())
        changes = self.differences(current) if current is not None else ['matching_rule']
        if 'matching_rule' in changes:
            fields['matching_rule'] = self.params['matching_rule']
        if 'description' in changes:
            fields['description'] = self.params['description']
        return fields

    def name_taken(self, existing):
        return OracleMlflowError('conflict', (
            "OCI refused to create %s in %s (409): the name is taken, but this principal does not see a group of that "
            "name there (it may belong to another identity domain). Choose another name." % (self.what(), self.where())))

    def describe(self, resource):
        created = getattr(resource, 'time_created', None)
        return dict(id=resource.id, name=resource.name, compartment_id=resource.compartment_id,
                    description=resource.description, matching_rule=resource.matching_rule,
                    lifecycle_state=resource.lifecycle_state,
                    time_created=created.isoformat() if created is not None else None)

    def run(self):
        self.compartment_id = self.params['compartment_id'] or self.module.tenancy_id('finding the tenancy')
        self.client = self.module.client(oci.identity.IdentityClient)
        return super(DynamicGroupManager, self).run()


def check_options(params):
    """Raise ``OracleMlflowError('invalid')`` for options that cannot work; checked before any call."""
    if not NAME.match(params['name']):
        raise OracleMlflowError('invalid', "name '%s' is not a dynamic group name: 1 to 100 letters, digits, '.', '_' "
                                "or '-'." % params['name'])
    if params['compartment_id'] is not None:
        params['compartment_id'] = check_ocid(params['compartment_id'], 'compartment_id', ('tenancy',))
    if params['state'] == 'present' and not (params['matching_rule'] or '').strip():
        raise OracleMlflowError('invalid', 'matching_rule is required with state=present.')
    if params['description'] is not None and not params['description'].strip():
        raise OracleMlflowError('invalid', 'description is empty: OCI requires one (leave it out for the default).')
    if params['wait_timeout'] < 1:
        raise OracleMlflowError('invalid', 'wait_timeout must be at least 1 second.')


def main():
    module = OciModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            compartment_id=dict(type='str'),
            matching_rule=dict(type='str'),
            description=dict(type='str'),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            wait=dict(type='bool', default=True),
            wait_timeout=dict(type='int', default=300),
        ),
        supports_check_mode=True,
        failure_result=dict(changed=False, dynamic_group=None),
    )
    try:
        check_options(module.params)
        result = DynamicGroupManager(module).run()
    except OracleMlflowError as error:
        module.fail(error)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
