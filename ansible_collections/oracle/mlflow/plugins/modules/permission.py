#!/usr/bin/python
# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: permission
short_description: Grant, change or revoke a user's permission on an MLflow experiment or registered model
version_added: 0.2.0
description:
  - Sets the permission one user of an MLflow tracking server's basic-auth app holds on one experiment or registered
    model, or removes it, through the server's REST API as an admin (O(auth_username)).
  - The permission managed is the user's own grant on that resource. Without one the user gets the server's
    C(default_permission) (of its C(basic_auth.ini)); permissions of roles an admin assigned are not changed.
  - A user, experiment or model that does not exist is an error that names it; the module creates neither.
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
      - Reads the user, the resource and the grant, then reports what would change; writes nothing.
  diff_mode:
    support: full
    details:
      - The permission before and after (V(null) for no grant of the user's own).
  idempotent:
    support: full
options:
  username:
    description: The user the permission is for.
    type: str
    required: true
  experiment_id:
    description: ID of the experiment. Exactly one of O(experiment_id), O(experiment_name) and O(registered_model_name).
    type: str
  experiment_name:
    description: Name of the experiment.
    type: str
  registered_model_name:
    description: Name of the registered model (in the model registry).
    type: str
  permission:
    description:
      - What the user may do. V(READ) read; V(USE) read and use (MLflow 3.17); V(EDIT) also write (log runs, new
        versions); V(MANAGE) also delete and grant permissions on it.
      - V(NO_PERMISSIONS) shuts the user out of this resource whatever the server's C(default_permission). MLflow 3.17
        stores it as its explicit V(DENY) grant (it no longer accepts a V(NO_PERMISSIONS) grant on a resource), so
        RV(permission) then reads V(DENY); V(DENY) may be given as well, with the same effect.
      - Required with O(state=present).
    type: str
    choices: [READ, USE, EDIT, MANAGE, NO_PERMISSIONS, DENY]
  state:
    description:
      - V(present) the user holds O(permission) on the resource; V(absent) the user holds no grant of its own on it
        (and gets the server's C(default_permission) again).
    type: str
    choices: [present, absent]
    default: present
notes:
  - Admins of the server pass every permission check; a grant to an admin has no effect until the user is demoted.
  - The grant is made in the server's default workspace (MLflow workspaces are not supported by this module).
seealso:
  - module: oracle.mlflow.user
"""

EXAMPLES = r"""
- name: Alice may log runs to the fraud experiment
  oracle.mlflow.permission:
    tracking_uri: https://mlflow.example.com
    auth_username: admin
    auth_password: "{{ vault_mlflow_admin_password }}"
    username: alice
    experiment_name: fraud-detection
    permission: EDIT

- name: Bob may not even read the churn model
  oracle.mlflow.permission:
    tracking_uri: https://mlflow.example.com
    auth_username: admin
    auth_password: "{{ vault_mlflow_admin_password }}"
    username: bob
    registered_model_name: churn
    permission: NO_PERMISSIONS

- name: Back to the server's default permission
  oracle.mlflow.permission:
    tracking_uri: https://mlflow.example.com
    auth_username: admin
    auth_password: "{{ vault_mlflow_admin_password }}"
    username: bob
    registered_model_name: churn
    state: absent
"""

RETURN = r"""
permission:
  description: The user's own permission on the resource, as the server stores it; V(null) for none.
  returned: always
  type: str
  sample: EDIT
resource_type:
  description: V(experiment) or V(registered_model).
  returned: success
  type: str
  sample: experiment
resource_id:
  description: The experiment's ID, or the registered model's name.
  returned: success
  type: str
  sample: "12"
error_kind:
  description:
    - V(missing) no such user, experiment or registered model; V(invalid) the options are wrong (or the server refused
      them); V(denied) the admin login was refused or is not an admin; V(unreachable) no answer, or TLS verification
      failed; V(error) anything else.
  returned: on failure
  type: str
  sample: missing
"""

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._mlflow_api import MlflowModule
from ansible_collections.oracle.mlflow.plugins.module_utils import _mlflow_auth as auth

RESOURCE_OPTIONS = ('experiment_id', 'experiment_name', 'registered_model_name')
# What the server stores for each choice: it has no NO_PERMISSIONS grant on a resource any more.
STORED = dict(NO_PERMISSIONS='DENY')


def resource(api, params):
    """``(resource_type, resource_id, workspace)`` of the resource the options name; raises ``missing``."""
    if params['registered_model_name'] is not None:
        model = auth.get_registered_model(api, params['registered_model_name'])
        if model is None:
            raise OracleMlflowError('missing', 'There is no registered model named %r on %s.'
                                    % (params['registered_model_name'], api.base_url))
        return 'registered_model', model['name'], model.get('workspace')
    if params['experiment_name'] is not None:
        experiment = auth.get_experiment(api, name=params['experiment_name'])
        what = 'named %r' % params['experiment_name']
    else:
        experiment = auth.get_experiment(api, experiment_id=params['experiment_id'])
        what = 'with ID %r' % params['experiment_id']
    if experiment is None:
        raise OracleMlflowError('missing', 'There is no experiment %s on %s.' % (what, api.base_url))
    return 'experiment', str(experiment['experiment_id']), experiment.get('workspace')


def main():
    module = MlflowModule(
        argument_spec=dict(
            username=dict(type='str', required=True),
            experiment_id=dict(type='str'),
            experiment_name=dict(type='str'),
            registered_model_name=dict(type='str'),
            permission=dict(type='str', choices=['READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS', 'DENY']),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
        ),
        mutually_exclusive=[RESOURCE_OPTIONS],
        required_one_of=[RESOURCE_OPTIONS],
        required_if=[('state', 'present', ['permission'])],
        supports_check_mode=True,
        failure_result=dict(changed=False, permission=None),
    )
    params, api = module.params, module.api
    wanted = STORED.get(params['permission'], params['permission']) if params['state'] == 'present' else None
    try:
        user = auth.get_user(api, params['username'])
        if user is None:
            raise OracleMlflowError('missing', 'There is no user %r on %s: create it first (oracle.mlflow.user).'
                                    % (params['username'], api.base_url))
        resource_type, resource_id, workspace = resource(api, params)
        module.failure_result.update(resource_type=resource_type)
        held = auth.get_grant(api, user, resource_type, resource_id, workspace)
        before = held[1] if held else None
        changed = before != wanted
        if changed and not module.check_mode:
            if wanted is None:
                auth.revoke(api, user['username'], resource_type, resource_id)
            elif held is None:
                auth.grant(api, user['username'], resource_type, resource_id, wanted)
            else:
                auth.change_grant(api, held[0], wanted)
    except OracleMlflowError as error:
        module.fail(error)
    result = dict(changed=changed, permission=wanted if changed else before, resource_type=resource_type,
                  resource_id=resource_id)
    if module._diff:
        result['diff'] = dict(before=dict(username=user['username'], resource_type=resource_type,
                                          resource_id=resource_id, permission=before),
                              after=dict(username=user['username'], resource_type=resource_type,
                                         resource_id=resource_id, permission=wanted))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
