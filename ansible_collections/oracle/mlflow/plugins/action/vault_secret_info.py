# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of oracle.mlflow.vault_secret_info: runs the module on the managed node, then marks
its result ``no_log`` when it holds a secret value.

Why here and not in the module: a module can only mask values through ``no_log_values``, and
``AnsibleModule.exit_json`` applies that mask to the whole result, the returned secret included, so the
registered variable would hold ``VALUE_SPECIFIED_IN_NO_LOG_PARAMETER`` instead of the secret. A
result's ``_ansible_no_log`` flag, which only an action plugin may set, hides the result from every
callback (console, -v, JSON output, logs) and leaves the registered value intact.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False  # async_status would print the secret unmasked

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect

        result = merge_hash(result, self._execute_module(task_vars=task_vars))
        if result.get('secret') is not None:
            result['_ansible_no_log'] = True
        return result
