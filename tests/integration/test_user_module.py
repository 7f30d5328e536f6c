# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""oracle.mlflow.user against a real MLflow server with the basic-auth app (one for the module).

Each action runs four times in one play (check, real, idempotent, idempotent check): a real run still
reporting a change after the check run proves the check run wrote nothing. The evidence is the server's:
its users, and logins through the real MLflow client.
"""

from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException

from support.mlflow_auth import REPO_ROOT, TlsFront, client_as, four_ways, odd_servers

USER = 'oracle.mlflow.user'


def test_create_four_times(auth_play, mlflow_auth_server, monkeypatch):
    results = auth_play(four_ways(USER, {'username': 'alice', 'password': 'alice-password-1'}))

    assert [r['changed'] for r in results] == [True, True, False, False], results
    check, real, again, again_check = results
    assert [r['changes'] for r in results] == [['created'], ['created'], [], []]
    assert check['user'] is None
    assert real['user'] == again['user'] == {'id': real['user']['id'], 'username': 'alice', 'is_admin': False}
    assert check['diff'] == real['diff'] == {'before': {'state': 'absent', 'username': 'alice'},
                                             'after': {'state': 'present', 'username': 'alice', 'is_admin': False}}
    assert again['diff']['before'] == again['diff']['after'] == real['diff']['after']
    assert 'alice-password-1' not in repr(results)
    # The new user logs in with the real client (and sees the Default experiment: the server's READ default).
    assert client_as(monkeypatch, mlflow_auth_server, 'alice', 'alice-password-1').get_experiment('0').name == 'Default'


def test_password_and_admin_flag_four_times(auth_play, mlflow_auth_server):
    mlflow_auth_server.create_user('carol', 'carol-password-1')

    results = auth_play(four_ways(USER, {'username': 'carol', 'password': 'carol-password-2', 'is_admin': True}))

    assert [r['changed'] for r in results] == [True, True, False, False], results
    assert [r['changes'] for r in results] == [['password', 'is_admin'], ['password', 'is_admin'], [], []]
    assert results[0]['diff'] == {'before': {'state': 'present', 'username': 'carol', 'is_admin': False},
                                  'after': {'state': 'present', 'username': 'carol', 'is_admin': True,
                                            'password_changed': True}}
    assert results[1]['user']['is_admin'] is True and mlflow_auth_server.user('carol')['is_admin'] is True
    assert mlflow_auth_server.logs_in('carol', 'carol-password-1') == 401
    assert mlflow_auth_server.logs_in('carol', 'carol-password-2') == 200


def test_password_on_create_only_and_flag_kept(auth_play, mlflow_auth_server):
    mlflow_auth_server.create_user('dave', 'dave-password-1', is_admin=True)

    results = auth_play(four_ways(USER, {'username': 'dave', 'password': 'another-password', 'update_password': 'on_create'}))

    assert [r['changed'] for r in results] == [False] * 4, results
    assert results[1]['user']['is_admin'] is True
    assert mlflow_auth_server.logs_in('dave', 'dave-password-1') == 200


def test_delete_four_times(auth_play, mlflow_auth_server, monkeypatch):
    mlflow_auth_server.create_user('bob', 'bob-password-12')
    bob = client_as(monkeypatch, mlflow_auth_server, 'bob', 'bob-password-12')
    assert bob.get_experiment('0').name == 'Default'

    results = auth_play(four_ways(USER, {'username': 'bob', 'state': 'absent'}))

    assert [r['changed'] for r in results] == [True, True, False, False], results
    assert [r['changes'] for r in results] == [['deleted'], ['deleted'], [], []]
    assert results[1]['diff'] == {'before': {'state': 'present', 'username': 'bob', 'is_admin': False},
                                  'after': {'state': 'absent', 'username': 'bob'}}
    assert results[1]['user'] is None and mlflow_auth_server.user('bob') is None
    with pytest.raises(MlflowException, match='401'):
        bob.get_experiment('0')


@pytest.fixture
def front(mlflow_auth_server, tmp_path):
    """The server behind HTTPS with a certificate of a private CA (``front.ca_file``)."""
    front = TlsFront(mlflow_auth_server.port, tmp_path)
    yield front
    front.close()


@pytest.fixture
def odd():
    with odd_servers() as urls:
        yield urls


def test_error_lines(auth_play, mlflow_auth_server, front, odd):
    """Each failure is one line saying what to fix, with its kind; none writes anything."""
    mlflow_auth_server.create_user('erin', 'erin-password-1')
    web, silent = odd
    closed = mlflow_auth_server.url.rsplit(':', 1)[0] + ':1'
    cases = [
        ({'username': 'x1', 'password': 'x-password-123', 'tracking_uri': closed}, 'unreachable',
         'Cannot reach the MLflow server at %s: ' % closed),
        ({'username': 'x1', 'password': 'x-password-123', 'auth_password': 'not-the-admin-password'}, 'denied',
         "The MLflow server at %s refused the admin login 'admin' (401): check auth_username and auth_password."
         % mlflow_auth_server.url),
        ({'username': 'x1', 'password': 'x-password-123', 'auth_username': 'erin', 'auth_password': 'erin-password-1'},
         'denied', "The login 'erin' is not an admin of the MLflow server at %s (403 on GET /api/2.0/mlflow/users/get): "
                   'use an admin login.' % mlflow_auth_server.url),
        ({'username': 'x1', 'password': 'x-password-123', 'tracking_uri': front.url}, 'unreachable',
         'TLS verification of %s failed (' % front.url),
        ({'username': 'admin', 'state': 'absent'}, 'invalid',
         "Refusing to delete user 'admin': it is the admin login this task authenticates with (auth_username)"),
        ({'username': 'admin', 'is_admin': False}, 'invalid',
         "Refusing to demote user 'admin': it is the admin login this task authenticates with (auth_username)"),
        ({'username': 'x1', 'password': 'short'}, 'invalid',
         "The password of user 'x1' is 5 characters long; MLflow needs at least 12."),
        ({'username': 'x1'}, 'invalid', "There is no user 'x1' yet: set password to create it."),
        ({'username': 'x1', 'password': 'x-password-123', 'tracking_uri': web + '/moved'}, 'invalid',
         'GET %s/moved/api/2.0/mlflow/users/get was redirected (301) to '
         'https://elsewhere.example/moved/api/2.0/mlflow/users/get?username=x1: '
         "set tracking_uri to the server's own URL." % web),
        ({'username': 'x1', 'password': 'x-password-123', 'tracking_uri': web + '/plain'}, 'missing',
         'MLflow answered 404 to GET /api/2.0/mlflow/users/get: no such API: is %s/plain an MLflow server with the '
         'basic-auth app (--app-name basic-auth)?' % web),
        ({'username': 'x1', 'password': 'x-password-123', 'tracking_uri': web}, 'format',
         'GET %s/api/2.0/mlflow/users/get answered something that is not JSON: is tracking_uri the MLflow server? '
         '(<!doctype html>)' % web),
        ({'username': 'x1', 'password': 'x-password-123', 'tracking_uri': silent, 'timeout': 1}, 'unreachable',
         'The MLflow server at %s did not answer within 1 s (timeout).' % silent),
        ({'username': 'x1', 'password': 'x-password-123', 'tracking_uri': 'ftp://example'}, 'invalid',
         "tracking_uri must be the http:// or https:// URL of the MLflow server, not 'ftp://example'."),
    ]
    tasks = [{USER: args, 'ignore_errors': True} for args, _, _ in cases]
    # The same server through HTTPS with its CA, then without verification: real runs, real changes.
    tasks.append({USER: {'username': 'frank', 'password': 'frank-password-1', 'tracking_uri': front.url,
                         'ca_path': str(front.ca_file)}})
    tasks.append({USER: {'username': 'fred', 'password': 'fred-password-12', 'tracking_uri': front.url,
                         'validate_certs': False}})
    results = auth_play(tasks)

    for (args, kind, line), result in zip(cases, results):
        assert result.get('failed') and result['error_kind'] == kind, (args, result)
        assert result['msg'].startswith(line), (args, result['msg'])
        assert '\n' not in result['msg'] and result['changed'] is False
    assert 'set ca_path to the CA certificate' in results[3]['msg']
    assert results[-2]['changed'] and results[-2]['user']['username'] == 'frank'
    assert results[-1]['changed'] and results[-1]['user']['username'] == 'fred'
    assert mlflow_auth_server.user('x1') is None and mlflow_auth_server.user('admin')['is_admin'] is True
    assert mlflow_auth_server.logs_in('frank', 'frank-password-1') == 200


def test_connection_from_the_mlflow_client_environment(run_play, tmp_path, mlflow_auth_server):
    """MLFLOW_TRACKING_URI / _USERNAME / _PASSWORD on the managed node stand in for the options."""
    env = {'MLFLOW_TRACKING_URI': mlflow_auth_server.url, 'MLFLOW_TRACKING_USERNAME': 'admin',
           'MLFLOW_TRACKING_PASSWORD': mlflow_auth_server.admin[1]}

    result, = run_play(tmp_path, [{USER: {'username': 'kim', 'password': 'kim-password-123', 'use_proxy': False},
                                   'environment': env}])

    assert result['changed'] and result['user']['username'] == 'kim', result
    assert mlflow_auth_server.logs_in('kim', 'kim-password-123') == 200


def test_mlflow_errors_are_cut_to_their_first_line(mlflow_auth_server, monkeypatch):
    """MLflow's answer to a duplicate user carries the failed SQL and its parameters (the password hash) on
    the lines after its message: a failure repeats the message only."""
    monkeypatch.syspath_prepend(str(REPO_ROOT))
    from ansible_collections.oracle.mlflow.plugins.module_utils import _mlflow_api, _mlflow_auth
    mlflow_auth_server.create_user('henry', 'henry-password-1')
    raw = mlflow_auth_server.api('POST', '/api/2.0/mlflow/users/create',
                                 json={'username': 'henry', 'password': 'henry-password-1'}).json()['message']
    assert 'scrypt' in raw or 'pbkdf2' in raw  # what the server answers

    api = _mlflow_api.MlflowApi(dict(tracking_uri=mlflow_auth_server.url, auth_username='admin',
                                     auth_password=mlflow_auth_server.admin[1], ca_path=None, validate_certs=True,
                                     use_proxy=False, timeout=30))
    with pytest.raises(_mlflow_api.MlflowApiError) as error:
        _mlflow_auth.create_user(api, 'henry', 'henry-password-1')

    assert error.value.kind == 'conflict' and error.value.status == 400
    assert error.value.message.startswith('MLflow answered 400 RESOURCE_ALREADY_EXISTS to POST '
                                          '/api/2.0/mlflow/users/create: User (username=henry) already exists.')
    assert '\n' not in error.value.message and 'scrypt' not in error.value.message and 'pbkdf2' not in error.value.message
