# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: ends ansible-playbook the moment a named task has finished on a host, as a
killed or crashed controller would (no handlers, no later task, no recap).

ANSIBLE_CALLBACKS_ENABLED=interrupt_after, ORACLE_MLFLOW_INTERRUPT_AFTER=<task name>.
"""

from __future__ import annotations

import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: interrupt_after
type: aggregate
short_description: Kill the run right after a named task (tests only)
description:
  - Exits the controller process with status 99 once the task named by E(ORACLE_MLFLOW_INTERRUPT_AFTER) has a result.
requirements:
  - enable in configuration
"""

EXIT_STATUS = 99


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'interrupt_after'
    CALLBACK_NEEDS_ENABLED = True

    def v2_runner_on_ok(self, result):
        task = result._task.get_name()
        if task.endswith(os.environ.get('ORACLE_MLFLOW_INTERRUPT_AFTER', '\0')):
            self._display.display('interrupt_after: killing the run after %r' % task)
            os._exit(EXIT_STATUS)
