#!/usr/bin/python
# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: oci_profile_copy
short_description: Copy one API key profile of an OCI config file, with its key, for a container
version_added: 0.2.0
description:
  - Reads one profile of an OCI config file on the managed node with the OCI SDK's own reader (values inherited from
    C([DEFAULT]) included), checks that it is a usable API key profile, and writes it into O(dest) as the C([DEFAULT])
    profile of a new C(config) file, next to a copy of its key. C(key_file) is rewritten to O(container_dir)/<key file
    name>, so the copy works where O(dest) is mounted in a container (the oracle.mlflow.mlflow_server role mounts it
    read-only at the image user's C(~/.oci)).
  - O(dest) gets mode 0700, the files 0600, all owned by O(owner) and O(group), so the container's user can read them
    and nobody else on the host.
  - Returns a checksum of what was written, so a container that reads the files at start can be labelled with it and
    restarted when it differs.
author:
  - oracle.mlflow contributors (!UNKNOWN)
extends_documentation_fragment:
  - oracle.mlflow.attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads the profile and the files in O(dest) and reports whether they would change; writes nothing.
  diff_mode:
    support: partial
    details:
      - Shows the profile's keys and values before and after, with C(pass_phrase) hidden; the key file by checksum only.
  idempotent:
    support: full
options:
  config_file:
    description: OCI config file on the managed node. C(~) is the home of the user the module runs as.
    type: path
    default: ~/.oci/config
  profile:
    description: Profile (section) of O(config_file) to copy.
    type: str
    default: DEFAULT
  dest:
    description: Directory to write C(config) and the key into; created when missing.
    type: path
    required: true
  container_dir:
    description: Directory O(dest) is mounted at, as the copied C(key_file) names it (C(~) is the container user's home).
    type: str
    default: ~/.oci
  owner:
    description: Owner of O(dest) and its files (a user name or a numeric uid, which need not exist on the host).
    type: str
  group:
    description: Group of O(dest) and its files (a name or a numeric gid).
    type: str
  comment:
    description: Comment lines at the top of the copied C(config) (without C(#)).
    type: list
    elements: str
    default: []
requirements:
  - the OCI SDK for Python (C(oci)) on the managed node (its config reader)
notes:
  - Only the keys of an API key profile are copied (C(user), C(fingerprint), C(tenancy), C(region), C(key_file),
    C(pass_phrase)); a session profile (C(security_token_file)) is refused with a hint.
seealso:
  - name: SDK and CLI configuration file
    description: The OCI config file format.
    link: https://docs.oracle.com/en-us/iaas/Content/API/Concepts/sdkconfig.htm
"""

EXAMPLES = r"""
- name: Give a container the host's DEFAULT profile, for its user (uid 10001) at ~/.oci
  oracle.mlflow.oci_profile_copy:
    dest: /etc/mlflow/oci
    owner: "10001"
    group: "10001"
  register: oci_profile

- name: Run the container with it, restarted when the copy changes
  community.docker.docker_container:
    name: app
    image: app:latest
    volumes:
      - /etc/mlflow/oci:/home/app/.oci:ro
    labels:
      oci-profile-checksum: "{{ oci_profile.checksum }}"
"""

RETURN = r"""
checksum:
  description: SHA-256 over the copied C(config) and key (what a container reading them at start depends on).
  returned: success
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
config_path:
  description: Path of the copied C(config).
  returned: success
  type: str
  sample: /etc/mlflow/oci/config
key_path:
  description: Path of the copied key.
  returned: success
  type: str
  sample: /etc/mlflow/oci/oci_api_key.pem
error_kind:
  description: V(invalid) bad options; V(missing) no such config file, profile or key file; V(format) not an API key profile.
  returned: failure
  type: str
  sample: missing
"""

import hashlib
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_auth import HAS_OCI_SDK
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_profile import read_api_key_profile

HIDDEN = '(hidden)'


def config_text(settings, key_name, container_dir, comment):
    """The copied config: the comment, then the profile as [DEFAULT] with key_file in container_dir."""
    lines = ['# %s' % line for line in comment] + ['[DEFAULT]']
    for key in sorted(settings):
        value = '%s/%s' % (container_dir.rstrip('/'), key_name) if key == 'key_file' else settings[key]
        lines.append('%s=%s' % (key, value))
    return ('\n'.join(lines) + '\n').encode('utf-8')


def _read(path):
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except (IOError, OSError):
        return None


class ProfileCopy(object):

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.dest = self.params['dest']
        self.changed = False

    def file_args(self, path, mode):
        return dict(path=path, mode=mode, owner=self.params['owner'], group=self.params['group'],
                    secontext=None, attributes=None)

    def ensure_dir(self):
        if not os.path.isdir(self.dest):
            self.changed = True
            if self.module.check_mode:
                return
            try:
                os.makedirs(self.dest, 0o700)
            except OSError as exc:
                raise OracleMlflowError('error', 'Cannot create %s: %s' % (self.dest, exc.strerror or exc)) from None
        self.changed = self.module.set_fs_attributes_if_different(
            self.file_args(self.dest, '0700'), self.changed, expand=False)

    def ensure_file(self, path, content):
        if _read(path) != content:
            self.changed = True
            if not self.module.check_mode:
                handle, temp = tempfile.mkstemp(dir=self.dest, prefix='.oracle-mlflow-')
                try:
                    os.fchmod(handle, 0o600)
                    os.write(handle, content)
                finally:
                    os.close(handle)
                self.module.atomic_move(temp, path)
        if os.path.exists(path):
            self.changed = self.module.set_fs_attributes_if_different(
                self.file_args(path, '0600'), self.changed, expand=False)

    def run(self):
        settings = read_api_key_profile(self.params['config_file'], self.params['profile'])
        key = _read(settings['key_file'])
        if key is None:
            raise OracleMlflowError('missing', "The key file %s of profile '%s' (%s) cannot be read."
                                    % (settings['key_file'], self.params['profile'], self.params['config_file']))
        key_name = os.path.basename(settings['key_file'])
        if key_name == 'config':
            raise OracleMlflowError('invalid', "The key file of profile '%s' is named 'config', which would overwrite "
                                    "the copied config: rename it." % self.params['profile'])
        config = config_text(settings, key_name, self.params['container_dir'], self.params['comment'])
        config_path, key_path = os.path.join(self.dest, 'config'), os.path.join(self.dest, key_name)
        before = _read(config_path)
        self.ensure_dir()
        self.ensure_file(key_path, key)
        self.ensure_file(config_path, config)
        result = dict(changed=self.changed, config_path=config_path, key_path=key_path,
                      checksum=hashlib.sha256(config + b'\0' + key).hexdigest())
        if self.module._diff:
            result['diff'] = dict(before=_shown(before), after=_shown(config),
                                  before_header=config_path, after_header=config_path)
        return result


def _shown(config):
    """Config text for a diff, with the pass phrase hidden."""
    if config is None:
        return ''
    lines = []
    for line in config.decode('utf-8', 'replace').splitlines():
        if line.startswith('pass_phrase='):
            line = 'pass_phrase=%s' % HIDDEN
        lines.append(line)
    return '\n'.join(lines) + '\n'


def main():
    module = AnsibleModule(
        argument_spec=dict(
            config_file=dict(type='path', default='~/.oci/config'),
            profile=dict(type='str', default='DEFAULT'),
            dest=dict(type='path', required=True),
            container_dir=dict(type='str', default='~/.oci'),
            owner=dict(type='str'),
            group=dict(type='str'),
            comment=dict(type='list', elements='str', default=[]),
        ),
        supports_check_mode=True,
    )
    if not HAS_OCI_SDK:
        module.fail_json(msg='oracle.mlflow.oci_profile_copy needs the OCI SDK for Python (oci) on the managed node, '
                         'for its config file reader: pip install oci.', error_kind='invalid')
    try:
        result = ProfileCopy(module).run()
    except OracleMlflowError as exc:
        module.fail_json(**exc.result())
    module.exit_json(**result)


if __name__ == '__main__':
    main()
