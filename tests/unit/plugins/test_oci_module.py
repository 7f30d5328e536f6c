"""module_utils/_oci_module.py: OciModule's argument spec merge (OCI options, env fallbacks, timeout), the one
failure path, the SDK-missing message, the principal and clients made once, its waiters in check mode, and
the oci_auth doc fragment that documents the merged options once for every OCI module. Modules are built
in-process with patched arguments; fail_json is captured, nothing exits."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args

from ansible_collections.oracle.mlflow.plugins.doc_fragments.oci_auth import ModuleDocFragment

from ansible_collections.oracle.mlflow.plugins.module_utils import _oci_module
from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_auth import OCI_COMMON_ARGS, OciAuthError
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_module import OciModule, oci_argument_spec

OWN = dict(name=dict(type='str', required=True))


class Failed(Exception):
    """fail_json was called; args[0] is what it was given."""


class Exited(Exception):
    pass


@pytest.fixture(autouse=True)
def no_exit(monkeypatch):
    def fail_json(self, **kwargs):
        raise Failed(kwargs)

    def exit_json(self, **kwargs):
        raise Exited(kwargs)

    monkeypatch.setattr(OciModule, 'fail_json', fail_json)
    monkeypatch.setattr(OciModule, 'exit_json', exit_json)


def module(args=None, **kwargs) -> OciModule:
    with patch_module_args(dict({'name': 'b'}, **(args or {}))):
        return OciModule(argument_spec=OWN, supports_check_mode=True, **kwargs)


def failed(call, *args, **kwargs) -> dict:
    with pytest.raises(Failed) as failure:
        call(*args, **kwargs)
    return failure.value.args[0]


# -- the argument spec ----------------------------------------------------------------------------------

def test_argument_spec_merge():
    spec = oci_argument_spec(OWN)

    assert set(spec) == set(OCI_COMMON_ARGS) | {'name'}
    assert spec['timeout'] == {'type': 'int', 'default': 30}
    spec['timeout']['default'] = 5
    assert OCI_COMMON_ARGS['timeout']['default'] == 30  # copies


def test_a_module_may_not_redefine_the_oci_options():
    with pytest.raises(ValueError, match=r'OciModule defines region, timeout'):
        oci_argument_spec(dict(OWN, timeout=dict(type='int', default=60), region=dict(type='str')))


def test_params_defaults_and_environment_fallbacks(monkeypatch):
    monkeypatch.setenv('OCI_CLI_AUTH', 'instance_principal')
    monkeypatch.setenv('OCI_REGION', 'phx')

    params = module().params

    assert {k: params[k] for k in OCI_COMMON_ARGS if k != 'config_file'} == {
        'auth_type': 'instance_principal', 'config_profile': 'DEFAULT', 'region': 'phx', 'timeout': 30}
    assert module({'timeout': 7}).timeout == 7


def test_timeout_is_checked_first_with_the_failure_result():
    result = failed(module, {'timeout': 0}, failure_result=lambda params: dict(changed=False, name=params['name']))

    assert result == {'msg': 'timeout must be at least 1 second.', 'error_kind': 'invalid', 'changed': False,
                      'name': 'b'}


# -- the failure path -----------------------------------------------------------------------------------

def test_fail_turns_an_error_into_fail_json():
    oci_module = module(failure_result=dict(changed=False, bucket=None, status='overridden'))

    error = OracleMlflowError('missing', 'The bucket is not there.', status=404, opc_request_id='R1')
    result = failed(oci_module.fail, error, bucket='kept', msg='overridden')

    assert result == {'msg': 'The bucket is not there.', 'error_kind': 'missing', 'changed': False, 'bucket': 'kept',
                      'status': 404, 'opc_request_id': 'R1'}


def test_fail_with_the_principal_error():
    result = failed(module({'auth_type': 'resource_principal'}).fail, OciAuthError('no environment'))

    assert result == {'msg': 'Cannot authenticate to OCI with auth_type=resource_principal: no environment',
                      'error_kind': 'auth'}


def test_sdk_missing(monkeypatch):
    monkeypatch.setattr(_oci_module, 'HAS_OCI_SDK', False)
    monkeypatch.setattr(_oci_module, 'OCI_SDK_IMPORT_ERROR', 'Traceback: No module named oci')

    result = failed(module, failure_result=dict(changed=False))

    assert result['error_kind'] == 'auth' and result['changed'] is False
    assert result['exception'] == 'Traceback: No module named oci'
    assert result['msg'].startswith('Failed to import the required Python library (oci (the OCI SDK for Python)) on ')


def test_sdk_checked_when_first_needed(monkeypatch):
    """sdk_required=False: a task that needs no OCI call needs no SDK; asking for a client checks it."""
    monkeypatch.setattr(_oci_module, 'HAS_OCI_SDK', False)
    oci_module = module(sdk_required=False)

    with pytest.raises(OracleMlflowError) as failure:
        oci_module.client(object)
    assert failure.value.kind == 'auth' and 'oci (the OCI SDK for Python)' in failure.value.message


def test_requests_missing(monkeypatch):
    monkeypatch.setattr(_oci_module, 'HAS_REQUESTS', False)

    assert 'required Python library (requests)' in failed(module)['msg']


# -- principal and clients ------------------------------------------------------------------------------

class FakeClient:
    def __init__(self, config, signer=None, timeout=None, retry_strategy=None):
        self.config, self.signer, self.timeout = config, signer, timeout


class OtherClient(FakeClient):
    pass


def test_principal_and_clients_are_made_once(monkeypatch):
    made = []

    def principal(params):
        made.append(params['auth_type'])
        return {'region': 'us-ashburn-1'}, 'signer'

    monkeypatch.setattr(_oci_module, 'get_oci_config_and_signer', principal)
    oci_module = module({'timeout': 20})

    client = oci_module.client(FakeClient)

    assert oci_module.client(FakeClient) is client and oci_module.client(OtherClient) is not client
    assert made == ['api_key']
    assert (client.config, client.signer, client.timeout) == ({'region': 'us-ashburn-1'}, 'signer', (10, 20))


def test_principal_failure_says_why(monkeypatch):
    def principal(params):
        raise OciAuthError('the metadata service did not answer')

    monkeypatch.setattr(_oci_module, 'get_oci_config_and_signer', principal)
    oci_module = module({'auth_type': 'instance_principal'})

    with pytest.raises(OracleMlflowError) as failure:
        oci_module.oci_auth(why='Looking up the namespace')
    assert failure.value.result() == {
        'error_kind': 'auth', 'msg': 'Looking up the namespace with the OCI principal (auth_type=instance_principal) '
                                     'failed: the metadata service did not answer'}
    with pytest.raises(OracleMlflowError, match=r'^Cannot authenticate to OCI with auth_type=instance_principal: '):
        oci_module.client(FakeClient)


# -- waiting --------------------------------------------------------------------------------------------

class NeverCalled:
    def __getattr__(self, name):
        raise AssertionError('called %s in check mode' % name)

    def __call__(self):
        raise AssertionError('called in check mode')


def test_waiters_never_wait_in_check_mode():
    with patch_module_args({'name': 'b', '_ansible_check_mode': True}):
        oci_module = OciModule(argument_spec=OWN, supports_check_mode=True)

    assert oci_module.wait_for_work_request(NeverCalled(), 'ocid1.wr', 600) is None
    assert oci_module.wait_for_state(NeverCalled(), 'ACTIVE', 600) is None


# -- the options' documentation -------------------------------------------------------------------------

OCI_MODULES = ('iam_dynamic_group', 'iam_policy', 'object_storage_bucket', 'ocir_login', 'vault_secret_info')


def test_the_doc_fragment_documents_the_common_options():
    options = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']

    assert set(options) == set(OCI_COMMON_ARGS)
    for name, spec in OCI_COMMON_ARGS.items():
        assert options[name]['type'] == spec['type'], name
        assert options[name].get('default') == spec.get('default'), name
        assert options[name].get('choices') == spec.get('choices'), name


# Every module built on OciModule, found in the sources (so a new one cannot be left out of the check below);
# OCI_MODULES above are the ones it must find at least.
BUILT_ON_OCI_MODULE = tuple(sorted(path.stem for path in (Path(_oci_module.__file__).parents[1] / 'modules')
                                   .glob('[!_]*.py') if 'OciModule(' in path.read_text()))


def test_the_oci_modules_are_found():
    assert set(OCI_MODULES) | {'security_list_ingress'} <= set(BUILT_ON_OCI_MODULE)


@pytest.mark.parametrize('name', BUILT_ON_OCI_MODULE)
def test_every_oci_module_takes_them_from_the_fragment(name):
    """Each OCI module (the oci action group) extends the fragment and documents none of its options again."""
    doc = yaml.safe_load(importlib.import_module('ansible_collections.oracle.mlflow.plugins.modules.%s' % name)
                         .DOCUMENTATION)
    runtime = yaml.safe_load((Path(_oci_module.__file__).parents[2] / 'meta' / 'runtime.yml').read_text())

    assert sorted(runtime['action_groups']['oci']) == sorted(BUILT_ON_OCI_MODULE)
    assert 'oracle.mlflow.oci_auth' in doc['extends_documentation_fragment']
    assert not set(doc['options']) & set(OCI_COMMON_ARGS)
