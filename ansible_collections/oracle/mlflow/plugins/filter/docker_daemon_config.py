# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: docker_daemon_config
short_description: Merge log rotation and other settings into a Docker daemon.json
version_added: 0.3.0
description:
  - Takes the text of a host's C(/etc/docker/daemon.json) (empty when there is none) and returns the settings
    with the log driver and its options set, the way the oracle.mlflow.docker_host role writes them.
  - Settings already in the file are kept. The log options are merged into the file's own when the file already
    uses the same log driver; when it names another driver, its log options (which belonged to that driver) are
    replaced. Log option values become strings, as dockerd requires (a number there stops it from starting).
  - O(options) are other daemon settings, merged recursively (dictionaries key by key, anything else replaced).
author:
  - oracle.mlflow contributors (!UNKNOWN)
options:
  _input:
    description: The current text of daemon.json; empty or only whitespace means no settings yet.
    type: str
    required: true
  log_driver:
    description: The log driver to set (C(log-driver)).
    type: str
    default: json-file
  log_opts:
    description: Its options (C(log-opts)), for example C(max-size) and C(max-file).
    type: dict
    default: {}
  options:
    description:
      - Other daemon settings. C(log-driver) and C(log-opts) are not allowed here (use O(log_driver) and O(log_opts)).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: The daemon settings with log rotation
  ansible.builtin.set_fact:
    daemon_settings: >-
      {{ current_text | oracle.mlflow.docker_daemon_config(log_opts={'max-size': '10m', 'max-file': 3}) }}
"""

RETURN = r"""
_value:
  description: The merged settings, ready for C(to_nice_json).
  type: dict
"""

import json

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

_LOG_KEYS = ('log-driver', 'log-opts')


def _option_text(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (int, float, str)):
        return to_text(value)
    raise AnsibleFilterError('log option values must be strings or numbers, not %r' % (value,))


def _merge(base, extra):
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def docker_daemon_config(text, log_driver='json-file', log_opts=None, options=None):
    """The settings of daemon.json `text` with the log driver, its options and `options` merged in."""
    text = to_text(text or '')
    try:
        current = json.loads(text) if text.strip() else {}
    except ValueError as exc:
        raise AnsibleFilterError('daemon.json is not valid JSON (%s): fix or remove it first' % exc)
    if not isinstance(current, dict):
        raise AnsibleFilterError('daemon.json must hold a JSON object, not %s' % type(current).__name__)
    options = options or {}
    if not isinstance(options, dict):
        raise AnsibleFilterError('options must be a dictionary')
    clash = sorted(set(options) & set(_LOG_KEYS))
    if clash:
        raise AnsibleFilterError('%s: set the log driver and its options with log_driver and log_opts' % ', '.join(clash))
    if not isinstance(log_opts or {}, dict):
        raise AnsibleFilterError('log_opts must be a dictionary')

    merged = _merge(current, options)
    kept = merged.get('log-opts') if merged.get('log-driver', 'json-file') == log_driver else None
    opts = dict(kept) if isinstance(kept, dict) else {}
    opts.update((to_text(k), _option_text(v)) for k, v in (log_opts or {}).items())
    merged['log-driver'] = log_driver
    if opts:
        merged['log-opts'] = opts
    else:
        merged.pop('log-opts', None)
    return merged


class FilterModule(object):

    def filters(self):
        return {'docker_daemon_config': docker_daemon_config}
