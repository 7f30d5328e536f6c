# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OCI authentication shared by the oracle.mlflow plugins: the one place that turns ``auth_type`` into an
``oci`` SDK config dict and a request signer, and builds SDK clients with the collection's timeouts.

Private to this collection (underscore prefix): no compatibility promise outside it.

Modules get all of this through ``_oci_module.OciModule``, which merges ``OCI_COMMON_ARGS`` (the auth
options and ``timeout``, documented by the ``oracle.mlflow.oci_auth`` doc fragment) into their argument
spec. Lookups read the same options with ``get_option`` and call ``check_timeout`` and
``get_oci_config_and_signer(params)`` (raises ``OciAuthError``; ``_oci_errors.auth_error`` words it for users)
or ``make_client(oci.<service>.<Client>, params, timeout)``, which adds the timeouts and bounded retry.

Nothing here touches the network at import time. Loading an ``api_key`` or ``security_token`` profile
reads files only; ``instance_principal`` asks the instance metadata service (and the auth service) when
the signer is made; ``resource_principal`` reads the ``OCI_RESOURCE_PRINCIPAL_*`` environment.
"""

from __future__ import annotations

import configparser
import datetime
import os
import traceback
from collections import namedtuple

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_errors import describe_request_error

try:
    import oci
    import oci.regions

    HAS_OCI_SDK = True
    OCI_SDK_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised only without the SDK
    HAS_OCI_SDK = False
    OCI_SDK_IMPORT_ERROR = traceback.format_exc()

try:
    import requests

    HAS_REQUESTS = True
except ImportError:  # pragma: no cover - requests comes with the oci SDK
    HAS_REQUESTS = False


OCI_SDK_NAME = 'oci (the OCI SDK for Python)'  # for missing_required_lib
AUTH_TYPES = ('api_key', 'instance_principal', 'resource_principal', 'security_token')
DEFAULT_CONFIG_FILE = '~/.oci/config'
DEFAULT_PROFILE = 'DEFAULT'

# Environment fallbacks, first set wins: the OCI CLI's names, then those of the SDK / oracle.oci.
AUTH_TYPE_ENV = ['OCI_CLI_AUTH', 'OCI_ANSIBLE_AUTH_TYPE']
CONFIG_FILE_ENV = ['OCI_CLI_CONFIG_FILE', 'OCI_CONFIG_FILE']
CONFIG_PROFILE_ENV = ['OCI_CLI_PROFILE', 'OCI_CONFIG_PROFILE']
REGION_ENV = ['OCI_CLI_REGION', 'OCI_REGION']

# Documented once, by plugins/doc_fragments/oci_auth.py (DOCUMENTATION for modules, LOOKUP for lookups).
OCI_AUTH_ARGS = dict(
    auth_type=dict(type='str', default='api_key', choices=list(AUTH_TYPES),
                   fallback=(env_fallback, AUTH_TYPE_ENV)),
    config_file=dict(type='path', default=DEFAULT_CONFIG_FILE, fallback=(env_fallback, CONFIG_FILE_ENV)),
    config_profile=dict(type='str', default=DEFAULT_PROFILE, fallback=(env_fallback, CONFIG_PROFILE_ENV)),
    region=dict(type='str', fallback=(env_fallback, REGION_ENV)),
)

DEFAULT_TIMEOUT = 30
# Every OCI plugin of the collection takes these: the auth options and the timeout of each answer.
OCI_COMMON_ARGS = dict(OCI_AUTH_ARGS, timeout=dict(type='int', default=DEFAULT_TIMEOUT))

METADATA_BASE_URL_ENV = 'OCI_METADATA_BASE_URL'
METADATA_BASE_URLS = ('http://169.254.169.254/opc/v2', 'http://[fd00:c1::a9fe:a9fe]/opc/v2')
METADATA_PROBE_TIMEOUT = (3, 10)  # (connect, read) seconds: off OCI the address does not answer
RESOURCE_PRINCIPAL_VERSION_ENV = 'OCI_RESOURCE_PRINCIPAL_VERSION'
RETRY_ATTEMPTS = 3
RETRY_ENABLED_ENV = 'OCI_SDK_DEFAULT_RETRY_ENABLED'

OciRegion = namedtuple('OciRegion', ['identifier', 'key', 'realm', 'realm_domain'])
OciRegion.__doc__ = """A region as the SDK knows it: ``us-ashburn-1``, ``iad``, ``oc1``, ``oraclecloud.com``."""


class OciAuthError(Exception):
    """OCI authentication cannot be set up; the message says why and what to do."""


def oci_auth_argument_spec(**module_args):
    """Return the module's own argument spec merged with the common OCI authentication options."""
    spec = dict((name, dict(definition)) for name, definition in OCI_AUTH_ARGS.items())
    spec.update(module_args)
    return spec


def check_timeout(timeout):
    """The ``timeout`` option, in seconds; raises ``OracleMlflowError('invalid')`` when it is below 1."""
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1:
        raise OracleMlflowError('invalid', 'timeout must be at least 1 second.')
    return timeout


# ---------------------------------------------------------------------------------------------
# Regions


def resolve_region(name):
    """Return the ``OciRegion`` for a region identifier (``us-ashburn-1``) or key (``iad``, ``IAD``).

    Uses the SDK's own lookups: its built-in regions, then the regions it learns from
    ``~/.oci/regions-config.json`` and the ``OCI_REGION_METADATA`` environment variable (custom or
    newly opened regions). The instance metadata service is never asked. Raises ``OciAuthError``.
    """
    if not HAS_OCI_SDK:
        raise OciAuthError(missing_required_lib(OCI_SDK_NAME))
    wanted = (name or '').strip().lower()
    if not wanted:
        raise OciAuthError('The region is empty.')
    if oci.regions.is_region_short_name(wanted):
        identifier = oci.regions.REGIONS_SHORT_NAMES[wanted]
    elif oci.regions.is_region(wanted):
        identifier = wanted
    else:
        raise OciAuthError(
            "Unknown OCI region '%s': it is neither a region identifier (us-ashburn-1) nor a region key (iad) the "
            "OCI SDK %s knows, and it is not declared in OCI_REGION_METADATA or ~/.oci/regions-config.json. Check "
            "the spelling (option region, OCI_CLI_REGION / OCI_REGION, or region= in the config profile), or "
            "upgrade the oci SDK for a newly opened region." % (name, getattr(oci, '__version__', '')))
    realm = oci.regions.REGION_REALMS.get(identifier)
    if realm is None or realm not in oci.regions.REALMS:
        raise OciAuthError("The OCI SDK knows region '%s' but not its realm; declare it in OCI_REGION_METADATA."
                           % identifier)
    keys = [key for key, value in oci.regions.REGIONS_SHORT_NAMES.items() if value == identifier]
    return OciRegion(identifier=identifier, key=keys[0] if keys else None, realm=realm,
                     realm_domain=oci.regions.REALMS[realm])


# ---------------------------------------------------------------------------------------------
# Config file profiles (api_key, security_token)


def _profiles_in(path):
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path)
    except configparser.Error:
        return []
    profiles = list(parser.sections())
    if parser.defaults():
        profiles.insert(0, 'DEFAULT')
    return profiles


def load_profile(config_file, profile):
    """Read one profile of an OCI config file (``oci.config.from_file``) with clear errors."""
    path = os.path.expanduser(config_file)
    where = "(option config_file, or %s; default %s)" % (' / '.join(CONFIG_FILE_ENV), DEFAULT_CONFIG_FILE)
    if not os.path.isfile(path):
        raise OciAuthError(
            "OCI config file %s not found %s. Create it with 'oci setup config' (API key), or choose another "
            "auth_type: instance_principal on an OCI compute instance, resource_principal inside an OCI service."
            % (path, where))
    try:
        return oci.config.from_file(file_location=path, profile_name=profile)
    except oci.exceptions.ProfileNotFound:
        profiles = _profiles_in(path)
        raise OciAuthError(
            "Profile '%s' not found in the OCI config file %s (option config_profile, or %s). Profiles there: %s."
            % (profile, path, ' / '.join(CONFIG_PROFILE_ENV), ', '.join(profiles) or 'none')) from None
    except oci.exceptions.InvalidKeyFilePath as exc:
        raise OciAuthError('Key file missing: %s' % exc) from None
    except (configparser.Error, ValueError) as exc:
        raise OciAuthError('Cannot read the OCI config file %s: %s' % (path, exc)) from None


def _with_key(config, path, profile, make):
    """Call ``make(key_file, pass_phrase)`` (which loads the profile's private key) with clear key errors."""
    key_file = config.get('key_file')
    if not key_file:
        raise OciAuthError("Profile '%s' of %s has no key_file." % (profile, path))
    try:
        return make(os.path.expanduser(key_file), config.get('pass_phrase'))
    except oci.exceptions.MissingPrivateKeyPassphrase:
        raise OciAuthError("The key file %s of profile '%s' is encrypted and the profile has no pass_phrase."
                           % (key_file, profile)) from None
    except (oci.exceptions.InvalidPrivateKey, OSError, ValueError, TypeError) as exc:
        raise OciAuthError("Cannot load the key file %s of profile '%s': %s" % (key_file, profile, exc)) from None


def _profile_with_region(params):
    """The config-file profile the options name, with the region option applied: (path, profile, config)."""
    path, profile = os.path.expanduser(params['config_file']), params['config_profile']
    config = load_profile(path, profile)
    if params.get('region'):
        config['region'] = params['region']
    if not config.get('region'):
        raise OciAuthError("No region: set the region option (or %s), or add region= to profile '%s' of %s."
                           % (' / '.join(REGION_ENV), profile, path))
    return path, profile, config


def _api_key(params):
    path, profile, config = _profile_with_region(params)
    try:
        oci.config.validate_config(config)
    except oci.exceptions.InvalidConfig as exc:
        problems = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
        details = ', '.join('%s is %s' % item for item in sorted(problems.items())) or str(exc)
        raise OciAuthError("Profile '%s' of %s is not a usable API key profile: %s. auth_type=security_token "
                           "profiles (oci session authenticate) need auth_type=security_token."
                           % (profile, path, details)) from None
    signer = _with_key(config, path, profile, lambda key_file, pass_phrase: oci.signer.Signer(
        tenancy=config['tenancy'], user=config['user'], fingerprint=config['fingerprint'],
        private_key_file_location=key_file, pass_phrase=pass_phrase))
    return config, signer


def _security_token(params):
    path, profile, config = _profile_with_region(params)
    token_file = config.get('security_token_file')
    if not token_file:
        raise OciAuthError("Profile '%s' of %s has no security_token_file: create a session profile with "
                           "'oci session authenticate', or use auth_type=api_key for an API key profile."
                           % (profile, path))
    token_path = os.path.expanduser(token_file)
    try:
        with open(token_path, encoding='utf-8') as handle:
            token = handle.read().strip()
    except OSError as exc:
        raise OciAuthError("Cannot read the security token file %s of profile '%s': %s"
                           % (token_path, profile, exc.strerror or exc)) from None
    private_key = _with_key(config, path, profile, oci.signer.load_private_key_from_file)
    try:
        container = oci.auth.security_token_container.SecurityTokenContainer(None, token)
    except Exception as exc:  # PyJWT raises its own error types
        raise OciAuthError("The security token in %s is not a valid token: %s" % (token_path, exc)) from None
    if not container.valid():
        expired = datetime.datetime.fromtimestamp(container.get_jwt()['exp'], datetime.timezone.utc)
        raise OciAuthError("The session token of profile '%s' expired at %s: run 'oci session refresh --profile %s' "
                           "(or 'oci session authenticate' again)." % (profile, expired.isoformat(), profile))
    return config, oci.auth.signers.SecurityTokenSigner(token, private_key)


# ---------------------------------------------------------------------------------------------
# Principals (instance_principal, resource_principal)


def _metadata_base_urls():
    override = (os.environ.get(METADATA_BASE_URL_ENV) or '').strip()
    return [override] if override else list(METADATA_BASE_URLS)


def _probe_metadata_service():
    """Ask the instance metadata service for the region, briefly: off OCI it does not answer, and the SDK
    would retry for minutes before saying so."""
    failures = []
    for base in _metadata_base_urls():
        url = '%s/instance/region' % base.rstrip('/')
        try:
            response = requests.get(url, headers={'Authorization': 'Bearer Oracle'}, timeout=METADATA_PROBE_TIMEOUT)
        except requests.RequestException as exc:
            failures.append('%s: %s' % (url, describe_request_error(exc)))
            continue
        if response.status_code == 200:
            return
        failures.append('%s: HTTP %s' % (url, response.status_code))
    raise OciAuthError(
        "the OCI instance metadata service did not answer (%s): this host is not an OCI compute instance, or the "
        "metadata service is blocked. Off OCI, use auth_type=api_key with an OCI config file." % '; '.join(failures))


def _instance_principal(params):
    _probe_metadata_service()
    try:
        signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner()
    except Exception as exc:  # the SDK raises requests, ServiceError and ValueError types here
        raise OciAuthError('Cannot get an instance principal token from the metadata and auth services: %s'
                           % _one_line(exc)) from None
    config = {'region': params.get('region') or signer.region, 'tenancy': signer.tenancy_id}
    return config, signer


def _resource_principal(params):
    version = os.environ.get(RESOURCE_PRINCIPAL_VERSION_ENV)
    if not version:
        raise OciAuthError(
            "the resource principal environment (%s and the other OCI_RESOURCE_PRINCIPAL_* variables) is not set "
            "here: OCI services such as Data Science, Functions and Container Instances set it for their workloads. "
            "Elsewhere, use auth_type=api_key, or instance_principal on OCI compute." % RESOURCE_PRINCIPAL_VERSION_ENV)
    try:
        signer = oci.auth.signers.get_resource_principals_signer()
    except Exception as exc:  # EnvironmentError, ValueError, key and token errors
        raise OciAuthError('Cannot use the resource principal (%s=%s): %s'
                           % (RESOURCE_PRINCIPAL_VERSION_ENV, version, _one_line(exc))) from None
    region = params.get('region') or getattr(signer, 'region', None)
    if not region:
        raise OciAuthError('The resource principal environment names no region (OCI_RESOURCE_PRINCIPAL_REGION): '
                           'set the region option.')
    return {'region': region}, signer


_LOADERS = {
    'api_key': _api_key,
    'security_token': _security_token,
    'instance_principal': _instance_principal,
    'resource_principal': _resource_principal,
}


def _one_line(exc):
    text = ' '.join(str(part) for part in exc.args) if exc.args else exc.__class__.__name__
    return ' '.join(text.split())


def get_oci_config_and_signer(params):
    """Return ``(config, signer)`` for ``params['auth_type']``; raise ``OciAuthError`` when that is impossible.

    ``config`` is an SDK config dict whose ``region`` is the resolved region identifier (the ``region``
    option when given, else the profile's or the principal's region); pass both to any SDK client:
    ``oci.object_storage.ObjectStorageClient(config, signer=signer)``. The signer is also a ``requests``
    auth object (``requests.get(url, auth=signer)``).
    """
    if not HAS_OCI_SDK:
        raise OciAuthError(missing_required_lib(OCI_SDK_NAME))
    auth_type = params.get('auth_type') or 'api_key'
    if auth_type not in _LOADERS:
        raise OciAuthError("Unknown auth_type '%s': use one of %s." % (auth_type, ', '.join(AUTH_TYPES)))
    if params.get('region'):
        resolve_region(params['region'])  # an unknown region fails before any file or network access
    config, signer = _LOADERS[auth_type](params)
    config['region'] = resolve_region(config['region']).identifier
    return config, signer


def principal_tenancy(config, signer):
    """The OCID of the principal's tenancy, or None when neither tells it: the profile's ``tenancy`` (api_key,
    security_token), the instance's or resource's (the signer's ``tenancy_id``, else the resource principal
    token's ``res_tenant`` claim)."""
    tenancy = (config or {}).get('tenancy') or getattr(signer, 'tenancy_id', None)
    if not tenancy and hasattr(signer, 'get_claim'):
        try:
            tenancy = signer.get_claim('res_tenant')
        except Exception:  # a token the SDK cannot read: the caller says it cannot tell
            tenancy = None
    return tenancy or None


def retry_strategy(timeout):
    """A short, bounded retry (throttling, 5xx, connection errors): the SDK's default retries for up to 10
    minutes. ``OCI_SDK_DEFAULT_RETRY_ENABLED=false`` turns retries off, as it does for the SDK's default."""
    if os.environ.get(RETRY_ENABLED_ENV, '').strip().lower() == 'false':
        return oci.retry.NoneRetryStrategy()
    return oci.retry.RetryStrategyBuilder(
        max_attempts=RETRY_ATTEMPTS, total_elapsed_time_seconds=max(2 * timeout, 10),
        retry_max_wait_between_calls_seconds=5).get_retry_strategy()


def make_client(client_class, params, timeout, auth=None):
    """``(client, config)``: an SDK client (``oci.secrets.SecretsClient``...) for the identity in ``params``
    (or the ``(config, signer)`` already made from it, ``auth``), with (connect, read) timeouts and the
    bounded retry above; raises ``OciAuthError`` like ``get_oci_config_and_signer``."""
    config, signer = auth if auth is not None else get_oci_config_and_signer(params)
    client = client_class(config, signer=signer, timeout=(min(10, timeout), timeout),
                          retry_strategy=retry_strategy(timeout))
    return client, config
