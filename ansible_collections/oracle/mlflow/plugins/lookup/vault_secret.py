# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: vault_secret
short_description: Read secrets from OCI Vault on the controller
version_added: 0.1.0
description:
  - Returns the value of one version of each OCI Vault secret named in the terms, read on the controller with the
    controller's OCI identity.
  - A term is a secret OCID (V(ocid1.vaultsecret.<realm>.<region>.<unique id>)), or a secret name, which needs O(vault_id).
    Terms that start with V(ocid1.) are OCIDs and are checked before any call.
  - Values are base64-decoded to text (O(decode)), or parsed from JSON (O(parse_json)), and returned marked unsafe, so
    Ansible never renders them as templates.
  - "Ansible does not hide a lookup's value by itself. Set C(no_log: true) on every task whose arguments or result
    contain it."
  - To read a secret on a managed node, with that node's identity (for example an instance principal), use the module
    M(oracle.mlflow.vault_secret_info).
author:
  - oracle.mlflow contributors (!UNKNOWN)
extends_documentation_fragment:
  - oracle.mlflow.oci_auth.LOOKUP
  - oracle.mlflow.vault_secret
options:
  _terms:
    description: Secret OCIDs, or secret names in the vault O(vault_id).
    required: true
    type: list
    elements: str
  vault_id:
    description:
      - OCID of the vault that holds the secrets given by name, V(ocid1.vault.<realm>.<region>.<unique id>). Terms that
        are OCIDs do not need it.
    type: str
notes:
  - Secrets left out by O(on_missing) or O(on_denied) shorten the result list; with a single term, C(lookup) then returns an
    empty list and C(query) an empty list, which C(default) does not replace (test with C(length), or use C(query)).
  - The controller's principal needs an IAM policy such as C(allow group <group> to read secret-bundles in compartment
    <compartment>).
seealso:
  - module: oracle.mlflow.vault_secret_info
    description: The same read on a managed node.
"""

EXAMPLES = r"""
- name: Use a secret as a module argument (no_log, since the task's arguments hold the value)
  community.docker.docker_login:
    registry_url: registry.example.com
    username: robot
    password: "{{ lookup('oracle.mlflow.vault_secret', 'ocid1.vaultsecret.oc1.iad.amaaaaaaexampleexample') }}"
  no_log: true

- name: The MySQL credentials oracle-ads MySQLDBSecretKeeper stored, as a dictionary
  ansible.builtin.set_fact:
    db: "{{ lookup('oracle.mlflow.vault_secret', db_secret_ocid, parse_json=true) }}"
  no_log: true

- name: By name in a vault, with the API key of another profile, the previous version
  ansible.builtin.set_fact:
    old_password: >-
      {{ lookup('oracle.mlflow.vault_secret', 'mlflow-db', vault_id=vault_ocid, config_profile='ADMIN',
                stage='PREVIOUS') }}
  no_log: true

- name: Several secrets at once; those not found are left out with a warning
  ansible.builtin.set_fact:
    tokens: "{{ query('oracle.mlflow.vault_secret', 'token-a', 'token-b', vault_id=vault_ocid, on_missing='warn') }}"
  no_log: true

- name: On an OCI compute instance as controller, with its own identity
  ansible.builtin.set_fact:
    api_token: "{{ lookup('oracle.mlflow.vault_secret', token_ocid, auth_type='instance_principal') }}"
  no_log: true
"""

RETURN = r"""
_raw:
  description:
    - One value per secret read, in the order of the terms (secrets left out by O(on_missing) or O(on_denied) are
      missing from the list).
    - Text (O(decode=true)), the base64 content (O(decode=false)), or the parsed JSON value (O(parse_json=true)); marked
      unsafe.
  type: list
  elements: raw
"""

from ansible.errors import AnsibleLookupError
from ansible.module_utils.basic import missing_required_lib
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_auth import (
    HAS_OCI_SDK,
    OCI_AUTH_ARGS,
    OCI_SDK_NAME,
    OciAuthError,
    check_timeout,
)
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_errors import auth_error
from ansible_collections.oracle.mlflow.plugins.module_utils._vault import (
    VaultSecretReader,
    check_decoding,
    failure_action,
    is_ocid_reference,
    secret_reference,
    version_selector,
)

display = Display()
PREFIX = 'oracle.mlflow.vault_secret: '


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        params = dict((name, self.get_option(name)) for name in OCI_AUTH_ARGS)
        on_missing, on_denied = self.get_option('on_missing'), self.get_option('on_denied')
        decode, parse_json = self.get_option('decode'), self.get_option('parse_json')
        vault_id = self.get_option('vault_id')

        # Every input is checked before OCI is contacted.
        try:
            params['timeout'] = check_timeout(self.get_option('timeout'))
            check_decoding(decode, parse_json)
            selector = version_selector(self.get_option('stage'), self.get_option('version_number'),
                                        self.get_option('version_name'))
            refs = [self._reference(term, vault_id) for term in self._flatten(terms)]
        except OracleMlflowError as exc:
            raise AnsibleLookupError(PREFIX + exc.message) from None
        if not HAS_OCI_SDK:
            raise AnsibleLookupError(PREFIX + missing_required_lib(OCI_SDK_NAME))

        reader = VaultSecretReader(params)
        values = []
        for ref in refs:
            try:
                values.append(reader.read(ref, selector, decode=decode, parse_json=parse_json)['secret'])
            except OciAuthError as exc:
                raise AnsibleLookupError(PREFIX + auth_error(params['auth_type'], exc).message) from None
            except OracleMlflowError as exc:
                action = failure_action(exc, on_missing, on_denied)
                if action == 'error':
                    raise AnsibleLookupError(PREFIX + exc.message) from None
                if action == 'warn':
                    display.warning(PREFIX + exc.message)
        return wrap_var(values)

    @staticmethod
    def _reference(term, vault_id):
        if not isinstance(term, str):
            raise OracleMlflowError('invalid', 'Terms are secret OCIDs or names (strings), not %s.' % type(term).__name__)
        if is_ocid_reference(term):
            return secret_reference(secret_id=term, option='the term')
        return secret_reference(name=term, vault_id=vault_id)
