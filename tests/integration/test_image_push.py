# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""oracle.mlflow.image_build push=true against a real registry (Debian's docker-registry, token auth backed by
the OCI emulator's OCIR token endpoint: tests/support/registry_plugin.py), run through ansible.

Each test logs in by writing a Docker config in its own HOME/DOCKER_CONFIG, as ocir_login would, and
passes that environment to the module. Images are removed by the `image_name` fixture (by label).
"""

from __future__ import annotations

import pytest

DOCKERFILE_BODY = """\
COPY hello.txt /hello.txt
"""


@pytest.fixture
def context(tmp_path, dockerfile_head, image_name):
    """A tiny build context; the file names the test, so its layer is new to the registry."""
    ctx = tmp_path / 'context'
    ctx.mkdir()
    (ctx / 'Dockerfile').write_text(dockerfile_head + DOCKERFILE_BODY)
    (ctx / 'hello.txt').write_text('hello from %s\n' % image_name)
    return ctx


@pytest.fixture
def repository(ocir_registry, image_name):
    """`127.0.0.1:PORT/emulatorns/<image_name>`."""
    return ocir_registry.repository(image_name)


@pytest.fixture
def push_args(image_name, context, repository):
    def make(**overrides):
        args = {'name': image_name, 'tag': 'latest', 'additional_tags': ['1.0'], 'repository': repository,
                'push': True, 'build': {'path': str(context)}}
        args.update(overrides)
        return args
    return make


@pytest.fixture
def logged_in(ocir_registry, tmp_path):
    """HOME/DOCKER_CONFIG with a BEARER_TOKEN login from an OCI-signed token exchange."""
    return ocir_registry.login_env(tmp_path / 'home')


def assert_ok(result):
    assert not result.get('failed'), result.get('msg', result)


def test_push_four_way(run_module, docker_api, clean_oci_emulator, ocir_registry, image_name, repository,
                       push_args, logged_in):
    refs = ['%s:latest' % repository, '%s:1.0' % repository]

    checked = run_module('image_build', push_args(), check=True, env=logged_in)
    assert_ok(checked)
    assert checked['changed'] is True
    assert checked['actions'] == ['built %s:latest' % image_name, 'tagged %s:1.0' % image_name,
                                  'tagged %s' % refs[0], 'tagged %s' % refs[1],
                                  'pushed %s' % refs[0], 'pushed %s' % refs[1]]
    assert checked['tags'] == ['%s:latest' % image_name, '%s:1.0' % image_name] + refs
    assert checked['push'] == {'repository': repository, 'digest': None, 'pushed_tags': ['latest', '1.0']}
    assert ocir_registry.tags(repository) == []

    pushed = run_module('image_build', push_args(), env=logged_in)
    assert_ok(pushed)
    assert pushed['changed'] is True
    assert pushed['actions'] == checked['actions']
    digest = pushed['push']['digest']
    assert digest.startswith('sha256:') and len(digest) == 71
    assert pushed['push'] == {'repository': repository, 'digest': digest, 'pushed_tags': ['latest', '1.0']}
    assert ocir_registry.tags(repository) == ['1.0', 'latest']
    assert ocir_registry.manifest_digest(repository, 'latest') == digest
    assert ocir_registry.manifest_digest(repository, '1.0') == digest
    assert '%s@%s' % (repository, digest) in docker_api.inspect_image(pushed['image_id'])['RepoDigests']

    again = run_module('image_build', push_args(), env=logged_in)
    assert_ok(again)
    assert again['changed'] is False
    assert again['actions'] == []
    assert again['push'] == {'repository': repository, 'digest': digest, 'pushed_tags': []}

    again_checked = run_module('image_build', push_args(), check=True, env=logged_in)
    assert_ok(again_checked)
    assert again_checked['changed'] is False
    assert again_checked['push'] == {'repository': repository, 'digest': digest, 'pushed_tags': []}

    # The login came from an API-key signed token exchange; the engine then used it as BEARER_TOKEN at
    # the emulator's OCIR realm for every registry call, keeping the API-key identity.
    # (The test's own registry queries add signed exchanges: credential api_key.)
    realm_calls = [entry for entry in clean_oci_emulator.requests if entry['path'] == '/20180419/docker/token']
    assert realm_calls[0]['principal']['credential'] == 'api_key'
    bearer_logins = [entry for entry in realm_calls if entry['principal']['credential'] == 'registry_token']
    assert bearer_logins
    assert {(entry['status'], entry['principal']['type']) for entry in bearer_logins} == {(200, 'api_key')}


def test_new_tag_for_a_pushed_image_is_a_change(run_module, ocir_registry, repository, push_args, logged_in):
    first = run_module('image_build', push_args(additional_tags=[]), env=logged_in)
    assert_ok(first)
    assert first['push']['pushed_tags'] == ['latest']

    # Every layer is in the registry already: the change is the new tag.
    checked = run_module('image_build', push_args(additional_tags=['2.0']), check=True, env=logged_in)
    assert_ok(checked)
    assert checked['changed'] is True
    assert checked['push']['pushed_tags'] == ['2.0']
    assert checked['push']['digest'] == first['push']['digest']

    tagged = run_module('image_build', push_args(additional_tags=['2.0']), env=logged_in)
    assert_ok(tagged)
    assert tagged['changed'] is True
    assert tagged['push']['pushed_tags'] == ['2.0']
    assert ocir_registry.tags(repository) == ['2.0', 'latest']
    assert ocir_registry.manifest_digest(repository, '2.0') == first['push']['digest']


def test_rebuilt_image_is_pushed_with_a_new_digest(run_module, docker_api, ocir_registry, repository, push_args,
                                                   logged_in, context):
    first = run_module('image_build', push_args(), env=logged_in)
    assert_ok(first)

    (context / 'hello.txt').write_text('hello again\n')
    checked = run_module('image_build', push_args(), check=True, env=logged_in)
    assert_ok(checked)
    assert checked['changed'] is True
    assert checked['push']['pushed_tags'] == ['latest', '1.0'] and checked['push']['digest'] is None

    rebuilt = run_module('image_build', push_args(), env=logged_in)
    assert_ok(rebuilt)
    assert rebuilt['changed'] is True
    assert rebuilt['image_id'] != first['image_id']
    assert rebuilt['push']['pushed_tags'] == ['latest', '1.0']
    assert rebuilt['push']['digest'] != first['push']['digest']
    assert ocir_registry.manifest_digest(repository, 'latest') == rebuilt['push']['digest']
    assert ocir_registry.manifest_digest(repository, '1.0') == rebuilt['push']['digest']

    again = run_module('image_build', push_args(), env=logged_in)
    assert_ok(again)
    assert again['changed'] is False


def test_auth_token_login(run_module, ocir_registry, repository, push_args, tmp_path):
    """The other OCIR login: `<namespace>/<user>` with an auth token (seeded in the emulator)."""
    env = ocir_registry.login_env(tmp_path / 'home', ocir_registry.auth_token_login('jdoe', 'auth-token-for-push'))
    result = run_module('image_build', push_args(additional_tags=[]), env=env)
    assert_ok(result)
    assert result['changed'] is True
    assert ocir_registry.manifest_digest(repository, 'latest') == result['push']['digest']


@pytest.mark.parametrize('check', [False, True], ids=['real', 'check'])
def test_no_login(run_module, ocir_registry, repository, push_args, tmp_path, check):
    env = ocir_registry.no_login_env(tmp_path / 'home')
    result = run_module('image_build', push_args(), check=check, env=env)
    host = ocir_registry.address
    assert result['failed'] is True
    assert 'unauthorized: authentication required' in result['msg']
    assert 'there is no login for %s in %s/config.json' % (host, env['DOCKER_CONFIG']) in result['msg']
    assert 'Log in first with oracle.mlflow.ocir_login (registry: %s)' % host in result['msg']
    assert ocir_registry.tags(repository) == []


def test_refused_login(run_module, ocir_registry, repository, push_args, tmp_path):
    env = ocir_registry.login_env(tmp_path / 'home', ('BEARER_TOKEN', 'not-an-ocir-token'))
    result = run_module('image_build', push_args(), env=env)
    assert result['failed'] is True
    assert 'the login stored for %s' % ocir_registry.address in result['msg']
    assert 'Log in again with oracle.mlflow.ocir_login (registry: %s)' % ocir_registry.address in result['msg']
    assert ocir_registry.tags(repository) == []


@pytest.mark.parametrize('check', [False, True], ids=['real', 'check'])
def test_unreachable_registry(run_module, push_args, image_name, logged_in, check):
    result = run_module('image_build', push_args(repository='127.0.0.1:1/emulatorns/%s' % image_name), check=check,
                        env=logged_in)
    assert result['failed'] is True
    assert result['msg'].startswith('Cannot reach the registry 127.0.0.1:1 (')
    assert 'connection refused' in result['msg']


def test_push_needs_a_registry_host(run_module, push_args, image_name):
    result = run_module('image_build', push_args(repository=None))
    assert result['failed'] is True
    assert result['msg'].startswith('push=true needs a registry host: set repository, for example '
                                    'iad.ocir.io/<namespace>/%s' % image_name)


def test_repository_without_push_tags_locally_and_absent_removes_it(run_module, docker_api, ocir_registry, image_name,
                                                                    repository, push_args):
    tagged = run_module('image_build', push_args(push=False, additional_tags=[]))
    assert_ok(tagged)
    assert 'push' not in tagged
    assert tagged['actions'] == ['built %s:latest' % image_name, 'tagged %s:latest' % repository]
    assert docker_api.inspect_image('%s:latest' % repository)['Id'] == tagged['image_id']
    assert ocir_registry.tags(repository) == []

    removed = run_module('image_build', {'name': image_name, 'repository': repository, 'state': 'absent'})
    assert_ok(removed)
    assert removed['actions'] == ['removed %s:latest' % image_name, 'removed %s:latest' % repository]
