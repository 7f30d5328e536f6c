# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""API key profiles of an OCI config file, as a container gets them (``oci_profile_copy``).

Private to this collection (underscore prefix): no compatibility promise outside it.

The file is read by ``_oci_auth.load_profile``, which is the SDK's own reader (``oci.config.from_file``), the
one reader of OCI config files in the collection: the image's launcher reads the copy with it too.
"""

from __future__ import annotations

import os

from ansible_collections.oracle.mlflow.plugins.module_utils._env_contract import OCI_API_KEY_FIELDS
from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_auth import OciAuthError, load_profile

# What a copy keeps of the profile: an API key profile (key_file is rewritten for the container), the
# fields the image's launcher needs (the env contract's) and an optional pass phrase.
PROFILE_KEYS = OCI_API_KEY_FIELDS + ('pass_phrase',)


def read_api_key_profile(config_file, profile):
    """The profile's API key settings, ``key_file`` expanded; raises ``OracleMlflowError`` (missing, format)."""
    try:
        values = load_profile(config_file, profile)
    except OciAuthError as exc:
        raise OracleMlflowError('missing', str(exc)) from None
    if values.get('security_token_file') and not values.get('user'):
        raise OracleMlflowError('format', "Profile '%s' of %s is a session profile (security_token_file): a container "
                                "needs an API key profile (user, fingerprint, tenancy, region, key_file)."
                                % (profile, config_file))
    missing = [key for key in OCI_API_KEY_FIELDS if not values.get(key)]
    if missing:
        raise OracleMlflowError('format', "Profile '%s' of %s lacks %s: an API key profile needs user, fingerprint, "
                                "tenancy, region and key_file." % (profile, config_file, ', '.join(missing)))
    settings = dict((key, values[key]) for key in PROFILE_KEYS if values.get(key))
    settings['key_file'] = os.path.expanduser(settings['key_file'])
    return settings
