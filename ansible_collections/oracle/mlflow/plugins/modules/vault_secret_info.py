#!/usr/bin/python
# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vault_secret_info
short_description: Read a secret from OCI Vault on the managed node
version_added: 0.1.0
description:
  - Reads one version of an OCI Vault secret (a secret bundle) by OCID (O(secret_id)) or by name and vault (O(secret_name),
    O(vault_id)), on the managed node, with that node's OCI identity. With O(auth_type=instance_principal) an OCI compute
    instance reads the secret with its own identity; no OCI credentials need to be on the host.
  - The value is returned base64-decoded as text (O(decode)), or parsed from JSON (O(parse_json)), for example the
    credentials that oracle-ads C(MySQLDBSecretKeeper) stores (C(user_name), C(password), C(host), C(port), C(database)).
  - "B(The result carries the secret.) The module's action plugin marks the task result C(no_log) whenever it holds a secret
    value, so Ansible prints it as censored, with or without C(-v); the registered variable keeps the value. The value is
    untrusted for templating (never rendered as a template). Still set C(no_log: true) on the task and on every task that
    uses the value, since those print their own results."
  - Nothing is changed anywhere; the module makes one read call to the OCI Secrets service (several in a loop).
  - For a secret the controller should read, use the lookup plugin P(oracle.mlflow.vault_secret#lookup) instead.
author:
  - oracle.mlflow contributors (!UNKNOWN)
extends_documentation_fragment:
  - oracle.mlflow.oci_auth
  - oracle.mlflow.vault_secret
  - oracle.mlflow.attributes
  - oracle.mlflow.attributes.INFO_MODULE
  - oracle.mlflow.attributes.ACTIONGROUP_OCI
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
    details:
      - The action plugin runs the module on the managed node and marks its result C(no_log) when it holds a secret.
options:
  secret_id:
    description:
      - OCID of the secret, V(ocid1.vaultsecret.<realm>.<region>.<unique id>).
      - Checked before any call; a malformed OCID, or the OCID of another kind of resource, is an error.
      - Mutually exclusive with O(secret_name).
    type: str
  secret_name:
    description:
      - Name of the secret, in the vault O(vault_id) (secret names are unique within a vault).
      - Mutually exclusive with O(secret_id); requires O(vault_id).
    type: str
    aliases:
      - name
  vault_id:
    description:
      - OCID of the vault holding O(secret_name), V(ocid1.vault.<realm>.<region>.<unique id>).
    type: str
notes:
  - With O(on_missing) or O(on_denied) set to V(warn) or V(skip), a secret that could not be read gives RV(found=false) and
    no secret, and the task does not fail.
  - The principal needs an IAM policy such as C(allow dynamic-group <group> to read secret-bundles in compartment
    <compartment>) (or C(... where target.secret.id = '<secret OCID>') for one secret).
  - Every option is checked before OCI is contacted; a malformed O(secret_id) or O(vault_id) fails with the expected form.
seealso:
  - plugin: oracle.mlflow.vault_secret
    plugin_type: lookup
    description: The same read on the controller.
  - name: Vault secret bundles (OCI API)
    description: GetSecretBundle and GetSecretBundleByName.
    link: https://docs.oracle.com/en-us/iaas/api/#/en/secretretrieval/20190301/SecretBundle/
"""

EXAMPLES = r"""
- name: Read the MySQL credentials that oracle-ads MySQLDBSecretKeeper stored, with the instance's identity
  oracle.mlflow.vault_secret_info:
    auth_type: instance_principal
    secret_id: ocid1.vaultsecret.oc1.iad.amaaaaaaexampleexampleexample
    parse_json: true
  register: db
  no_log: true

- name: Use them (also no_log, since this task's result would show them)
  ansible.builtin.copy:
    dest: /etc/myapp/db.env
    mode: "0600"
    content: |
      DBUSERNAME={{ db.secret.user_name }}
      DBPASSWORD={{ db.secret.password }}
  no_log: true

- name: By name, in a vault, the version before the current one
  oracle.mlflow.vault_secret_info:
    secret_name: mlflow-db
    vault_id: ocid1.vault.oc1.iad.bbpexample.abuwcljexampleexample
    stage: PREVIOUS
  register: previous
  no_log: true

- name: A secret that may not exist yet (or that this principal may not read)
  oracle.mlflow.vault_secret_info:
    secret_id: "{{ optional_secret_ocid }}"
    on_missing: skip
  register: optional
  no_log: true

- name: Fall back when it was not found
  ansible.builtin.set_fact:
    api_token: "{{ optional.secret if optional.found else 'unset' }}"
  no_log: true

- name: OCI options once for every OCI module of the collection
  module_defaults:
    group/oracle.mlflow.oci:
      auth_type: instance_principal
  block:
    - name: Read a binary secret as base64
      oracle.mlflow.vault_secret_info:
        secret_id: ocid1.vaultsecret.oc1.iad.amaaaaaakeystoreexample
        decode: false
      register: keystore
      no_log: true
"""

RETURN = r"""
found:
  description:
    - Whether the secret was read. V(false) only when O(on_missing) or O(on_denied) is V(warn) or V(skip) and that case
      happened; the other keys are then V(null).
  returned: always
  type: bool
  sample: true
secret:
  description:
    - The secret value. Text (O(decode=true)), the base64 content (O(decode=false)), or the parsed JSON value
      (O(parse_json=true)). The task result is marked C(no_log) whenever it holds this value.
  returned: always
  type: raw
  sample: {"user_name": "mlflow", "password": "(secret)", "host": "10.0.0.5", "port": "3306", "database": "mlflow"}
secret_id:
  description: OCID of the secret (also when it was read by name).
  returned: always
  type: str
  sample: ocid1.vaultsecret.oc1.iad.amaaaaaaexampleexampleexample
version_number:
  description: Number of the version read.
  returned: always
  type: int
  sample: 3
version_name:
  description: Name of the version read, if it has one.
  returned: always
  type: str
  sample: null
stages:
  description: Rotation stages of the version read.
  returned: always
  type: list
  elements: str
  sample: [CURRENT, LATEST]
time_created:
  description: When the version was created (ISO 8601).
  returned: always
  type: str
  sample: "2026-03-01T12:34:56.789000+00:00"
time_of_expiry:
  description: When the version expires (ISO 8601), if it does.
  returned: always
  type: str
  sample: null
time_of_deletion:
  description: When the version is scheduled for deletion (ISO 8601), if it is.
  returned: always
  type: str
  sample: null
metadata:
  description: The secret's own metadata (key/value pairs set on the secret), if any.
  returned: always
  type: dict
  sample: {"owner": "ml-platform"}
error_kind:
  description:
    - Why the task failed, when it failed reading the secret. V(invalid) bad options, found before any call; V(auth) the OCI
      principal could not be set up; V(missing) 404 C(NotAuthorizedOrNotFound) (see O(on_missing)); V(denied) 401 or 403
      (see O(on_denied)); V(format) the content is not what O(decode) and O(parse_json) ask for; V(error) anything else
      (unreachable endpoint, timeouts, server errors).
  returned: on failure
  type: str
  sample: missing
status:
  description: HTTP status of the error answer of OCI that failed the task.
  returned: on failure, when OCI answered with an error
  type: int
  sample: 404
code:
  description: Error code of that answer.
  returned: on failure, when OCI answered with an error
  type: str
  sample: NotAuthorizedOrNotFound
opc_request_id:
  description: The C(opc-request-id) of that answer, also in the message; Oracle support asks for it.
  returned: on failure, when OCI answered with an error
  type: str
  sample: 3F6A0C7E9B2D4A1F8E5C6B7A9D0E1F2A/0123456789ABCDEF0123456789ABCDEF/FEDCBA9876543210FEDCBA9876543210
"""

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_module import OciModule
from ansible_collections.oracle.mlflow.plugins.module_utils._vault import (
    ON_FAILURE_CHOICES,
    STAGES,
    VaultSecretReader,
    check_decoding,
    failure_action,
    secret_reference,
    version_selector,
)

NOT_FOUND = dict(found=False, secret=None, secret_id=None, version_number=None, version_name=None, stages=None,
                 time_created=None, time_of_expiry=None, time_of_deletion=None, metadata=None)


def main():
    module = OciModule(
        argument_spec=dict(
            secret_id=dict(type='str'),
            secret_name=dict(type='str', aliases=['name']),
            vault_id=dict(type='str'),
            stage=dict(type='str', choices=list(STAGES)),
            version_number=dict(type='int'),
            version_name=dict(type='str'),
            decode=dict(type='bool', default=True),
            parse_json=dict(type='bool', default=False),
            on_missing=dict(type='str', default='error', choices=list(ON_FAILURE_CHOICES)),
            on_denied=dict(type='str', default='error', choices=list(ON_FAILURE_CHOICES)),
        ),
        mutually_exclusive=[('secret_id', 'secret_name'), ('secret_id', 'vault_id'),
                            ('stage', 'version_number', 'version_name')],
        required_one_of=[('secret_id', 'secret_name')],
        required_together=[('secret_name', 'vault_id')],
        supports_check_mode=True,
        failure_result=NOT_FOUND,
    )
    params = module.params
    try:
        # Every option is checked before OCI is contacted.
        ref = secret_reference(params['secret_id'], params['secret_name'], params['vault_id'])
        selector = version_selector(params['stage'], params['version_number'], params['version_name'])
        check_decoding(params['decode'], params['parse_json'])
        reader = VaultSecretReader(params, connect=lambda client_class: (module.client(client_class),
                                                                         module.oci_auth()[0]))
        result = reader.read(ref, selector, decode=params['decode'], parse_json=params['parse_json'])
    except OracleMlflowError as error:
        action = failure_action(error, params['on_missing'], params['on_denied'])
        if action == 'error':
            module.fail(error)
        if action == 'warn':
            module.warn(error.message)
        module.exit_json(changed=False, **NOT_FOUND)
    module.exit_json(changed=False, found=True, **result)


if __name__ == '__main__':
    main()
