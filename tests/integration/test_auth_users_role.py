# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mlflow_server role's tasks/auth_users.yml (include_role tasks_from: auth_users) against a real MLflow
server with the basic-auth app: lists of users and permissions applied, idempotent, passwords never in the
output, and a failing entry reported in one line that names the user."""

from __future__ import annotations

import json
import os
import subprocess

from support.mlflow_auth import REPO_ROOT, TlsFront

VENV_BIN = REPO_ROOT / '.venv' / 'bin'
PASSWORDS = {'alice': 'alice-password-1', 'ops': 'ops-password-12'}


def apply(tmp_path, server, enabled=True, users=None, permissions=None, check=False, **variables):
    """ansible-playbook -vvv of the role's auth_users entry point; (rc, human output, stats of localhost)."""
    play = [{'hosts': 'localhost', 'gather_facts': False,
             'vars': {'mlflow_server_auth_enabled': enabled,
                      'mlflow_server_auth_admin_username': server.admin[0],
                      'mlflow_server_auth_admin_password': server.admin[1],
                      'mlflow_server_auth_url': server.url,
                      'mlflow_server_auth_users': users or [],
                      'mlflow_server_auth_permissions': permissions or [], **variables},
             'tasks': [{'ansible.builtin.include_role': {'name': 'oracle.mlflow.mlflow_server',
                                                         'tasks_from': 'auth_users'}}]}]
    path = tmp_path / 'auth-users.json'
    path.write_text(json.dumps(play))
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
    proc = subprocess.run([str(VENV_BIN / 'ansible-playbook'), '-vvv', str(path), '-e',
                           'ansible_python_interpreter=%s' % (VENV_BIN / 'python')]
                          + (['--check'] if check else []),
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    recap = proc.stdout.rsplit('PLAY RECAP', 1)[-1]
    stats = dict(part.split('=') for part in recap.split(':', 1)[-1].split())
    return proc.returncode, proc.stdout + proc.stderr, {k: int(v) for k, v in stats.items()}


def test_users_and_permissions_applied_once(tmp_path, mlflow_auth_server):
    server = mlflow_auth_server
    server.create_user('leaver', 'leaver-password-1')
    server.api('POST', '/api/2.0/mlflow/experiments/create', json={'name': 'fraud'}).raise_for_status()
    fraud = server.api('GET', '/api/2.0/mlflow/experiments/get-by-name',
                       params={'experiment_name': 'fraud'}).json()['experiment']['experiment_id']
    users = [{'username': 'alice', 'password': PASSWORDS['alice']},
             {'username': 'ops', 'password': PASSWORDS['ops'], 'is_admin': True},
             {'username': 'leaver', 'state': 'absent'}]
    permissions = [{'username': 'alice', 'experiment_name': 'fraud', 'permission': 'EDIT'}]

    off = apply(tmp_path, server, enabled=False, users=users, permissions=permissions)
    # Check mode predicts both loops' changes, and alice's grant is no failure though alice is yet to come.
    check = apply(tmp_path, server, users=users, permissions=permissions, check=True)
    first = apply(tmp_path, server, users=users, permissions=permissions)
    second = apply(tmp_path, server, users=users, permissions=permissions)

    assert off[0] == 0 and off[2]['changed'] == 0, off[1]
    assert check[0] == 0 and check[2]['changed'] == 1, check[1]  # the users loop
    assert first[0] == 0 and first[2]['changed'] == 2, first[1]  # the users loop, the permissions loop
    assert second[0] == 0 and second[2]['changed'] == 0, second[1]
    assert server.logs_in('alice', PASSWORDS['alice']) == 200 and server.user('ops')['is_admin'] is True
    assert server.user('leaver') is None
    assert server.grants('alice') == {('experiment', fraud): 'EDIT'}
    secrets = list(PASSWORDS.values()) + [server.admin[1]]
    for _, output, _ in (check, first, second):  # at -vvv
        assert not any(secret in output for secret in secrets), output


def test_a_failing_entry_is_one_line_naming_it(tmp_path, mlflow_auth_server):
    rc, output, _ = apply(tmp_path, mlflow_auth_server,
                          users=[{'username': 'gina', 'password': 'gina-password-1'},
                                 {'username': 'hal', 'password': 'short-pw'}])

    assert rc != 0
    assert ("user hal: The password of user 'hal' is 8 characters long; MLflow needs at least 12."
            in output), output
    assert not any(secret in output for secret in ('short-pw', 'gina-password-1', mlflow_auth_server.admin[1]))
    assert mlflow_auth_server.logs_in('gina', 'gina-password-1') == 200  # the others are applied


def test_a_missing_experiment_names_it(tmp_path, mlflow_auth_server):
    mlflow_auth_server.create_user('ivan', 'ivan-password-1')

    rc, output, _ = apply(tmp_path, mlflow_auth_server,
                          permissions=[{'username': 'ivan', 'experiment_name': 'no-such', 'permission': 'READ'}])

    assert rc != 0
    assert "There is no experiment named 'no-such' on %s." % mlflow_auth_server.url in output, output


def test_through_https_with_a_private_ca(tmp_path, mlflow_auth_server):
    front = TlsFront(mlflow_auth_server.port, tmp_path)
    try:
        rc, output, stats = apply(tmp_path, mlflow_auth_server, users=[{'username': 'jane', 'password': 'jane-password-1'}],
                                  mlflow_server_auth_url=front.url, mlflow_server_auth_ca_path=str(front.ca_file))
    finally:
        front.close()

    assert rc == 0 and stats['changed'] == 1, output
    assert mlflow_auth_server.logs_in('jane', 'jane-password-1') == 200
