#!/usr/bin/python
# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: iam_policy
short_description: Make sure an OCI IAM policy exists with a set of statements, or is gone
version_added: 0.2.0
description:
  - Finds an OCI IAM policy by O(name) in a compartment (O(compartment_id)), creates it, updates its statements,
    description and version date where they differ, or deletes it (O(state=absent)); waits until it is C(ACTIVE).
  - Statements are compared as a set and by meaning, not text. Their order, white space, the quote style of values, the
    case of keywords, verbs, resource types, variable names and group and compartment names, and the order of the
    subjects and of the clauses of C(all {...}) / C(any {...}) do not count as a change. Values are compared as
    written. A change sends the statements in the order given.
  - Policy names are unique in the whole tenancy, whatever their case. A name taken by a policy of another compartment is
    reported with that compartment (in check mode too, when the principal may list the compartments), never changed.
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
      - Reads the policies of the compartment and reports what would be created, updated or deleted; changes nothing and
        does not wait. For a policy to create, it also looks for the name in the other compartments of the tenancy.
  diff_mode:
    support: full
    details:
      - The policy's state, name, compartment, description, statements and version date before and after.
  idempotent:
    support: full
options:
  name:
    description:
      - Name of the policy (letters, digits, C(.), C(_), C(-); at most 100). It cannot be changed in OCI.
    type: str
    required: true
  compartment_id:
    description:
      - OCID of the compartment the policy is attached to (C(ocid1.compartment...)), or of the tenancy (C(ocid1.tenancy...))
        for the root compartment. C(in tenancy) statements need the tenancy; C(in compartment <name>) names a compartment
        below this one.
    type: str
    required: true
  statements:
    description:
      - The policy's statements, for example
        C(allow dynamic-group mlflow-servers to read secret-bundles in compartment mlflow).
      - Required with O(state=present). OCI checks them; its answer to a statement it refuses is the task's message.
    type: list
    elements: str
  description:
    description:
      - Description of the policy. OCI requires one; a policy the module creates without it gets
        V(Managed by Ansible (oracle.mlflow.iam_policy)).
      - When not set, the description of an existing policy is left as it is.
    type: str
  version_date:
    description:
      - Date (V(YYYY-MM-DD)) whose service behaviour OCI evaluates the statements with; V('') for the current behaviour.
      - When not set, a new policy has none and the version date of an existing one is left as it is.
    type: str
  state:
    description:
      - V(present) the policy must exist with O(statements) (and O(description), O(version_date) when set).
      - V(absent) the policy must not exist.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - Wait until the policy is C(ACTIVE) (a new policy is C(CREATING) first).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for C(ACTIVE), at least V(1). The state is read every second.
    type: int
    default: 300
notes:
  - The principal needs C(manage policies) in the compartment to create, update or delete, C(inspect policies) to check,
    and C(inspect compartments in tenancy) to name the compartment of a clashing name.
  - OCI may take some seconds to apply a new or changed policy everywhere, even once it is C(ACTIVE).
seealso:
  - module: oracle.mlflow.iam_dynamic_group
  - name: Policy syntax (OCI documentation)
    description: Writing policy statements.
    link: https://docs.oracle.com/en-us/iaas/Content/Identity/policysyntax/policysyntax.htm
"""

EXAMPLES = r"""
- name: Let the MLflow servers read the database secret and use the artifact bucket
  oracle.mlflow.iam_policy:
    name: mlflow-servers
    compartment_id: "{{ mlflow_compartment_id }}"
    description: MLflow tracking servers
    statements:
      - allow dynamic-group mlflow-servers to read secret-bundles in compartment id {{ mlflow_compartment_id }}
      - >-
        allow dynamic-group mlflow-servers to manage objects in compartment id {{ mlflow_compartment_id }}
        where target.bucket.name = 'mlflow-artifacts'

- name: Remove the policy
  oracle.mlflow.iam_policy:
    name: mlflow-servers
    compartment_id: "{{ mlflow_compartment_id }}"
    state: absent
"""

RETURN = r"""
policy:
  description: The policy as OCI describes it; V(null) when it is absent (or would be created in check mode).
  returned: always
  type: dict
  contains:
    id:
      description: OCID of the policy.
      type: str
      sample: ocid1.policy.oc1..aaaaaaaaexample
    name:
      description: Name of the policy.
      type: str
      sample: mlflow-servers
    compartment_id:
      description: OCID of the compartment it is attached to.
      type: str
      sample: ocid1.compartment.oc1..aaaaaaaaexample
    description:
      description: Description.
      type: str
    statements:
      description: The statements, as OCI has them.
      type: list
      elements: str
    version_date:
      description: The version date (V(YYYY-MM-DD)), or V(null).
      type: str
    lifecycle_state:
      description: C(ACTIVE), or C(CREATING) with O(wait=false) or in check mode.
      type: str
      sample: ACTIVE
    time_created:
      description: When the policy was created (ISO 8601).
      type: str
error_kind:
  description:
    - Why the task failed. V(invalid) bad options (found before any call) or statements OCI refused (400); V(auth) the OCI
      principal could not be set up; V(missing) OCI answered 404 (the compartment is not there or not visible); V(denied)
      401 or 403; V(conflict) the name is taken by a policy of another compartment, or one whose name differs in case;
      V(timeout) the policy did not become C(ACTIVE) within O(wait_timeout); V(unreachable) no answer from OCI;
      V(error) anything else.
  returned: on failure
  type: str
  sample: conflict
status:
  description: HTTP status of the error answer of OCI that failed the task.
  returned: on failure, when an error answer of OCI failed the task
  type: int
  sample: 409
code:
  description: Error code of that answer.
  returned: on failure, when an error answer of OCI failed the task
  type: str
  sample: PolicyAlreadyExists
opc_request_id:
  description: The C(opc-request-id) of that answer, also in the message.
  returned: on failure, when an error answer of OCI failed the task
  type: str
"""

import datetime
import re

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_auth import HAS_OCI_SDK
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_iam import (
    DEFAULT_DESCRIPTION,
    IamResourceManager,
    same_statements,
)
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_module import OciModule
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_ocid import check_ocid

if HAS_OCI_SDK:
    import oci

NAME = re.compile(r'^[A-Za-z0-9._-]{1,100}$')
MODULE = 'iam_policy'


def _date(value):
    """A version date as the module shows it (YYYY-MM-DD), from OCI's datetime or the option's text."""
    if value is None or value == '':
        return None
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.strftime('%Y-%m-%d')
    return value


class PolicyManager(IamResourceManager):
    kind = 'policy'
    result_key = 'policy'

    def list_all(self):
        return self.list_pages('listing the policies of %s' % self.where(), self.client.list_policies,
                               self.compartment_id)

    def get(self, resource_id):
        return self.client.get_policy(resource_id)

    def description(self):
        return self.params['description'] or DEFAULT_DESCRIPTION % MODULE

    def version_date(self):
        """The option as a date (None for ''), for the SDK."""
        value = self.params['version_date']
        return datetime.datetime.strptime(value, '%Y-%m-%d').date() if value else None

    def create(self):
        details = oci.identity.models.CreatePolicyDetails(
            compartment_id=self.compartment_id, name=self.name, statements=self.params['statements'],
            description=self.description(), version_date=self.version_date())
        return self.call('creating %s in %s' % (self.what(), self.where()), self.client.create_policy, details).data

    def differences(self, current):
        changes = []
        if not same_statements(current.statements, self.params['statements']):
            changes.append('statements')
        if self.params['description'] is not None and current.description != self.params['description']:
            changes.append('description')
        if self.params['version_date'] is not None and _date(current.version_date) != _date(self.params['version_date']):
            changes.append('version_date')
        return changes

    def update(self, current, etag):
        changes = self.differences(current)
        details = oci.identity.models.UpdatePolicyDetails(
            statements=self.params['statements'] if 'statements' in changes else None,
            description=self.params['description'] if 'description' in changes else None)
        if 'version_date' in changes:
            details.version_date = self.version_date() or ''  # '' clears it; the SDK leaves None out of the request
        return self.call('updating %s (%s)' % (self.what(), current.id), self.client.update_policy, current.id,
                         details, if_match=etag).data

    def delete(self, current):
        self.call('deleting %s (%s)' % (self.what(), current.id), self.client.delete_policy, current.id)

    def diff_fields(self, resource):
        return dict(compartment_id=resource.compartment_id, description=resource.description,
                    statements=list(resource.statements), version_date=_date(resource.version_date))

    def wanted_fields(self, current):
        if current is None:
            return dict(compartment_id=self.compartment_id, description=self.description(),
                        statements=list(self.params['statements']), version_date=_date(self.params['version_date']))
        fields = self.diff_fields(current)
        wanted = dict(statements=list(self.params['statements'] or []), description=self.params['description'],
                      version_date=_date(self.params['version_date']))
        fields.update((change, wanted[change]) for change in self.differences(current))
        return fields

    # -- a name taken elsewhere in the tenancy ---------------------------------------------------------------
    def holder(self):
        """``(compartment, policy)`` of the tenancy's policy with this name (whatever its case) outside this
        compartment, or None when there is none or the principal may not list the compartments."""
        try:
            tenancy = self.module.tenancy_id()
            compartments = [self.call('reading the tenancy', self.client.get_compartment, tenancy).data]
            compartments += self.list_pages('listing the compartments of the tenancy', self.client.list_compartments,
                                            tenancy, compartment_id_in_subtree=True, access_level='ANY')
            for compartment in compartments:
                if compartment.id == self.compartment_id:
                    continue
                for policy in self.list_pages('listing policies', self.client.list_policies, compartment.id):
                    if policy.name.lower() == self.name.lower():
                        return compartment, policy
        except OracleMlflowError:
            return None
        return None

    def clash_error(self, holder):
        compartment, policy = holder
        return OracleMlflowError('conflict', (
            "A policy named '%s' (%s) already exists in compartment '%s' (%s): policy names are unique in the tenancy, "
            "so it cannot be created in %s. Manage it there (compartment_id: %s), or choose another name."
            % (policy.name, policy.id, compartment.name, compartment.id, self.where(), compartment.id)),
            resource_id=policy.id, compartment_id=compartment.id)

    def check_mode_clash(self):
        holder = self.holder()
        if holder is not None:
            raise self.clash_error(holder)

    def name_taken(self, existing):
        holder = self.holder()
        if holder is not None:
            return self.clash_error(holder)
        return OracleMlflowError('conflict', (
            "OCI refused to create %s in %s (409): a policy of that name exists elsewhere in the tenancy (policy names "
            "are unique in it), in a compartment this principal cannot list. Choose another name."
            % (self.what(), self.where())))

    def describe(self, resource):
        created = getattr(resource, 'time_created', None)
        return dict(id=resource.id, name=resource.name, compartment_id=resource.compartment_id,
                    description=resource.description, statements=list(resource.statements or []),
                    version_date=_date(resource.version_date), lifecycle_state=resource.lifecycle_state,
                    time_created=created.isoformat() if created is not None else None)

    def run(self):
        self.compartment_id = self.params['compartment_id']
        self.client = self.module.client(oci.identity.IdentityClient)
        return super(PolicyManager, self).run()


def check_options(params):
    """Raise ``OracleMlflowError('invalid')`` for options that cannot work; checked before any call."""
    if not NAME.match(params['name']):
        raise OracleMlflowError('invalid', "name '%s' is not a policy name: 1 to 100 letters, digits, '.', '_' or '-'."
                                % params['name'])
    params['compartment_id'] = check_ocid(params['compartment_id'], 'compartment_id', ('compartment', 'tenancy'))
    if params['state'] == 'present':
        statements = params['statements']
        if not statements:
            raise OracleMlflowError('invalid', 'statements is required with state=present (at least one statement).')
        empty = [number for number, text in enumerate(statements, 1) if not (text or '').strip()]
        if empty:
            raise OracleMlflowError('invalid', 'statements: statement %d is empty.' % empty[0])
    if params['description'] is not None and not params['description'].strip():
        raise OracleMlflowError('invalid', 'description is empty: OCI requires one (leave it out for the default).')
    if params['version_date']:
        try:
            datetime.datetime.strptime(params['version_date'], '%Y-%m-%d')
        except ValueError:
            raise OracleMlflowError('invalid', "version_date '%s' is not a date: use YYYY-MM-DD, or '' for none."
                                    % params['version_date']) from None
    if params['wait_timeout'] < 1:
        raise OracleMlflowError('invalid', 'wait_timeout must be at least 1 second.')


def main():
    module = OciModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            compartment_id=dict(type='str', required=True),
            statements=dict(type='list', elements='str'),
            description=dict(type='str'),
            version_date=dict(type='str'),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            wait=dict(type='bool', default=True),
            wait_timeout=dict(type='int', default=300),
        ),
        supports_check_mode=True,
        failure_result=dict(changed=False, policy=None),
    )
    try:
        check_options(module.params)
        result = PolicyManager(module).run()
    except OracleMlflowError as error:
        module.fail(error)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
