# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller's side of the env contract: the mlflow_server role's variables to the env file and back.

Private to this collection (underscore prefix): no compatibility promise outside it.

``_env_contract`` defines the settings and validates an environment (the image's launcher runs the same code);
this module maps role variables to settings by each setting's ``var``, writes the env file's text, and says
the contract's errors and warnings in the role's terms (``mlflow_server_port``, not ``MLFLOW_PORT``). It is
used by the ``oracle.mlflow.server_env`` action plugin and is not part of the image.
"""

from __future__ import annotations

import re

from ansible_collections.oracle.mlflow.plugins.module_utils._env_contract import (
    SECRET_NAME_RE,
    SETTING,
    SETTINGS,
    ConfigError,
    load_config,
    parse_oci_uri,
)

EXTRA_ENV_VAR = 'mlflow_server_extra_env'
ENV_NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')


def role_variable(name):
    """The role variable that sets env variable `name`, or None (it is set through extra_env)."""
    setting = SETTING.get(name)
    return setting.var if setting else None


def env_text(setting, value):
    """The env-file text of a role value ('' = leave the variable out); `setting` None: a variable the
    contract does not know, written as text."""
    kind = setting.kind if setting else 'text'
    if value is None:
        return ''
    if kind == 'bool' and isinstance(value, bool):
        return '1' if value else '0'        # the upstream guide's MLFLOW_SERVE_ARTIFACTS=1
    if kind == 'list' and isinstance(value, (list, tuple)):
        return ','.join(str(item) for item in value)
    return str(value)


def is_secret(name):
    """Whether the value of env variable `name` may hold a credential."""
    setting = SETTING.get(name)
    return setting.secret if setting else bool(SECRET_NAME_RE.search(name))


def env_from_role_vars(values, extra_env=None, extra_env_var=EXTRA_ENV_VAR):
    """The env file's variables from role variable values (``{role variable: value}``, for the settings
    whose ``var`` is set) and ``extra_env`` (``{NAME: value}``, any variable). Raises ``ConfigError`` naming
    the role variable (``mlflow_server_port``) or ``extra_env_var[NAME]``.

    Empty values are left out (the launcher's default applies); the order is the contract's, then the
    extra variables sorted by name.
    """
    env = {}
    for setting in SETTINGS:
        if setting.var and setting.var in values:
            text = env_text(setting, values[setting.var])
            if text:
                env[setting.name] = text
    for name, value in sorted((extra_env or {}).items()):
        label = '%s[%s]' % (extra_env_var, name)
        if not isinstance(name, str) or not ENV_NAME_RE.match(name):
            raise ConfigError(label, 'must be an environment variable name (letters, digits and _)')
        owner = role_variable(name)
        if owner and owner in values:
            raise ConfigError(label, '%s is set by %s; set that variable instead' % (name, owner))
        env[name] = env_text(SETTING.get(name), value)
    for name, text in env.items():
        if '\n' in text or '\r' in text:
            raise ConfigError(_label(name, values, extra_env_var), 'the value must be a single line (an env file '
                              'holds one variable per line)')
    return env


def _label(name, values, extra_env_var):
    owner = role_variable(name)
    return owner if owner and owner in values else '%s[%s]' % (extra_env_var, name)


def check_role_env(env, values, extra_env_var=EXTRA_ENV_VAR):
    """Validate an env dict from ``env_from_role_vars`` with ``load_config``, the launcher's own check.

    Returns the ``Config``; raises ``ConfigError`` whose variable and message speak of role variables:
    ``mlflow_server_port: '0' is not a whole number between 1 and 65535 (MLFLOW_PORT)``.
    """
    try:
        return load_config(env)
    except ConfigError as exc:
        label = _label(exc.variable, values, extra_env_var) if exc.variable in SETTING else exc.variable
        message = _in_role_terms(exc.message, values)
        raise ConfigError(label, '%s (%s)' % (message, exc.variable)) from None


def _in_role_terms(text, values):
    """Env variable names in a launcher message replaced by the role variables that set them."""
    for setting in SETTINGS:
        if setting.var and setting.var in values and not setting.var.startswith('_'):
            text = re.sub(r'\b%s\b' % setting.name, setting.var, text)
    return text


def role_warning(warning, values, extra_env_var=EXTRA_ENV_VAR):
    """A ``load_config`` warning (``NAME: text``) in role terms."""
    name, sep, text = warning.partition(': ')
    if sep and name in SETTING:
        return '%s: %s (%s)' % (_label(name, values, extra_env_var), _in_role_terms(text, values), name)
    return _in_role_terms(warning, values)


def oci_buckets(env, values):
    """The distinct buckets of the env's oci:// artifact locations, in order: a list of dicts with
    ``bucket``, ``namespace``, ``prefix`` (of the first location naming the bucket, no slashes around it)
    and ``variables`` (the role variables naming it). The env is already validated."""
    buckets = []
    for name in ('MLFLOW_ARTIFACTS_DESTINATION', 'MLFLOW_DEFAULT_ARTIFACT_ROOT'):
        uri = env.get(name, '')
        if not uri.startswith('oci://'):
            continue
        location = parse_oci_uri(uri, name)
        variable = _label(name, values, EXTRA_ENV_VAR)
        known = [b for b in buckets if (b['bucket'], b['namespace']) == (location.bucket, location.namespace)]
        if known:
            known[0]['variables'].append(variable)
        else:
            buckets.append(dict(bucket=location.bucket, namespace=location.namespace,
                                prefix=location.prefix.strip('/'), variables=[variable]))
    return buckets


def env_file_text(env, header=()):
    """The env file: the header lines as comments, then ``NAME=value`` lines (docker --env-file format)."""
    lines = ['# %s' % line for line in header]
    lines.extend('%s=%s' % item for item in env.items())
    return '\n'.join(lines) + '\n'


def markdown_table():
    """The README's table of the contract (tests/unit/plugins/test_env_contract.py keeps them equal)."""
    rows = ['| variable | default | role variable | meaning |', '|---|---|---|---|']
    for setting in SETTINGS:
        if not setting.listed:
            continue
        default = '`%s`' % setting.default if setting.default else ''
        if setting.choices:
            default += ' (%s)' % ', '.join('`%s`' % choice for choice in setting.choices)
        var = '`%s`' % setting.var if setting.var and not setting.var.startswith('_') else ''
        rows.append('| `%s` | %s | %s | %s%s |' % (setting.name, default, var, setting.doc,
                                                   '; secret' if setting.secret else ''))
    return '\n'.join(rows)
