# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: image_layout
short_description: Facts of the oci-mlflow image this release of the collection builds
version_added: 0.2.0
description:
  - Returns what the image built by the oracle.mlflow.mlflow_image role ships and where things are inside it, from the
    image's env contract (C(plugins/module_utils/_env_contract.py)), the one place these facts are written.
  - The roles take their defaults from it (the image tag is the MLflow version, the server's data directory is owned by
    the image's uid); use it in your own plays to mount or own files the way the image expects.
  - Keys - C(mlflow_version) (the MLflow the image ships), C(uid) (the unprivileged user the server runs as), C(home)
    (that user's home), C(oci_dir) (where an api_key OCI config is mounted), C(env_dir) and C(env_file) (where the
    launcher reads its env file), C(data_dir) (the data volume), C(venv) (the server's Python environment).
author:
  - oracle.mlflow contributors (!UNKNOWN)
options:
  _terms:
    description: Keys to return; none returns the whole dictionary.
    type: list
    elements: str
    required: false
"""

EXAMPLES = r"""
- name: The MLflow version of this release's image
  ansible.builtin.debug:
    msg: "{{ lookup('oracle.mlflow.image_layout', 'mlflow_version') }}"

- name: A directory the image's user owns
  ansible.builtin.file:
    path: /srv/mlflow-extra
    state: directory
    owner: "{{ lookup('oracle.mlflow.image_layout', 'uid') }}"
    mode: "0750"
"""

RETURN = r"""
_raw:
  description:
    - One value per key asked for (a string, or an integer for C(uid)); without keys, one dictionary of them all.
  type: list
  elements: raw
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.oracle.mlflow.plugins.module_utils._env_contract import IMAGE_LAYOUT


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if not terms:
            return [dict(IMAGE_LAYOUT)]
        unknown = [term for term in terms if term not in IMAGE_LAYOUT]
        if unknown:
            raise AnsibleLookupError('oracle.mlflow.image_layout: unknown key %s; the keys are %s.'
                                     % (', '.join(repr(term) for term in unknown), ', '.join(sorted(IMAGE_LAYOUT))))
        return [IMAGE_LAYOUT[term] for term in terms]
