#!/usr/bin/python
# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ocir_login
short_description: Log in to OCI Container Registry (OCIR) with an auth token or an OCI principal
version_added: 0.1.0
description:
  - Stores registry credentials in the docker client configuration (O(config_path)) of the managed node, so that the docker
    CLI, the Docker SDK for Python and the modules of this collection (M(oracle.mlflow.image_build)) can push and pull.
  - "Two ways in: an B(auth token) of an OCI user (O(username) and O(auth_token)), or an B(OCI principal) (O(auth_type)):
    the module exchanges an OCI-signed request at the region's OCIR token endpoint
    (C(GET https://<OCIR host>/20180419/docker/token)) for a registry token, and stores it for the user C(BEARER_TOKEN).
    The principal way needs no stored secret: with O(auth_type=instance_principal) a compute instance logs in with its own
    identity."
  - Before storing anything the module checks the credentials against the registry itself, as C(docker login) does (C(GET
    /v2/), the registry's challenge, its token realm with the credentials, and C(/v2/) again with the token it issued).
  - The module writes the file itself. No secret is ever passed as a process argument, and none is returned.
  - The result is V(changed) only when the stored credentials differ from those the module would store, or no longer work.
    A stored C(BEARER_TOKEN) login that still works, and does not expire within 5 minutes, is kept, otherwise a new token is
    fetched. Registry tokens expire (OCIR's after an hour), so run the login right before pushing or pulling.
  - With O(state=absent), the registry's entry is removed from the configuration (a logout).
author:
  - oracle.mlflow contributors (!UNKNOWN)
extends_documentation_fragment:
  - oracle.mlflow.oci_auth
  - oracle.mlflow.attributes
  - oracle.mlflow.attributes.ACTIONGROUP_OCI
attributes:
  check_mode:
    support: full
    details:
      - Does the real check (fetches a registry token for a principal, checks the credentials against the registry) and
        reports whether the configuration would change; writes nothing.
  diff_mode:
    support: full
    details:
      - Shows the registry and user name stored before and after (and the token expiry for principal logins); secrets are
        never shown.
  idempotent:
    support: partial
    details:
      - A principal login stores a new token when the stored one stopped working or is about to expire, and always with
        O(reauthorize=true).
options:
  registry:
    description:
      - Registry address as docker uses it (C(host) or C(host:port)), the first part of image references and the key of
        the entry in O(config_path). A scheme or path, if given, is dropped.
      - Defaults to the OCIR host of O(region) - V(<region key>.ocir.io) (for example V(iad.ocir.io)) in the commercial
        realm, V(ocir.<region>.oci.<realm domain>) in the others.
      - It may differ from the OCIR host of O(region), where principal logins fetch their token, for example a registry
        mirror or a test registry on V(127.0.0.1:5443) whose token realm accepts OCIR credentials. For a principal login,
        O(region) (or the principal's region) must then be the region whose OCIR issues the tokens the registry accepts.
      - Registries are reached over HTTPS; loopback registries (V(127.0.0.1:PORT), V(localhost:PORT)) over plain HTTP when
        HTTPS fails, as docker allows by default.
    type: str
  namespace:
    description:
      - Object Storage namespace of the tenancy, the first path component of OCIR repositories
        (V(<registry>/<namespace>/<repository>)). Not the tenancy name.
      - When not given, it is taken from O(username) when that has one, otherwise looked up with the OCI principal
        (Object Storage C(GetNamespace)).
    type: str
  username:
    description:
      - Name of the OCI user an auth token login uses, for example V(mytenancy-ns/jdoe@example.com). Requires O(auth_token);
        with both, O(auth_type) is used only to look up O(namespace) (and O(region)) when needed.
      - "OCIR forms: V(<namespace>/<user>), V(<namespace>/oracleidentitycloudservice/<user>) for users federated through
        Oracle Identity Cloud Service, V(<namespace>/<identity domain>/<user>) for users of another identity domain than
        the default one."
      - A name without a namespace (V(jdoe@example.com), V(oracleidentitycloudservice/jdoe@example.com)) gets
        V(<namespace>/) in front. A name whose namespace differs from O(namespace) is an error.
    type: str
  auth_token:
    description:
      - Auth token of O(username) (OCI Console, user settings, Auth tokens); not the console password. Never logged or
        returned.
    type: str
  state:
    description:
      - V(present) logs in (stores working credentials); V(absent) removes the registry's entry from O(config_path).
      - V(absent) does not contact the registry or OCI, unless O(registry) is missing and O(region) must be read from the
        OCI config.
    type: str
    choices: [present, absent]
    default: present
  config_path:
    description:
      - Docker client configuration file to write.
      - Defaults to V($DOCKER_CONFIG/config.json) when E(DOCKER_CONFIG) is set, else V(~/.docker/config.json), the file
        the docker CLI and the Docker SDK for Python read.
      - Created with mode 0600 (its directory 0700 when missing); other entries and settings in it are kept.
      - A C(credsStore) or C(credHelpers) setting that covers the registry would make docker ignore the entry, so the
        module then fails rather than write an entry that has no effect.
    type: path
    aliases:
      - dockercfg_path
  reauthorize:
    description:
      - For a principal login, fetch and store a new registry token even if the stored one still works.
    type: bool
    default: false
notes:
  - The registry must accept the credentials for the login to succeed. With an auth token, the error names the user and
    the namespace to check; registry tokens of a principal work only if an IAM policy lets the principal use the
    repositories (for example C(allow dynamic-group build-hosts to manage repos in tenancy)).
  - Requires C(requests) on the managed node (installed with the OCI SDK).
seealso:
  - module: oracle.mlflow.image_build
  - module: community.docker.docker_login
  - name: Pushing images using the Docker CLI (OCIR)
    description: User names, auth tokens, and registry hosts per region.
    link: https://docs.oracle.com/en-us/iaas/Content/Registry/Tasks/registrypushingimagesusingthedockercli.htm
"""

EXAMPLES = r"""
- name: Log in to OCIR in Ashburn with an auth token (user name without the namespace prefix)
  oracle.mlflow.ocir_login:
    region: iad
    namespace: axaxnpcrorw5
    username: jdoe@example.com
    auth_token: "{{ vault_ocir_auth_token }}"
  register: ocir

- name: Tag for that registry
  ansible.builtin.debug:
    msg: "{{ ocir.registry }}/{{ ocir.namespace }}/oci-mlflow:latest"

- name: On an OCI compute instance, log in with the instance's own identity (no secret on the host)
  oracle.mlflow.ocir_login:
    auth_type: instance_principal

- name: Set the OCI authentication once for every OCI module of the collection
  module_defaults:
    group/oracle.mlflow.oci:
      auth_type: api_key
      config_profile: BUILD
      region: eu-frankfurt-1
  block:
    - name: Log in with the API key of the BUILD profile of ~/.oci/config
      oracle.mlflow.ocir_login: {}

- name: A registry mirror whose token realm accepts OCIR tokens of Phoenix
  oracle.mlflow.ocir_login:
    registry: registry-mirror.example.com:5443
    region: us-phoenix-1
    auth_type: instance_principal

- name: Log out
  oracle.mlflow.ocir_login:
    region: iad
    state: absent
"""

RETURN = r"""
registry:
  description: Registry the credentials are stored for (the key in O(config_path)).
  returned: always
  type: str
  sample: iad.ocir.io
namespace:
  description:
    - OCIR namespace (Object Storage namespace of the tenancy), as given or discovered.
    - V(null) with O(state=absent) when neither O(namespace) nor a user name gave it.
  returned: always
  type: str
  sample: axaxnpcrorw5
username:
  description:
    - User name stored (O(state=present)) or removed (O(state=absent); V(null) when there was no entry).
    - V(BEARER_TOKEN) for principal logins. The secret is never returned.
  returned: always
  type: str
  sample: axaxnpcrorw5/jdoe@example.com
region:
  description: Region identifier used, or V(null) when none was needed (O(registry) given and no token exchange).
  returned: always
  type: str
  sample: us-ashburn-1
config_path:
  description: Docker client configuration file.
  returned: always
  type: str
  sample: /home/opc/.docker/config.json
token_expires_at:
  description:
    - For principal logins, when the stored registry token expires (UTC, ISO 8601), if known. V(null) for auth token
      logins and with O(state=absent).
  returned: always
  type: str
  sample: "2026-03-01T12:34:56Z"
error_kind:
  description:
    - Why the task failed. V(invalid) bad options (region, registry, user name); V(auth) the OCI principal could not be set
      up; V(denied) the registry, its token realm or the OCIR token exchange refused the credentials, or OCI refused the
      namespace lookup (401, 403); V(missing) OCI answered 404 to the namespace lookup; V(conflict) a credential helper in
      O(config_path) covers the registry; V(unreachable) no answer from the registry, its token realm, the token endpoint or
      Object Storage; V(error) anything else (an answer that is not a registry's, a docker config that cannot be read or
      written, server errors).
  returned: on failure
  type: str
  sample: denied
status:
  description: HTTP status of the refusal or error answer that failed the task.
  returned: on failure, when a registry, its token realm or OCI answered with a refusal or an error
  type: int
  sample: 401
code:
  description: Error code of OCI's answer to the namespace lookup, when that failed the task.
  returned: on failure, when OCI answered the namespace lookup with an error
  type: str
  sample: NotAuthenticated
opc_request_id:
  description: The C(opc-request-id) of that answer, also in the message; Oracle support asks for it.
  returned: on failure, when OCI answered the namespace lookup with an error
  type: str
  sample: 3F6A0C7E9B2D4A1F8E5C6B7A9D0E1F2A/0123456789ABCDEF0123456789ABCDEF/FEDCBA9876543210FEDCBA9876543210
"""

import datetime
import os

from ansible_collections.oracle.mlflow.plugins.module_utils._docker_config import (
    DockerConfig,
    DockerConfigError,
    default_config_path,
)
from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_auth import HAS_OCI_SDK, OciAuthError, resolve_region
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_module import OciModule
from ansible_collections.oracle.mlflow.plugins.module_utils._ocir import (
    BEARER_TOKEN_USER,
    RegistryClient,
    exchange_token,
    get_namespace,
    isoformat,
    namespace_from_username,
    normalize_registry,
    ocir_host,
    registry_username,
    token_expiry,
)

if HAS_OCI_SDK:
    import oci

# A stored token that expires sooner than this is refreshed: a pull or push right after the login needs time.
REFRESH_MARGIN = datetime.timedelta(minutes=5)
HIDDEN = '(hidden)'


class OcirLogin:
    """The login; every failure is an ``OracleMlflowError`` raised to ``main``."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.region = None
        self.registry = None
        self.namespace = self.params['namespace']
        self.username = None
        self.token_expires_at = None
        self.changed = False
        self.before = {}
        self.after = {}
        self.refusal = None
        self.config_path = self.params['config_path'] or default_config_path()

    # -- inputs, resolved lazily so that nothing is asked of OCI that the task does not need ----------

    def auth(self, why=None):
        """``(config, signer)`` of the OCI principal; ``why`` says why an auth token login needs it, for errors."""
        return self.module.oci_auth(why)

    def resolve_region(self, why=None):
        if self.region is None:
            name = self.params['region'] or self.auth(why)[0]['region']
            try:
                self.region = resolve_region(name)
            except OciAuthError as exc:
                raise OracleMlflowError('invalid', str(exc)) from None
        return self.region

    def resolve_registry(self):
        if self.params['registry']:
            self.registry = normalize_registry(self.params['registry'])
        else:
            why = 'Neither registry nor region is given, and reading the region'
            self.registry = ocir_host(self.resolve_region(why))

    def discover_namespace(self):
        if not self.namespace:
            why = None if self.params['auth_token'] is None else (
                'The namespace is not given (option namespace, or in the username), and looking it up')
            self.auth(why)
            self.namespace = get_namespace(self.module.client(oci.object_storage.ObjectStorageClient))
        return self.namespace

    def open_config(self):
        try:
            return DockerConfig(self.config_path)
        except DockerConfigError as exc:
            raise OracleMlflowError('error', str(exc)) from None

    # -- checking credentials against the registry ---------------------------------------------------

    def check_login(self, username, secret):
        """True when the registry accepts the credentials; False when it or its realm refuses them (kept in
        ``refusal``). Other failures (unreachable, not a registry) are raised."""
        try:
            RegistryClient(self.registry, timeout=self.module.timeout).check_login(username, secret)
            return True
        except OracleMlflowError as exc:
            if exc.kind != 'denied':
                raise
            self.refusal = exc
            return False

    def refused(self, message):
        """The ``denied`` error of a refused login, with the refusal's HTTP status."""
        return OracleMlflowError('denied', message, **self.refusal.details)

    def refused_auth_token(self, username):
        namespace = self.namespace or namespace_from_username(username) or '<namespace>'
        if self.refusal.details.get('status') == 401:
            return self.refused(
                "The registry refused %s: check the auth token and that the username is <namespace>/<user> (federated "
                "users: <namespace>/oracleidentitycloudservice/<user>), with namespace '%s' the tenancy's Object "
                "Storage namespace (%s)." % (username, namespace, self.refusal))
        return self.refused(
            "The registry denied %s (%s): check that namespace '%s' is the tenancy's Object Storage namespace (not the "
            "tenancy name) and that the user may use its repositories." % (username, self.refusal, namespace))

    # -- state=present -------------------------------------------------------------------------------

    def _open_registry_config(self):
        """Resolve region and registry, then open the Docker config: what both states start with."""
        if self.params['region']:
            self.resolve_region()
        self.resolve_registry()
        return self.open_config()

    def present(self):
        config = self._open_registry_config()
        helper = config.credential_helper(self.registry)
        if helper:
            raise OracleMlflowError('conflict', (
                "The docker config %s hands the credentials of %s to the credential helper '%s' (credsStore / "
                "credHelpers), so docker would ignore an entry written by this module. Remove that setting for this "
                "registry, or use another config_path (or DOCKER_CONFIG)." % (self.config_path, self.registry, helper)))
        stored = config.get_auth(self.registry)
        if stored:
            self.before = dict(registry=self.registry, username=stored[0], secret=HIDDEN)
        if self.params['auth_token']:
            desired = self.auth_token_login()
        else:
            desired = self.principal_login(stored)
        self.username = desired[0]
        self.after = dict(registry=self.registry, username=desired[0],
                          secret=HIDDEN if stored == desired else '(hidden, new)')
        if self.token_expires_at is not None:
            self.after['token_expires_at'] = isoformat(self.token_expires_at)
            if stored and stored[0] == BEARER_TOKEN_USER:
                self.before['token_expires_at'] = isoformat(token_expiry(stored[1]))
        if stored == desired and config.private:
            return
        self.changed = True
        if not self.check_mode:
            config.set_auth(self.registry, *desired)
            self.write(config)

    def auth_token_login(self):
        username, secret = self.params['username'], self.params['auth_token']
        if not self.namespace:
            self.namespace = namespace_from_username(username)
        self.discover_namespace()
        username = registry_username(username, self.namespace)
        if not self.check_login(username, secret):
            raise self.refused_auth_token(username)
        return username, secret

    def principal_login(self, stored):
        signer = self.auth()[1]  # fails early, with the reason, when the principal is unusable
        self.discover_namespace()
        now = datetime.datetime.now(datetime.timezone.utc)
        if stored and stored[0] == BEARER_TOKEN_USER and not self.params['reauthorize']:
            expires_at = token_expiry(stored[1])
            if (expires_at is None or expires_at - now > REFRESH_MARGIN) and self.check_login(*stored):
                self.token_expires_at = expires_at
                return stored
        region = self.resolve_region()
        host = ocir_host(region)
        token, self.token_expires_at = exchange_token(host, signer, timeout=self.module.timeout)
        self.module.no_log_values.add(token)
        if not self.check_login(BEARER_TOKEN_USER, token):
            raise self.refused(
                "The registry %s refused the OCIR token that %s issued to the %s principal (%s): check that region '%s' "
                "is the registry's region, and that an IAM policy lets the principal use the repositories of namespace "
                "'%s'." % (self.registry, host, self.params['auth_type'], self.refusal, region.identifier,
                           self.namespace))
        return BEARER_TOKEN_USER, token

    # -- state=absent --------------------------------------------------------------------------------

    def absent(self):
        config = self._open_registry_config()
        stored = config.get_auth(self.registry)
        if not config.keys_for(self.registry):
            return
        self.username = stored[0] if stored else None
        self.before = dict(registry=self.registry, username=self.username, secret=HIDDEN)
        self.changed = True
        if config.credential_helper(self.registry):
            self.module.warn('The docker config %s uses a credential helper for %s: it may still hold credentials '
                             '(docker logout %s removes them).' % (self.config_path, self.registry, self.registry))
        if not self.check_mode:
            config.remove_auth(self.registry)
            self.write(config)

    def write(self, config):
        try:
            config.write()
        except DockerConfigError as exc:
            raise OracleMlflowError('error', str(exc)) from None

    # -- results -------------------------------------------------------------------------------------

    def result(self, diff=True):
        result = dict(
            changed=self.changed,
            registry=self.registry,
            namespace=self.namespace,
            username=self.username,
            region=self.region.identifier if self.region else None,
            config_path=self.config_path,
            token_expires_at=isoformat(self.token_expires_at),
        )
        if diff and self.module._diff:
            result['diff'] = dict(before=self.before, after=self.after)
        return result


def main():
    module = OciModule(
        argument_spec=dict(
            registry=dict(type='str'),
            namespace=dict(type='str'),
            username=dict(type='str'),
            auth_token=dict(type='str', no_log=True),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            config_path=dict(type='path', aliases=['dockercfg_path']),
            reauthorize=dict(type='bool', default=False),
        ),
        required_together=[('username', 'auth_token')],
        supports_check_mode=True,
        sdk_required=False,  # a logout from a given registry needs no OCI
    )
    if module.params['config_path']:
        module.params['config_path'] = os.path.abspath(module.params['config_path'])

    login = OcirLogin(module)
    try:
        if module.params['state'] == 'present':
            module.require_sdk()
            login.present()
        else:
            login.absent()
    except OracleMlflowError as error:
        module.fail(error, **login.result(diff=False))
    module.exit_json(**login.result())


if __name__ == '__main__':
    main()
