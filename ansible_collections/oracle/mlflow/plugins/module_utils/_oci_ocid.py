# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OCIDs: their parts, and the check of an option that must be one, before any call to OCI.

Private to this collection (underscore prefix): no compatibility promise outside it.

An OCID is ``ocid1.<resource type>.<realm>.<region>[.<future use>].<unique id>``, lower case; tenancy-wide
resources (tenancies, compartments, dynamic groups, policies) have an empty region: ``ocid1.tenancy.oc1..aaaa``.
"""

from __future__ import annotations

import re

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError

_OCID = re.compile(r'^ocid1\.(?P<type>[a-z0-9]+)\.(?P<realm>[a-z0-9]+)\.(?P<region>[a-z0-9-]*)'
                   r'(?:\.(?P<future>[a-z0-9]+))?\.(?P<unique>[a-z0-9]+)$')

# What the resource types are called in messages.
_NAMES = {'tenancy': 'tenancy', 'compartment': 'compartment', 'dynamicgroup': 'dynamic group', 'policy': 'policy',
          'vaultsecret': 'secret', 'vault': 'vault'}


def parse_ocid(value):
    """The parts of an OCID (dict: type, realm, region, future, unique), or None when it is not one."""
    match = _OCID.match(value or '')
    return match.groupdict() if match else None


def check_ocid(value, option, types):
    """``value`` stripped, when it is a well-formed OCID of one of ``types`` (``('compartment', 'tenancy')``);
    raises ``OracleMlflowError('invalid')`` with one line naming ``option`` otherwise."""
    wanted = ' or '.join('%s OCID (ocid1.%s.<realm>..<unique id>)' % (_NAMES.get(t, t), t) for t in types)
    text = value.strip() if isinstance(value, str) else value
    if not isinstance(text, str) or not text:
        raise OracleMlflowError('invalid', '%s is empty: expected a %s.' % (option, wanted))
    parts = parse_ocid(text)
    if parts is None:
        raise OracleMlflowError('invalid', "%s '%s' is not a well-formed OCID: expected a %s, lower-case letters "
                                "and digits without spaces." % (option, text, wanted))
    if parts['type'] not in types:
        kind = _NAMES.get(parts['type'], parts['type'])
        raise OracleMlflowError('invalid', "%s '%s' is the OCID of %s %s: expected a %s."
                                % (option, text, 'an' if kind[:1] in 'aeiou' else 'a', kind, wanted))
    return text
