# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of oracle.mlflow.file_tree: reads the chosen files on the controller and runs the module on the
managed node once, with their contents.

Why not ``ansible.builtin.copy`` of a directory: it runs a module per file (a stat, then a copy), about a second each,
which made staging the image's build context half of an unchanged deploy; and it never removes a file.
"""

from __future__ import annotations

import base64
import glob
import os

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        validation, args = self.validate_argument_spec(argument_spec=dict(
            src=dict(type='str', required=True),
            dest=dict(type='str', required=True),
            include=dict(type='list', elements='str', required=True),
            mode=dict(type='str', default='0644'),
            directory_mode=dict(type='str', default='0700'),
        ))
        del validation
        try:
            src = self._find_needle('files', args['src'])
            files = self._files(src, args['include'])
        except AnsibleError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        module_args = dict(args, _files=files)
        result = merge_hash(result, self._execute_module(module_name='oracle.mlflow.file_tree', module_args=module_args,
                                                         task_vars=task_vars))
        # -vvv shows the invocation: the paths, not every file's contents again
        invoked = result.get('invocation', {}).get('module_args', {})
        if '_files' in invoked:
            invoked['_files'] = [item['path'] for item in files]
        return result

    @staticmethod
    def _files(src, patterns):
        if not os.path.isdir(src):
            raise AnsibleError('file_tree: src %s is not a directory on the controller.' % src)
        found = {}
        for pattern in patterns:
            if os.path.isabs(pattern) or '..' in pattern.split('/'):
                raise AnsibleError('file_tree: include pattern %r must be relative to src, without "..".' % pattern)
            matches = [path for path in glob.glob(os.path.join(glob.escape(src), pattern)) if os.path.isfile(path)]
            if not matches:
                raise AnsibleError('file_tree: include pattern %r matches no file under %s.' % (pattern, src))
            for path in matches:
                relative = os.path.relpath(path, src)
                if relative not in found:
                    with open(path, 'rb') as handle:
                        found[relative] = base64.b64encode(handle.read()).decode('ascii')
        return [dict(path=path, content=content) for path, content in sorted(found.items())]
