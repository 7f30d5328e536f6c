#!/usr/bin/python
# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_env
short_description: Build and check the tracking server's env file from the mlflow_server role variables
version_added: 0.2.0
description:
  - Runs on the controller (an action plugin). Reads the C(mlflow_server_*) variables of the task, maps each to its
    variable of the image's env contract (C(mlflow_server_port) to C(MLFLOW_PORT), ...), adds C(mlflow_server_extra_env),
    and validates the result with the contract's own check, the one the image's launcher runs at start.
  - "A wrong value fails the task before anything on a host changes, with one line naming the role variable (and the
    env variable), for example C(mlflow_server_port: '0' is not a whole number between 1 and 65535 (MLFLOW_PORT))."
  - Returns the env file's text, its checksum, whether it holds a secret, and the C(oci://) buckets it names. The
    oracle.mlflow.mlflow_server role writes that text to the host; other roles and playbooks can too.
  - The result is marked C(no_log) when it holds a secret (a database URI with its password, C(DBPASSWORD)), so it is
    never printed; the registered variable keeps the values.
author:
  - oracle.mlflow contributors (!UNKNOWN)
extends_documentation_fragment:
  - oracle.mlflow.attributes
  - oracle.mlflow.attributes.INFO_MODULE
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
    details:
      - The whole module runs on the controller; nothing is sent to the host.
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: all
options:
  header:
    description:
      - Comment lines at the top of the env file (without C(#)). They are part of the checksum.
    type: list
    elements: str
    default: []
notes:
  - The env contract is C(plugins/module_utils/_env_contract.py); the README of the collection lists every variable.
  - Role variables that are not set, or empty, are left out of the file, so the image's defaults apply.
seealso:
  - name: The image's env contract
    description: The variables, their defaults and the role variables that set them (README of the collection).
    link: https://github.com/oracle/oci-mlflow-ansible#the-images-environment-contract
"""

EXAMPLES = r"""
- name: Build and check the env file (inside the oracle.mlflow.mlflow_server role, or with its variables set)
  oracle.mlflow.server_env:
    header:
      - Settings of the MLflow tracking server
  register: contract

- name: Write it
  ansible.builtin.copy:
    content: "{{ contract.env_file }}"
    dest: /etc/mlflow/mlflow.env
    mode: "0600"
  no_log: "{{ contract.secret }}"
"""

RETURN = r"""
env:
  description: The env file's variables, in the contract's order, then the extra variables by name.
  returned: success
  type: dict
  sample: {"MLFLOW_HOST": "0.0.0.0", "MLFLOW_PORT": "5000", "BACKEND_PROVIDER": "sqlite"}
env_file:
  description: The env file's text (docker C(--env-file) format, one C(NAME=value) per line).
  returned: success
  type: str
checksum:
  description: SHA-256 of RV(env_file), to label a container with what it reads at start.
  returned: success
  type: str
  sample: 3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
secret:
  description: Whether the file holds a secret; write it with C(no_log) then.
  returned: success
  type: bool
  sample: false
oci_buckets:
  description: The distinct Object Storage buckets of the C(oci://) artifact locations, with the role variables naming them.
  returned: success
  type: list
  elements: dict
  sample: [{"bucket": "mlflow", "namespace": "axaxnpcrorw5", "prefix": "runs", "variables": ["mlflow_server_artifacts_destination"]}]
contract_warnings:
  description: What the contract warns about (also shown as warnings), for example an C(oci://) default artifact root.
  returned: success
  type: list
  elements: str
error_kind:
  description: V(invalid) when a setting is wrong.
  returned: failure
  type: str
  sample: invalid
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(header=dict(type='list', elements='str', default=[])),
                           supports_check_mode=True)
    module.fail_json(msg='oracle.mlflow.server_env runs on the controller as an action plugin; it cannot run as a module.')


if __name__ == '__main__':
    main()
