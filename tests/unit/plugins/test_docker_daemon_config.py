"""oracle.mlflow.docker_daemon_config: what the docker_host role writes to /etc/docker/daemon.json."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.oracle.mlflow.plugins.filter.docker_daemon_config import FilterModule, docker_daemon_config

ROTATE = {'max-size': '10m', 'max-file': 3}


def test_no_file_gets_log_rotation_with_string_values():
    # dockerd refuses to start on a number in log-opts: the filter writes strings
    assert docker_daemon_config('', log_opts=ROTATE) == {
        'log-driver': 'json-file', 'log-opts': {'max-size': '10m', 'max-file': '3'}}
    assert docker_daemon_config(' \n', log_opts=ROTATE) == docker_daemon_config(None, log_opts=ROTATE)


def test_other_settings_of_the_file_are_kept():
    text = json.dumps({'data-root': '/srv/docker', 'registry-mirrors': ['http://127.0.0.1:5001']})
    merged = docker_daemon_config(text, log_opts=ROTATE)
    assert merged['data-root'] == '/srv/docker' and merged['registry-mirrors'] == ['http://127.0.0.1:5001']
    assert merged['log-opts'] == {'max-size': '10m', 'max-file': '3'}


def test_same_driver_merges_log_opts_and_ours_win():
    text = json.dumps({'log-driver': 'json-file', 'log-opts': {'max-size': '1g', 'labels': 'team'}})
    assert docker_daemon_config(text, log_opts=ROTATE)['log-opts'] == {'max-size': '10m', 'max-file': '3', 'labels': 'team'}


def test_file_without_driver_is_json_file_already():
    text = json.dumps({'log-opts': {'compress': 'true'}})
    assert docker_daemon_config(text, log_opts=ROTATE)['log-opts'] == {'compress': 'true', 'max-size': '10m', 'max-file': '3'}


def test_another_driver_loses_its_options():
    text = json.dumps({'log-driver': 'syslog', 'log-opts': {'syslog-address': 'udp://127.0.0.1:514'}})
    assert docker_daemon_config(text, log_opts=ROTATE) == {
        'log-driver': 'json-file', 'log-opts': {'max-size': '10m', 'max-file': '3'}}


def test_driver_without_options_has_no_log_opts_key():
    assert docker_daemon_config('{"log-opts": {}}', log_driver='journald', log_opts={}) == {'log-driver': 'journald'}


def test_options_merge_recursively():
    text = json.dumps({'default-ulimits': {'nofile': {'Soft': 1024, 'Hard': 2048}}, 'debug': True})
    merged = docker_daemon_config(text, log_opts=ROTATE, options={
        'default-ulimits': {'nproc': {'Soft': 10, 'Hard': 20}}, 'debug': False, 'live-restore': True})
    assert merged['default-ulimits'] == {'nofile': {'Soft': 1024, 'Hard': 2048}, 'nproc': {'Soft': 10, 'Hard': 20}}
    assert merged['debug'] is False and merged['live-restore'] is True


def test_booleans_become_dockers_words():
    assert docker_daemon_config('', log_opts={'compress': True})['log-opts'] == {'compress': 'true'}


def test_the_result_is_stable():
    once = docker_daemon_config('{"data-root": "/d"}', log_opts=ROTATE)
    assert docker_daemon_config(json.dumps(once), log_opts=ROTATE) == once


@pytest.mark.parametrize('text, options, log_opts, message', [
    ('{not json', None, ROTATE, 'not valid JSON'),
    ('[1, 2]', None, ROTATE, 'must hold a JSON object, not list'),
    ('', {'log-opts': {}}, ROTATE, 'log-opts: set the log driver'),
    ('', None, {'max-size': ['10m']}, 'strings or numbers'),
    ('', None, 'max-size=10m', 'log_opts must be a dictionary'),
])
def test_bad_input_is_one_clear_error(text, options, log_opts, message):
    with pytest.raises(AnsibleFilterError, match=message):
        docker_daemon_config(text, log_opts=log_opts, options=options)


def test_the_filter_is_registered():
    assert FilterModule().filters()['docker_daemon_config'] is docker_daemon_config
