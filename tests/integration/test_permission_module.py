# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""oracle.mlflow.permission against a real MLflow server with the basic-auth app (one for the module).

Each action runs four times in one play (check, real, idempotent, idempotent check). The evidence is what
the users can do through the real MLflow client, and the grants the server lists.
"""

from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException

from support.mlflow_auth import client_as, four_ways

PERMISSION = 'oracle.mlflow.permission'


@pytest.fixture(scope='module')
def world(mlflow_auth_server):
    """Users (the server's default permission is READ) and what they get permissions on, made by the admin."""
    server = mlflow_auth_server
    for name in ('reader', 'outsider', 'editor', 'modeller'):
        server.create_user(name, '%s-password-1' % name)
    admin = server.api
    ids = {}
    for name in ('fraud', 'churn', 'pricing'):
        answer = admin('POST', '/api/2.0/mlflow/experiments/create', json={'name': name})
        answer.raise_for_status()
        ids[name] = answer.json()['experiment_id']
    admin('POST', '/api/2.0/mlflow/registered-models/create', json={'name': 'scorer'}).raise_for_status()
    return ids


def as_user(monkeypatch, server, name):
    return client_as(monkeypatch, server, name, '%s-password-1' % name)


def test_read_four_times(auth_play, mlflow_auth_server, world, monkeypatch):
    results = auth_play(four_ways(PERMISSION, {'username': 'reader', 'experiment_name': 'fraud', 'permission': 'READ'}))

    assert [r['changed'] for r in results] == [True, True, False, False], results
    assert [r['permission'] for r in results] == ['READ'] * 4
    fraud = world['fraud']
    assert results[0]['diff'] == {
        'before': {'username': 'reader', 'resource_type': 'experiment', 'resource_id': fraud, 'permission': None},
        'after': {'username': 'reader', 'resource_type': 'experiment', 'resource_id': fraud, 'permission': 'READ'}}
    assert mlflow_auth_server.grants('reader') == {('experiment', fraud): 'READ'}
    # A READ user reads the experiment and is refused when logging to it.
    reader = as_user(monkeypatch, mlflow_auth_server, 'reader')
    assert reader.get_experiment(fraud).name == 'fraud'
    with pytest.raises(MlflowException, match='403'):
        reader.create_run(fraud)


def test_no_permissions_four_times(auth_play, mlflow_auth_server, world, monkeypatch):
    churn = world['churn']
    outsider = as_user(monkeypatch, mlflow_auth_server, 'outsider')
    assert outsider.get_experiment(churn).name == 'churn'  # the server's default: READ

    results = auth_play(four_ways(PERMISSION, {'username': 'outsider', 'experiment_id': churn,
                                               'permission': 'NO_PERMISSIONS'}))

    assert [r['changed'] for r in results] == [True, True, False, False], results
    assert [r['permission'] for r in results] == ['DENY'] * 4
    assert results[1]['diff']['before']['permission'] is None and results[1]['diff']['after']['permission'] == 'DENY'
    with pytest.raises(MlflowException, match='403'):
        outsider.get_experiment(churn)
    assert outsider.get_experiment(world['pricing']).name == 'pricing'  # only that experiment


def test_change_then_revoke_four_times(auth_play, mlflow_auth_server, world, monkeypatch):
    pricing = world['pricing']
    mlflow_auth_server.api('POST', '/api/3.0/mlflow/users/permissions/grant', json={
        'username': 'editor', 'resource_type': 'experiment', 'resource_id': pricing, 'permission': 'READ'})
    editor = as_user(monkeypatch, mlflow_auth_server, 'editor')
    target = {'username': 'editor', 'experiment_name': 'pricing'}

    changed = auth_play(four_ways(PERMISSION, dict(target, permission='EDIT')))
    run = editor.create_run(pricing)  # EDIT logs runs
    revoked = auth_play(four_ways(PERMISSION, dict(target, state='absent')))

    assert [r['changed'] for r in changed] == [True, True, False, False], changed
    assert [r['diff']['before']['permission'] for r in changed] == ['READ', 'READ', 'EDIT', 'EDIT']
    assert run.info.experiment_id == pricing
    assert [r['changed'] for r in revoked] == [True, True, False, False], revoked
    assert [r['permission'] for r in revoked] == [None] * 4
    assert revoked[1]['diff']['before']['permission'] == 'EDIT' and revoked[1]['diff']['after']['permission'] is None
    assert mlflow_auth_server.grants('editor') == {}
    with pytest.raises(MlflowException, match='403'):  # back to the default: READ
        editor.create_run(pricing)


def test_registered_model_four_times(auth_play, mlflow_auth_server, world, monkeypatch):
    results = auth_play(four_ways(PERMISSION, {'username': 'modeller', 'registered_model_name': 'scorer',
                                               'permission': 'MANAGE'}))

    assert [r['changed'] for r in results] == [True, True, False, False], results
    assert results[1]['resource_type'] == 'registered_model' and results[1]['resource_id'] == 'scorer'
    assert mlflow_auth_server.grants('modeller') == {('registered_model', 'scorer'): 'MANAGE'}
    # MANAGE lets the modeller update the model; the server's default, READ, does not.
    as_user(monkeypatch, mlflow_auth_server, 'modeller').update_registered_model('scorer', description='managed')
    with pytest.raises(MlflowException, match='403'):
        as_user(monkeypatch, mlflow_auth_server, 'reader').update_registered_model('scorer', description='read')


def test_error_lines(auth_play, mlflow_auth_server, world):
    url = mlflow_auth_server.url
    cases = [
        ({'username': 'nobody', 'experiment_name': 'fraud', 'permission': 'READ'}, 'missing',
         "There is no user 'nobody' on %s: create it first (oracle.mlflow.user)." % url),
        ({'username': 'reader', 'experiment_name': 'no-such', 'permission': 'READ'}, 'missing',
         "There is no experiment named 'no-such' on %s." % url),
        ({'username': 'reader', 'experiment_id': '987654', 'permission': 'READ'}, 'missing',
         "There is no experiment with ID '987654' on %s." % url),
        ({'username': 'reader', 'registered_model_name': 'no-such', 'permission': 'READ'}, 'missing',
         "There is no registered model named 'no-such' on %s." % url),
    ]
    tasks = [{PERMISSION: args, 'ignore_errors': True} for args, _, _ in cases]
    tasks += [{PERMISSION: {'username': 'reader', 'experiment_name': 'fraud', 'experiment_id': '1',
                            'permission': 'READ'}, 'ignore_errors': True},
              {PERMISSION: {'username': 'reader', 'experiment_name': 'fraud'}, 'ignore_errors': True}]

    before = mlflow_auth_server.grants('reader')

    results = auth_play(tasks)

    for (args, kind, line), result in zip(cases, results):
        assert result.get('failed') and result['error_kind'] == kind, (args, result)
        assert result['msg'] == line and result['changed'] is False
    assert results[4]['failed'] and 'mutually exclusive: experiment_id|experiment_name' in results[4]['msg']
    assert results[5]['failed'] and 'state is present but all of the following are missing: permission' in results[5]['msg']
    assert mlflow_auth_server.grants('reader') == before
