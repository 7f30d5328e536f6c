# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``OciModule``: the ``AnsibleModule`` of the collection's OCI modules, so that each module is only its own
logic.

Private to this collection (underscore prefix): no compatibility promise outside it.

It owns what every OCI module shares:

* the options: ``OCI_COMMON_ARGS`` (``auth_type``, ``config_file``, ``config_profile``, ``region`` with their
  environment fallbacks, and ``timeout``) merged into the module's own argument spec, documented by the
  ``oracle.mlflow.oci_auth`` doc fragment; ``timeout`` is checked (at least 1 second) before anything else;
* the OCI SDK check (``require_sdk``): right after the options by default, so that a module's code may use
  ``oci`` freely; a module that needs OCI for some tasks only passes ``sdk_required=False`` and the check
  runs when it first asks for the principal;
* the principal, made once (``oci_auth()``), its tenancy (``tenancy_id()``), and SDK clients built from it with
  the collection's timeouts and bounded retry, one per client class
  (``client(oci.object_storage.ObjectStorageClient)``);
* waiting for work requests and lifecycle states (``_oci_wait``), which never waits in check mode;
* one failure path: ``fail(error, **result)`` turns an ``OracleMlflowError`` (or the ``OciAuthError`` of the
  principal) into ``fail_json(msg=..., error_kind=..., **details)`` over the module's failure result.

A module raises ``OracleMlflowError`` from its logic and fails once::

    module = OciModule(argument_spec=dict(name=dict(type='str', required=True)), supports_check_mode=True,
                       failure_result=dict(changed=False, bucket=None))
    try:
        client = module.client(oci.object_storage.ObjectStorageClient)
        ...
    except OracleMlflowError as error:
        module.fail(error)
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_auth import (
    HAS_OCI_SDK,
    HAS_REQUESTS,
    OCI_COMMON_ARGS,
    OCI_SDK_IMPORT_ERROR,
    OCI_SDK_NAME,
    OciAuthError,
    check_timeout,
    get_oci_config_and_signer,
    make_client,
    oci_auth_argument_spec,
    principal_tenancy,
)
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_errors import auth_error
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_wait import (
    DEFAULT_POLL,
    wait_for_state,
    wait_for_work_request,
)


def oci_argument_spec(argument_spec=None):
    """The module's own argument spec with ``OCI_COMMON_ARGS`` merged in (as copies). A module does not
    redefine them: they are documented once, by the ``oracle.mlflow.oci_auth`` fragment."""
    own = dict(argument_spec or {})
    clash = sorted(set(own) & set(OCI_COMMON_ARGS))
    if clash:
        raise ValueError('OciModule defines %s (doc fragment oracle.mlflow.oci_auth); remove them from the module '
                         'argument_spec' % ', '.join(clash))
    spec = oci_auth_argument_spec(timeout=dict(OCI_COMMON_ARGS['timeout']))
    spec.update(own)
    return spec


class OciModule(AnsibleModule):
    """An ``AnsibleModule`` with the collection's OCI options, principal, clients, waiters and failure path.

    ``failure_result``: result keys every failure returns besides ``msg`` and ``error_kind`` (the module's
    documented ``returned: always`` keys), a dict or a function of the validated params returning one.
    ``sdk_required``: check for the OCI SDK at once (see above). Every other keyword argument is
    ``AnsibleModule``'s.
    """

    def __init__(self, argument_spec=None, failure_result=None, sdk_required=True, **kwargs):
        super(OciModule, self).__init__(argument_spec=oci_argument_spec(argument_spec), **kwargs)
        self.failure_result = failure_result
        self._auth = None
        self._clients = {}
        try:
            self.timeout = check_timeout(self.params['timeout'])
            if sdk_required:
                self.require_sdk()
        except OracleMlflowError as error:
            self.fail(error)

    # -- failing ---------------------------------------------------------------------------------------

    def fail(self, error, **result):
        """Fail the task: ``msg``, ``error_kind`` and the details of ``error`` over ``result`` over the
        failure result. ``error`` is an ``OracleMlflowError``, or an ``OciAuthError`` (kind ``auth``)."""
        if isinstance(error, OciAuthError):
            error = auth_error(self.params['auth_type'], error)
        failed = self.failure_result(self.params) if callable(self.failure_result) else self.failure_result
        merged = dict(failed or {})
        merged.update(result)
        merged.update(error.result())
        self.fail_json(**merged)

    # -- the SDK, the principal, clients -----------------------------------------------------------------

    def require_sdk(self):
        """Raise ``OracleMlflowError('auth')`` (with the import traceback) when the OCI SDK or requests is missing."""
        if not HAS_OCI_SDK:
            raise OracleMlflowError('auth', missing_required_lib(OCI_SDK_NAME), exception=OCI_SDK_IMPORT_ERROR)
        if not HAS_REQUESTS:
            raise OracleMlflowError('auth', missing_required_lib('requests'))

    def oci_auth(self, why=None):
        """``(config, signer)`` of the principal the options name, made on first use; raises
        ``OracleMlflowError('auth')``. ``why`` says what needs the principal, for the message."""
        if self._auth is None:
            self.require_sdk()
            try:
                self._auth = get_oci_config_and_signer(self.params)
            except OciAuthError as exc:
                raise auth_error(self.params['auth_type'], exc, why) from None
        return self._auth

    def tenancy_id(self, why='finding the tenancy'):
        """The OCID of the principal's tenancy (``_oci_auth.principal_tenancy``); raises ``OracleMlflowError('auth')``
        when the principal does not tell it."""
        tenancy = principal_tenancy(*self.oci_auth(why))
        if not tenancy:
            raise OracleMlflowError('auth', 'The OCI principal (auth_type=%s) does not say which tenancy it belongs '
                                    'to: set compartment_id to the tenancy OCID.' % self.params['auth_type'])
        return tenancy

    def client(self, client_class):
        """The ``client_class`` client (``oci.secrets.SecretsClient``...) for the principal, made once, with
        (connect, read) timeouts from ``timeout`` and a bounded retry (``_oci_auth.make_client``)."""
        if client_class not in self._clients:
            self._clients[client_class] = make_client(client_class, self.params, self.timeout,
                                                      auth=self.oci_auth())[0]
        return self._clients[client_class]

    # -- waiting ---------------------------------------------------------------------------------------

    def wait_for_work_request(self, client, work_request_id, timeout, doing=None, poll=DEFAULT_POLL):
        """``_oci_wait.wait_for_work_request``; ``None`` in check mode, without a call."""
        return wait_for_work_request(client, work_request_id, timeout, doing=doing, poll=poll,
                                     check_mode=self.check_mode)

    def wait_for_state(self, get_fn, target_states, timeout, what='the resource', failed_states=('FAILED',),
                       poll=DEFAULT_POLL):
        """``_oci_wait.wait_for_state``; ``None`` in check mode, without a call."""
        return wait_for_state(get_fn, target_states, timeout, what=what, failed_states=failed_states, poll=poll,
                              check_mode=self.check_mode)
