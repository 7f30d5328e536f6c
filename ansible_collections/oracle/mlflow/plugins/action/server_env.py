# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of oracle.mlflow.server_env: the role variables -> the env contract -> the env file.

On the controller, with the task's variables: only the role variables the contract names are read (and
templated), so the contract (``module_utils/_env_contract.py``) is the one list of what the file holds.
"""

from __future__ import annotations

import hashlib

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.oracle.mlflow.plugins.module_utils import _env_contract as contract
from ansible_collections.oracle.mlflow.plugins.module_utils import _env_role as role
from ansible_collections.oracle.mlflow.plugins.module_utils._env_role import EXTRA_ENV_VAR


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        task_vars = task_vars or {}
        validation, args = self.validate_argument_spec(
            argument_spec=dict(header=dict(type='list', elements='str', default=[])))
        del validation

        values = {}
        for setting in contract.SETTINGS:
            if setting.var and setting.var in task_vars:
                values[setting.var] = self._value(setting.var, task_vars)
        extra_env = self._value(EXTRA_ENV_VAR, task_vars) if EXTRA_ENV_VAR in task_vars else {}
        if not isinstance(extra_env, dict):
            return self._failed(result, '%s must be a dictionary of VARIABLE: value.' % EXTRA_ENV_VAR)

        try:
            env = role.env_from_role_vars(values, extra_env, EXTRA_ENV_VAR)
            config = role.check_role_env(env, values, EXTRA_ENV_VAR)
        except contract.ConfigError as exc:
            return self._failed(result, str(exc))

        text = role.env_file_text(env, args['header'])
        secret = any(role.is_secret(name) for name in env)
        warnings = [role.role_warning(warning, values) for warning in config.warnings]
        for warning in warnings:
            self._display.warning(warning)
        result.update(
            changed=False,
            env=env,
            env_file=text,
            checksum=hashlib.sha256(text.encode('utf-8')).hexdigest(),
            secret=secret,
            oci_buckets=role.oci_buckets(env, values),
            contract_warnings=warnings,
        )
        if secret:
            result['_ansible_no_log'] = True
        return result

    def _value(self, name, task_vars):
        try:
            return self._templar.template(task_vars[name])
        except AnsibleError as exc:
            raise AnsibleError('%s: %s' % (name, exc)) from None

    @staticmethod
    def _failed(result, message):
        result.update(failed=True, msg=message, error_kind='invalid')
        return result
