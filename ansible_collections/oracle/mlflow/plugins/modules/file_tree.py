#!/usr/bin/python
# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: file_tree
short_description: Make a directory on the managed node hold exactly the chosen files of a controller directory
version_added: 0.2.0
description:
  - Copies the files of O(src) on the controller that match O(include) to O(dest) on the managed node, in one round trip,
    and removes the files under O(dest) that match O(include) but are no longer in O(src), so that O(dest) holds exactly
    that set. Files under O(dest) that match no pattern are left alone.
  - A file counts as unchanged when its contents and permission bits are those requested; timestamps and ownership are
    not compared. Directories on the way are created with O(directory_mode).
  - Made for staging a Docker build context (the oracle.mlflow.mlflow_image role). C(ansible.builtin.copy) of a directory
    costs one module run per file, and never deletes a file an earlier release shipped.
author:
  - oracle.mlflow contributors (!UNKNOWN)
extends_documentation_fragment:
  - oracle.mlflow.attributes
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
    details:
      - The action plugin reads the files on the controller and sends them with the task.
  check_mode:
    support: full
    details:
      - Reports what would be written and removed; writes and removes nothing.
  diff_mode:
    support: full
    details:
      - Shows the managed files (path, permission bits, SHA-256) before and after.
  idempotent:
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  src:
    description:
      - The directory on the controller. A relative path is looked up as C(ansible.builtin.copy) does (the role's
        C(files/), then the playbook's).
    type: str
    required: true
  dest:
    description:
      - The directory on the managed node. Created when missing.
    type: path
    required: true
  include:
    description:
      - Glob patterns of the files to copy, relative to O(src) (and to O(dest) for the removal), for example
        V(Dockerfile) or V(launcher/mlflow_launcher/*.py). C(*) does not cross a C(/); only regular files count.
      - Every pattern must match at least one file in O(src). Absolute paths and C(..) are refused.
    type: list
    elements: str
    required: true
  mode:
    description:
      - Permission bits of every copied file, as an octal string.
    type: str
    default: '0644'
  directory_mode:
    description:
      - Permission bits of O(dest) and the directories under it that hold copied files, as an octal string.
    type: str
    default: '0700'
  _files:
    description:
      - Internal, set by the action plugin; a task does not give it. The files read on the controller, each as
        C(path) (relative to O(dest)) and C(content) (base64).
    type: list
    elements: dict
    required: true
notes:
  - The files travel inside the task's arguments, so this suits small trees (a build context of source files), not data.
seealso:
  - module: ansible.builtin.copy
  - module: ansible.posix.synchronize
    description: For large trees, with rsync on both ends.
"""

EXAMPLES = r"""
- name: Stage a build context
  oracle.mlflow.file_tree:
    src: context/
    dest: /var/tmp/my-image
    include:
      - Dockerfile
      - app/*.py
"""

RETURN = r"""
written:
  description: The files (relative to O(dest)) that were written, or would be in check mode.
  returned: success
  type: list
  elements: str
  sample: [launcher/mlflow_launcher/cli.py]
removed:
  description: The files (relative to O(dest)) that were removed, or would be in check mode.
  returned: success
  type: list
  elements: str
  sample: [launcher/mlflow_launcher/old.py]
directories:
  description: The directories (relative to O(dest), V(.) for O(dest) itself) created or given O(directory_mode).
  returned: success
  type: list
  elements: str
  sample: [launcher]
"""

import base64
import glob
import hashlib
import os
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule


def _octal(module, name):
    try:
        return int(module.params[name], 8)
    except ValueError:
        module.fail_json(msg='%s must be octal permission bits such as 0644, got %r.' % (name, module.params[name]))


def _state(path):
    """(permission bits, SHA-256) of a regular file, or None."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return ('not a file', '')
    with open(path, 'rb') as handle:
        return (stat.S_IMODE(st.st_mode), hashlib.sha256(handle.read()).hexdigest())


def _listing(states):
    return ''.join('%s %s %s\n' % (path, '%04o' % state[0] if isinstance(state[0], int) else state[0], state[1][:12])
                   for path, state in sorted(states.items()) if state)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type='str', required=True),
            dest=dict(type='path', required=True),
            include=dict(type='list', elements='str', required=True),
            mode=dict(type='str', default='0644'),
            directory_mode=dict(type='str', default='0700'),
            # set by the action plugin: [{path, content (base64)}]
            _files=dict(type='list', elements='dict', required=True),
        ),
        supports_check_mode=True,
    )
    dest = module.params['dest']
    mode, directory_mode = _octal(module, 'mode'), _octal(module, 'directory_mode')
    wanted = {item['path']: base64.b64decode(item['content']) for item in module.params['_files']}

    present = set()
    for pattern in module.params['include']:
        present.update(os.path.relpath(path, dest) for path in glob.glob(os.path.join(glob.escape(dest), pattern))
                       if os.path.isfile(path) or os.path.islink(path))
    before = {path: _state(os.path.join(dest, path)) for path in sorted(present | set(wanted))}
    after = {path: (mode, hashlib.sha256(content).hexdigest()) for path, content in wanted.items()}
    written = sorted(path for path in wanted if before[path] != after[path])
    removed = sorted(present - set(wanted))

    directories = []
    for directory in sorted({'.'} | {os.path.dirname(path) or '.' for path in wanted}):
        parts = [] if directory == '.' else directory.split('/')
        for depth in range(len(parts) + 1):
            relative = '/'.join(parts[:depth]) or '.'
            path = os.path.normpath(os.path.join(dest, relative))
            if relative not in directories and (not os.path.isdir(path) or stat.S_IMODE(os.stat(path).st_mode) != directory_mode):
                directories.append(relative)

    changed = bool(written or removed or directories)
    if changed and not module.check_mode:
        for relative in directories:
            path = os.path.normpath(os.path.join(dest, relative))
            if not os.path.isdir(path):
                os.makedirs(path, mode=directory_mode)
            os.chmod(path, directory_mode)
        for relative in written:
            path = os.path.join(dest, relative)
            # a new file in place of the old one: a reader never sees half of it
            fd, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.file_tree-')
            try:
                with os.fdopen(fd, 'wb') as handle:
                    handle.write(wanted[relative])
                os.chmod(temp, mode)
                os.replace(temp, path)
            except BaseException:
                if os.path.exists(temp):
                    os.unlink(temp)
                raise
        for relative in removed:
            os.unlink(os.path.join(dest, relative))

    result = dict(changed=changed, written=written, removed=removed, directories=directories)
    if module._diff:
        result['diff'] = dict(before=_listing(before), after=_listing(after),
                              before_header=dest, after_header=dest)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
