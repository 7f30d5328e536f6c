# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OCI Vault secrets for the oracle.mlflow plugins: read a secret bundle by OCID or by name and vault,
select a version, decode it, and classify failures. Shared by the ``vault_secret`` lookup (controller)
and the ``vault_secret_info`` module (managed node).

Private to this collection (underscore prefix): no compatibility promise outside it.

Failures are ``OracleMlflowError`` (``_errors``); their kinds here:

``invalid``
    the request is malformed (an OCID that is not a secret's, two version selectors...); found before any call.
``missing``
    OCI answered 404 ``NotAuthorizedOrNotFound``. OCI gives this same answer when the secret (or the selected
    version) does not exist **and** when no IAM policy lets the principal read it, on purpose, so a caller cannot
    probe for secrets it may not see. Nothing the caller can ask tells the two apart, so both are ``missing``;
    the message names both causes.
``denied``
    refusals that can only be about the caller: 401 ``NotAuthenticated`` (the signature or token is not accepted:
    API key not uploaded, wrong fingerprint, expired session, clock skew) and 403 (``NotAuthorized`` and the
    other 403 codes).
``format``
    the secret was read but its content is not what was asked for (not base64, not UTF-8 text, not JSON).
``error``
    anything else: unreachable endpoint, timeouts, 5xx, unexpected answers.

Setting up the principal raises ``_oci_auth.OciAuthError`` (``_oci_errors.auth_error`` words it, kind ``auth``).
Secret values never appear in messages.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import namedtuple

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_auth import (
    DEFAULT_TIMEOUT,
    HAS_OCI_SDK,
    OciAuthError,
    make_client,
    resolve_region,
)
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_errors import (
    CREDENTIALS_HINT,
    ServiceAnswer,
    describe_service_error,
    reaching,
    service_answer,
    service_details,
)
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_ocid import parse_ocid

if HAS_OCI_SDK:
    import oci


STAGES = ('CURRENT', 'PENDING', 'LATEST', 'PREVIOUS', 'DEPRECATED')
ON_FAILURE_CHOICES = ('error', 'warn', 'skip')
SECRET_OCID_FORMAT = 'ocid1.vaultsecret.<realm>.<region>.<unique id>'
VAULT_OCID_FORMAT = 'ocid1.vault.<realm>.<region>.<unique id>'


SecretRef = namedtuple('SecretRef', ['secret_id', 'name', 'vault_id'])
SecretRef.__doc__ = """A secret by OCID (``secret_id``), or by ``name`` in the vault ``vault_id``."""


# ---------------------------------------------------------------------------------------------
# Inputs (pure)


def _check_ocid(value, resource_type, option, expected):
    text = value.strip() if isinstance(value, str) else value
    if not isinstance(text, str) or not text:
        raise OracleMlflowError('invalid', '%s is empty: expected an OCID %s.' % (option, expected))
    if not text.startswith('ocid1.'):
        # Not echoed: a value that is not an OCID might be a secret pasted in the wrong place.
        raise OracleMlflowError('invalid', "%s is not an OCID (it does not start with 'ocid1.'): expected %s."
                                % (option, expected))
    parts = parse_ocid(text)
    if parts is None:
        raise OracleMlflowError('invalid', "%s '%s' is not a well-formed OCID: expected %s (lower-case letters and "
                                "digits, no spaces)." % (option, text, expected))
    if parts['type'] != resource_type:
        hint = ''
        if parts['type'] == 'vault' and resource_type == 'vaultsecret':
            hint = ' To read a secret by name, give its name and the vault OCID as vault_id.'
        raise OracleMlflowError('invalid', "%s '%s' is the OCID of a %s, not of a %s: expected %s.%s"
                                % (option, text, parts['type'], 'secret' if resource_type == 'vaultsecret' else
                                   resource_type, expected, hint))
    if not parts['region']:
        raise OracleMlflowError('invalid', "%s '%s' has no region component: expected %s." % (option, text, expected))
    return text


def check_secret_ocid(value, option='secret_id'):
    """The secret OCID, stripped; raises ``OracleMlflowError('invalid')`` unless it is a well-formed one."""
    return _check_ocid(value, 'vaultsecret', option, SECRET_OCID_FORMAT)


def check_vault_ocid(value, option='vault_id'):
    """The vault OCID, stripped; raises ``OracleMlflowError('invalid')`` unless it is a well-formed one."""
    return _check_ocid(value, 'vault', option, VAULT_OCID_FORMAT)


def is_ocid_reference(term):
    """Whether a lookup term names a secret by OCID (it starts with ``ocid1.``) rather than by name."""
    return isinstance(term, str) and term.strip().startswith('ocid1.')


def secret_reference(secret_id=None, name=None, vault_id=None, option='secret_id'):
    """A validated ``SecretRef``: an OCID alone, or a name with a vault OCID."""
    if secret_id is not None and name is not None:
        raise OracleMlflowError('invalid', 'Give either a secret OCID or a secret name (with vault_id), not both.')
    if secret_id is not None:
        return SecretRef(check_secret_ocid(secret_id, option), None, None)
    if name is None or not str(name).strip():
        raise OracleMlflowError('invalid', 'No secret given: a secret OCID, or a secret name with vault_id.')
    if vault_id is None:
        raise OracleMlflowError('invalid', "The secret '%s' is given by name: vault_id (the OCID of its vault) is "
                                "required as well, since names are unique only within a vault." % name)
    return SecretRef(None, str(name).strip(), check_vault_ocid(vault_id))


def describe(ref):
    """``secret ocid1.vaultsecret...`` or ``secret 'name' in vault ocid1.vault...``, for messages."""
    if ref.secret_id:
        return 'secret %s' % ref.secret_id
    return "secret '%s' in vault %s" % (ref.name, ref.vault_id)


def check_decoding(decode, parse_json):
    """Raise ``OracleMlflowError('invalid')`` for ``parse_json`` without ``decode``; checked before any call."""
    if parse_json and not decode:
        raise OracleMlflowError('invalid', 'parse_json needs decode=true (JSON is parsed from the decoded text).')


def version_selector(stage=None, version_number=None, version_name=None):
    """SDK keyword arguments selecting one version (at most one selector; none means CURRENT)."""
    given = [name for name, value in (('stage', stage), ('version_number', version_number),
                                      ('version_name', version_name)) if value is not None]
    if len(given) > 1:
        raise OracleMlflowError('invalid', 'Select the version with one of stage, version_number and version_name, '
                                'not %s.' % ' and '.join(given))
    if stage is not None:
        wanted = str(stage).strip().upper()
        if wanted not in STAGES:
            raise OracleMlflowError('invalid', "Unknown stage '%s': use one of %s." % (stage, ', '.join(STAGES)))
        return {'stage': wanted}
    if version_number is not None:
        try:
            number = int(version_number)
        except (TypeError, ValueError):
            number = 0
        if isinstance(version_number, bool) or number < 1 or str(number) != str(version_number).strip():
            raise OracleMlflowError('invalid', "version_number must be a positive integer, not '%s'." % version_number)
        return {'version_number': number}
    if version_name is not None:
        if not str(version_name).strip():
            raise OracleMlflowError('invalid', 'version_name is empty.')
        return {'secret_version_name': str(version_name)}
    return {}


def describe_selector(selector):
    """``stage PREVIOUS``, ``version 3``, ``version named 'v3'``, or ``the CURRENT version``."""
    if 'stage' in selector:
        return 'stage %s' % selector['stage']
    if 'version_number' in selector:
        return 'version %s' % selector['version_number']
    if 'secret_version_name' in selector:
        return "version named '%s'" % selector['secret_version_name']
    return 'the CURRENT version'


# ---------------------------------------------------------------------------------------------
# Content (pure)


def decode_content(content_type, content, decode=True, parse_json=False):
    """The secret value from a bundle's content: the base64 text as is (``decode=False``), the decoded
    UTF-8 text, or (``parse_json``) the JSON value it holds. Raises ``OracleMlflowError('format')``."""
    check_decoding(decode, parse_json)
    if content_type != 'BASE64':
        raise OracleMlflowError('format', "The secret bundle's content type is %s; only BASE64 is supported."
                                % content_type)
    if content is None:
        raise OracleMlflowError('format', 'The secret bundle has no content.')
    if not decode:
        return content
    try:
        raw = base64.b64decode(content, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise OracleMlflowError('format', 'The secret bundle content is not valid base64.') from None
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError:
        raise OracleMlflowError('format', 'The secret is not UTF-8 text (%d bytes of binary data): set decode=false to '
                                'get its base64 encoding instead.' % len(raw)) from None
    if not parse_json:
        return text
    try:
        return json.loads(text)
    except ValueError as exc:
        # JSONDecodeError's msg/lineno/colno carry no part of the document.
        where = ' (%s at line %s column %s)' % (exc.msg, exc.lineno, exc.colno) if hasattr(exc, 'msg') else ''
        raise OracleMlflowError('format', 'The secret is not JSON%s; set parse_json=false to get the text.'
                                % where) from None


# ---------------------------------------------------------------------------------------------
# Failures


def _region_hint(ref, region):
    """A sentence when the OCID's region is not the region the request went to (a common 404), else ''."""
    ocid = ref.secret_id or ref.vault_id
    parts = parse_ocid(ocid) if ocid else None
    if not parts or not region:
        return ''
    try:
        named = resolve_region(parts['region']).identifier
    except OciAuthError:
        return ''
    if named == region:
        return ''
    return (" The OCID names region %s but the request went to %s: set the region option (or OCI_CLI_REGION) to %s."
            % (named, region, named))


def classify_service_error(status, code, message, ref, selector=None, region=None, request_id=None):
    """The ``OracleMlflowError`` (missing, denied or error) for an error answer of the Secrets service."""
    error_answer = ServiceAnswer(status, code, message, request_id)
    details = service_details(error_answer)
    what = describe(ref)
    version = describe_selector(selector or {})
    answer = service_answer(error_answer)
    if status == 404:
        version_part = '' if not selector else ', or it has no %s' % version
        return OracleMlflowError('missing', (
            "OCI cannot find %s%s, or this principal may not read it: OCI answers both with 404 "
            "NotAuthorizedOrNotFound [%s]. Check the %s, and that an IAM policy lets the principal read it, for "
            "example 'allow dynamic-group <group> to read secret-bundles in compartment <compartment>'.%s"
            % (what, version_part, answer, 'OCID' if ref.secret_id else 'name and vault_id', _region_hint(ref, region))), **details)
    if status == 401:
        return OracleMlflowError('denied', 'OCI did not accept the credentials reading %s [%s]: %s.'
                                 % (what, answer, CREDENTIALS_HINT), **details)
    if status == 403:
        return OracleMlflowError('denied', 'OCI denied reading %s [%s].' % (what, answer), **details)
    return describe_service_error(error_answer, 'reading %s (%s)' % (what, version), kind='error')


def failure_action(error, on_missing='error', on_denied='error'):
    """What to do about an ``OracleMlflowError``: ``error``, ``warn`` or ``skip``. Only ``missing`` and
    ``denied`` failures follow ``on_missing`` / ``on_denied``; every other failure is an error."""
    if error.kind == 'missing':
        return on_missing
    if error.kind == 'denied':
        return on_denied
    return 'error'


def _time(value):
    return value.isoformat() if value is not None else None


def bundle_result(bundle, value):
    """The documented result fields of a secret bundle, with the value under ``secret``."""
    return dict(
        secret=value,
        secret_id=bundle.secret_id,
        version_number=bundle.version_number,
        version_name=bundle.version_name,
        stages=list(bundle.stages or []),
        time_created=_time(bundle.time_created),
        time_of_expiry=_time(bundle.time_of_expiry),
        time_of_deletion=_time(bundle.time_of_deletion),
        metadata=bundle.metadata,
    )


# ---------------------------------------------------------------------------------------------
# Reading


class VaultSecretReader(object):
    """Reads secret bundles with the OCI authentication options in ``params`` (see ``_oci_auth``) and
    ``params['timeout']``. The client is made on first use, once, by ``connect(client_class)`` ->
    ``(client, config)``: by default ``_oci_auth.make_client`` with ``params``; a module passes its own
    (``OciModule.client``)."""

    def __init__(self, params, connect=None):
        self.params = params
        self.timeout = params.get('timeout') or DEFAULT_TIMEOUT
        self._connect = connect or self._client_for_params
        self._client = None
        self.region = None

    def _client_for_params(self, client_class):
        return make_client(client_class, self.params, self.timeout)

    def client(self):
        """The Secrets client; raises ``OciAuthError`` when the principal cannot be set up."""
        if self._client is None:
            self._client, config = self._connect(oci.secrets.SecretsClient)
            self.region = config.get('region')
        return self._client

    def fetch(self, ref, selector=None):
        """The ``oci.secrets.models.SecretBundle``; raises ``OracleMlflowError`` (or ``OciAuthError``)."""
        selector = selector or {}
        client = self.client()
        try:
            # Connections, proxies, TLS and timeouts: documented as kind error since 0.1.0.
            with reaching(client, 'the OCI Secrets service', 'reading %s' % describe(ref), kind='error'):
                if ref.secret_id:
                    return client.get_secret_bundle(ref.secret_id, **selector).data
                return client.get_secret_bundle_by_name(secret_name=ref.name, vault_id=ref.vault_id, **selector).data
        except oci.exceptions.ServiceError as exc:
            raise classify_service_error(exc.status, exc.code, exc.message, ref, selector, self.region,
                                         getattr(exc, 'request_id', None)) from None

    def read(self, ref, selector=None, decode=True, parse_json=False):
        """``bundle_result`` of the selected version, its content decoded as asked."""
        bundle = self.fetch(ref, selector)
        content = bundle.secret_bundle_content
        value = decode_content(getattr(content, 'content_type', None), getattr(content, 'content', None),
                               decode=decode, parse_json=parse_json)
        return bundle_result(bundle, value)
