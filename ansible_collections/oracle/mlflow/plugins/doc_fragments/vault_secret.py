# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:

    # Version selector and result options of the vault_secret_info module and the vault_secret lookup; the
    # module's spec is in modules/vault_secret_info.py, the lookup reads them with get_option. Each plugin
    # documents what a secret left out by on_missing/on_denied means for its result.
    DOCUMENTATION = r"""
options:
  stage:
    description:
      - Rotation stage of the version to read. When no selector (O(stage), O(version_number), O(version_name)) is given,
        the V(CURRENT) version is read.
      - V(CURRENT) the version in use; V(PENDING) a version added but not yet current; V(LATEST) the most recently created
        version; V(PREVIOUS) the version that was current before; V(DEPRECATED) older versions (the first one found).
      - Mutually exclusive with O(version_number) and O(version_name).
    type: str
    choices: [CURRENT, PENDING, LATEST, PREVIOUS, DEPRECATED]
  version_number:
    description:
      - Version number of the version to read, for each secret read (versions are numbered from 1).
      - Mutually exclusive with O(stage) and O(version_name).
    type: int
  version_name:
    description:
      - Name of the version to read, for each secret read (for secrets whose versions were given names).
      - Mutually exclusive with O(stage) and O(version_number).
    type: str
  decode:
    description:
      - Return the content base64-decoded, as UTF-8 text. Content that is not UTF-8 text is an error then.
      - With V(false), the base64 text as OCI stores it (for binary secrets).
    type: bool
    default: true
  parse_json:
    description:
      - Parse the decoded text as JSON and return the resulting value (a dictionary for a JSON object). Content that is not
        JSON is an error, which never shows the content. Requires O(decode=true).
    type: bool
    default: false
  on_missing:
    description:
      - What to do when OCI answers 404 C(NotAuthorizedOrNotFound) for a secret or the selected version.
      - B(OCI gives that same answer when the secret exists but no IAM policy lets the principal read it), so that
        callers cannot probe for secrets they may not see; no other call tells the two apart. O(on_missing) therefore also
        covers secrets hidden by a missing policy, and the message names both causes.
      - V(error) fails; V(warn) warns and goes on without that secret; V(skip) goes on without it silently.
    type: str
    choices: [error, warn, skip]
    default: error
  on_denied:
    description:
      - What to do when OCI refuses a request in a way that can only be about the caller, HTTP 401 C(NotAuthenticated)
        (signature or token not accepted - an API key not uploaded, a wrong fingerprint, an expired session, a clock more
        than 5 minutes off) or 403 (C(NotAuthorized) and the other 403 codes). A policy that does not allow the read is
        answered 404 by OCI, and follows O(on_missing).
      - V(error) fails; V(warn) warns and goes on without that secret; V(skip) goes on without it silently.
      - Failing to set up the OCI principal (no config file, not on OCI with O(auth_type=instance_principal)), an
        unreachable endpoint and content that does not decode always fail.
    type: str
    choices: [error, warn, skip]
    default: error
"""
