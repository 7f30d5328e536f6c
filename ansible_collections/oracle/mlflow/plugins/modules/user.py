#!/usr/bin/python
# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: user
short_description: Create, update or delete a user of an MLflow tracking server's basic-auth app
version_added: 0.2.0
description:
  - Makes a login of an MLflow tracking server that runs MLflow's basic-auth app (C(mlflow server --app-name basic-auth))
    exist with a password and an admin flag, or be gone, through the server's REST API as an admin
    (O(auth_username)).
  - The server keeps only a hash of each password, so the module compares a password by logging in as the user with it;
    a wrong one is a change (with O(update_password=always)).
  - It refuses to delete or to demote the login it authenticates with; the server would otherwise lose its last admin
    or the task its own access.
author:
  - oracle.mlflow contributors (!UNKNOWN)
extends_documentation_fragment:
  - oracle.mlflow.mlflow_api
  - oracle.mlflow.attributes
  - oracle.mlflow.attributes.ACTIONGROUP_MLFLOW
attributes:
  check_mode:
    support: full
    details:
      - Reads the user and tries the password, then reports what would change; writes nothing.
  diff_mode:
    support: full
    details:
      - The user's state and admin flag before and after, and whether the password changes (never the password).
  idempotent:
    support: full
options:
  username:
    description: Name of the user (the login).
    type: str
    required: true
  password:
    description:
      - The user's password, at least 12 characters (MLflow's rule). Required to create a user.
      - Keep it in Ansible Vault, or read it with the P(oracle.mlflow.vault_secret#lookup) lookup.
    type: str
  is_admin:
    description:
      - Whether the user is an admin of the server (may manage users and every permission).
      - Not set, a new user is not an admin and an existing user keeps its flag.
    type: bool
  update_password:
    description:
      - V(always) sets O(password) whenever the user cannot log in with it.
      - V(on_create) sets it only on a user the module creates (a user may have changed theirs since).
    type: str
    choices: [always, on_create]
    default: always
  state:
    description:
      - V(present) the user exists as described; V(absent) there is no such user (its own permissions go with it).
    type: str
    choices: [present, absent]
    default: present
notes:
  - Each comparison of a password is one login attempt as that user, which the server logs like any other.
seealso:
  - module: oracle.mlflow.permission
"""

EXAMPLES = r"""
- name: A data scientist who may log runs where she is granted it
  oracle.mlflow.user:
    tracking_uri: https://mlflow.example.com
    auth_username: admin
    auth_password: "{{ vault_mlflow_admin_password }}"
    username: alice
    password: "{{ vault_mlflow_alice_password }}"

- name: A second admin, with the password from OCI Vault, set only when the user is created
  oracle.mlflow.user:
    tracking_uri: https://mlflow.example.com
    auth_username: admin
    auth_password: "{{ vault_mlflow_admin_password }}"
    username: ops
    password: "{{ lookup('oracle.mlflow.vault_secret', 'ocid1.vaultsecret.oc1..example', auth_type='instance_principal') }}"
    is_admin: true
    update_password: on_create

- name: Remove a user
  oracle.mlflow.user:
    tracking_uri: https://mlflow.example.com
    auth_username: admin
    auth_password: "{{ vault_mlflow_admin_password }}"
    username: bob
    state: absent
"""

RETURN = r"""
user:
  description: The user as the server describes it; V(null) when it does not exist (or, in check mode, is yet to be created).
  returned: always
  type: dict
  contains:
    id:
      description: The server's id of the user.
      type: int
      sample: 3
    username:
      description: Name of the user.
      type: str
      sample: alice
    is_admin:
      description: Whether the user is an admin.
      type: bool
      sample: false
changes:
  description:
    - What changed (or would change, in check mode), in order - V(created), V(password), V(is_admin), V(deleted).
  returned: always
  type: list
  elements: str
  sample: [created]
error_kind:
  description:
    - V(invalid) the options are wrong (or the server refused the values); V(denied) the admin login was refused or is not
      an admin; V(unreachable) no answer, or TLS verification failed; V(error) anything else.
  returned: on failure
  type: str
  sample: denied
"""

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._mlflow_api import MlflowModule
from ansible_collections.oracle.mlflow.plugins.module_utils import _mlflow_auth as auth


def preflight(params, login):
    """The options' own mistakes, before any call: one line each."""
    name = params['username']
    if not name:
        raise OracleMlflowError('invalid', 'username must not be empty.')
    if name == login and params['state'] == 'absent':
        raise OracleMlflowError('invalid', 'Refusing to delete user %r: it is the admin login this task authenticates '
                                           'with (auth_username); delete it with another admin login.' % name)
    if name == login and params['is_admin'] is False:
        raise OracleMlflowError('invalid', 'Refusing to demote user %r: it is the admin login this task authenticates '
                                           'with (auth_username); demote it with another admin login.' % name)
    password = params['password']
    if params['state'] == 'present' and password is not None and len(password) < auth.MIN_PASSWORD_LENGTH:
        raise OracleMlflowError('invalid', 'The password of user %r is %d characters long; MLflow needs at least %d.'
                                % (name, len(password), auth.MIN_PASSWORD_LENGTH))


def plan(api, params, user):
    """The changes that make ``user`` (None: there is none) what the options say."""
    name, password = params['username'], params['password']
    if params['state'] == 'absent':
        return ['deleted'] if user else []
    if user is None:
        if password is None:
            raise OracleMlflowError('invalid', 'There is no user %r yet: set password to create it.' % name)
        return ['created'] + (['is_admin'] if params['is_admin'] else [])
    changes = []
    if password is not None and params['update_password'] == 'always' and not api.authenticates(name, password):
        changes.append('password')
    if params['is_admin'] is not None and params['is_admin'] != user['is_admin']:
        changes.append('is_admin')
    return changes


def apply(api, params, changes):
    name = params['username']
    if 'deleted' in changes:
        auth.delete_user(api, name)
        return None
    if 'created' in changes:
        auth.create_user(api, name, params['password'])
    if 'is_admin' in changes:
        auth.update_admin(api, name, params['is_admin'])
    # Last: when the login changes its own password, later calls with the old one would be refused.
    if 'password' in changes:
        auth.update_password(api, name, params['password'])
    return auth.get_user(api, name)


def view(params, user, changes):
    """The diff's side: state and admin flag (the password never; only whether it changes)."""
    if user is None:
        return dict(state='absent', username=params['username'])
    side = dict(state='present', username=user['username'], is_admin=user['is_admin'])
    if 'password' in changes:
        side['password_changed'] = True
    return side


def expected(params, user, changes):
    """The user after ``changes`` (id unknown for one yet to be created)."""
    if 'deleted' in changes:
        return None
    if user is None:
        user = dict(id=None, username=params['username'], is_admin=False)
    user = dict(user)
    if 'is_admin' in changes:
        user['is_admin'] = params['is_admin']
    return user


def main():
    module = MlflowModule(
        argument_spec=dict(
            username=dict(type='str', required=True),
            password=dict(type='str', no_log=True),
            is_admin=dict(type='bool'),
            update_password=dict(type='str', choices=['always', 'on_create'], default='always', no_log=False),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
        ),
        supports_check_mode=True,
        failure_result=dict(changed=False, user=None, changes=[]),
    )
    params, api = module.params, module.api
    try:
        preflight(params, api.username)
        user = auth.get_user(api, params['username'])
        changes = plan(api, params, user)
        after = expected(params, user, changes)
        if changes and not module.check_mode:
            after = apply(api, params, changes)
    except OracleMlflowError as error:
        module.fail(error)
    result = dict(changed=bool(changes), changes=changes,
                  user=after if not (module.check_mode and user is None) else None)
    if module._diff:
        result['diff'] = dict(before=view(params, user, []), after=view(params, expected(params, user, changes), changes))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
