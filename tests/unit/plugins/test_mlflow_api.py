"""module_utils/_mlflow_api.py without a server: the options merged into a module's spec, the checks made
before any call, and what a failure repeats of an answer (tests/integration/test_user_module.py has the
answers of a real server)."""

from __future__ import annotations

import ssl
from urllib.error import URLError

import pytest

from ansible_collections.oracle.mlflow.plugins.module_utils import _mlflow_api
from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError


def params(**overrides):
    values = dict(tracking_uri='https://mlflow.example.com/', auth_username='admin', auth_password='pw',
                  ca_path=None, validate_certs=True, use_proxy=True, timeout=30)
    values.update(overrides)
    return values


def test_first_line_keeps_one_short_line():
    sql = 'User (username=a) already exists. Error: UNIQUE constraint failed\n[parameters: (\'a\', \'scrypt:32768$...\')]'
    assert _mlflow_api.first_line(sql) == 'User (username=a) already exists. Error: UNIQUE constraint failed'
    assert _mlflow_api.first_line('\n\n  second  \n') == 'second'
    assert _mlflow_api.first_line(None) == ''
    long = _mlflow_api.first_line('x' * 1000)
    assert len(long) == _mlflow_api.MESSAGE_CHARS and long.endswith('...')


def test_argument_spec_merges_copies_and_refuses_clashes():
    spec = _mlflow_api.mlflow_api_argument_spec(dict(username=dict(type='str')))
    assert set(spec) == set(_mlflow_api.MLFLOW_API_ARGS) | {'username'}
    spec['timeout']['default'] = 1
    assert _mlflow_api.MLFLOW_API_ARGS['timeout']['default'] == 30
    assert spec['auth_password']['no_log'] is True
    with pytest.raises(ValueError, match='timeout are connection options'):
        _mlflow_api.mlflow_api_argument_spec(dict(timeout=dict(type='int')))


@pytest.mark.parametrize('overrides, line', [
    (dict(tracking_uri='mlflow.example.com'), "tracking_uri must be the http:// or https:// URL of the MLflow server, "
                                              "not 'mlflow.example.com'."),
    (dict(tracking_uri='ftp://mlflow.example.com'), 'tracking_uri must be the http:// or https:// URL'),
    (dict(timeout=0), 'timeout must be at least 1 second, not 0.'),
])
def test_options_checked_before_any_call(overrides, line):
    with pytest.raises(OracleMlflowError) as error:
        _mlflow_api.MlflowApi(params(**overrides))
    assert error.value.kind == 'invalid' and error.value.message.startswith(line)


def test_base_url_drops_the_trailing_slash_and_empty_ca_path_means_none():
    api = _mlflow_api.MlflowApi(params(ca_path=''))
    assert api.base_url == 'https://mlflow.example.com' and api._options['ca_path'] is None


def test_tls_failures_are_told_from_other_connection_failures():
    verify = ssl.SSLCertVerificationError(1, 'certificate verify failed')
    verify.verify_message = 'self-signed certificate'
    assert _mlflow_api._tls_failure(URLError(verify)) == 'self-signed certificate'
    assert _mlflow_api._tls_failure(URLError(ConnectionRefusedError(111, 'Connection refused'))) is None
