# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The REST calls of MLflow's basic-auth app (MLflow 3.17) that the user and permission modules make.

Private to this collection (underscore prefix): no compatibility promise outside it.

The paths are those of ``mlflow/server/auth/routes.py``; each function takes an ``_mlflow_api.MlflowApi``.
Since MLflow 3.17 a user's own grants are the permissions of a role the server keeps for that user alone (named
``__user_<id>__``, in the resource's workspace); ``users/permissions/grant`` and ``revoke`` write it, and a
grant is changed in place through the role-permission API (revoking and granting again would leave the user on
the server's default permission in between).
"""

from __future__ import annotations

from ansible_collections.oracle.mlflow.plugins.module_utils._mlflow_api import NOT_FOUND, MlflowApiError

USERS = '/api/2.0/mlflow/users/'
PERMISSIONS = '/api/3.0/mlflow/users/permissions/'
USER_ROLES = '/api/3.0/mlflow/users/roles/list'
UPDATE_ROLE_PERMISSION = '/api/3.0/mlflow/roles/permissions/update'

# MLflow's rule for passwords (mlflow.utils.validation._validate_password), checked before any call so that
# check mode can say it too.
MIN_PASSWORD_LENGTH = 12


def _missing(exc):
    return exc.status == 404 and exc.code == NOT_FOUND


def user_view(user):
    """What the modules return of a user: never a password or its hash."""
    return dict(id=user.get('id'), username=user.get('username'), is_admin=bool(user.get('is_admin')))


def get_user(api, username):
    """The user as ``user_view``, or None when there is none of that name."""
    try:
        return user_view(api.get(USERS + 'get', username=username)['user'])
    except MlflowApiError as exc:
        if _missing(exc):
            return None
        raise


def create_user(api, username, password):
    return user_view(api.call('POST', USERS + 'create', body=dict(username=username, password=password))['user'])


def update_password(api, username, password):
    body = dict(username=username, password=password)
    if username == api.username:
        # MLflow asks for the current password when a login changes its own (self-service).
        body['current_password'] = api.login_password()
    api.call('PATCH', USERS + 'update-password', body=body)


def update_admin(api, username, is_admin):
    api.call('PATCH', USERS + 'update-admin', body=dict(username=username, is_admin=is_admin))


def delete_user(api, username):
    api.call('DELETE', USERS + 'delete', body=dict(username=username))


# -- the resources grants are on ---------------------------------------------------------------------------

def get_experiment(api, experiment_id=None, name=None):
    """The experiment (MLflow's JSON) by id or name, or None when there is none."""
    try:
        if name is not None:
            return api.get('/api/2.0/mlflow/experiments/get-by-name', experiment_name=name)['experiment']
        return api.get('/api/2.0/mlflow/experiments/get', experiment_id=experiment_id)['experiment']
    except MlflowApiError as exc:
        if _missing(exc):
            return None
        raise


def get_registered_model(api, name):
    try:
        return api.get('/api/2.0/mlflow/registered-models/get', name=name)['registered_model']
    except MlflowApiError as exc:
        if _missing(exc):
            return None
        raise


# -- a user's own grants -------------------------------------------------------------------------------------

def get_grant(api, user, resource_type, resource_id, workspace=None):
    """``(role_permission_id, permission)`` of the user's own grant on the resource, or None."""
    own_role = '__user_%s__' % user['id']
    roles = api.get(USER_ROLES, username=user['username']).get('roles') or []
    for role in roles:
        if role.get('name') != own_role or (workspace and role.get('workspace') not in (None, workspace)):
            continue
        for grant in role.get('permissions') or []:
            if grant.get('resource_type') == resource_type and str(grant.get('resource_pattern')) == resource_id:
                return grant.get('id'), grant.get('permission')
    return None


def grant(api, username, resource_type, resource_id, permission):
    api.call('POST', PERMISSIONS + 'grant', body=dict(username=username, resource_type=resource_type,
                                                      resource_id=resource_id, permission=permission))


def change_grant(api, role_permission_id, permission):
    api.call('PATCH', UPDATE_ROLE_PERMISSION, body=dict(role_permission_id=role_permission_id, permission=permission))


def revoke(api, username, resource_type, resource_id):
    api.call('POST', PERMISSIONS + 'revoke', body=dict(username=username, resource_type=resource_type,
                                                       resource_id=resource_id))
