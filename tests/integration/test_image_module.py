# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""oracle.mlflow.image_build against the local Docker engine, run through ansible."""

from __future__ import annotations

import pytest

HASH_LABEL = 'org.oracle.mlflow.build-hash'

DOCKERFILE_BODY = """\
ARG FLAVOUR=plain
COPY hello.txt /hello.txt
LABEL flavour=$FLAVOUR
"""


@pytest.fixture
def context(tmp_path, dockerfile_head):
    """A tiny build context (no RUN step, builds in about a second)."""
    ctx = tmp_path / 'context'
    ctx.mkdir()
    (ctx / 'Dockerfile').write_text(dockerfile_head + DOCKERFILE_BODY)
    (ctx / 'hello.txt').write_text('hello\n')
    (ctx / '.dockerignore').write_text('# not sent to the engine\nignored.txt\n')
    (ctx / 'ignored.txt').write_text('scratch\n')
    return ctx


@pytest.fixture
def image_args(image_name, context):
    def make(**overrides):
        build = {'path': str(context), 'args': {'FLAVOUR': 'plain'}}
        build.update(overrides.pop('build', {}))
        args = {'name': image_name, 'tag': 'latest', 'additional_tags': ['1.0'], 'build': build}
        args.update(overrides)
        return args
    return make


def inspect(docker_api, ref):
    import docker

    try:
        return docker_api.inspect_image(ref)
    except docker.errors.ImageNotFound:
        return None


def assert_ok(result):
    assert not result.get('failed'), result.get('msg', result)


def test_build_four_way(run_module, docker_api, image_name, image_args):
    refs = ['%s:latest' % image_name, '%s:1.0' % image_name]

    checked = run_module('image_build', image_args(), check=True, diff=True)
    assert_ok(checked)
    assert checked['changed'] is True
    assert checked['actions'] == ['built %s' % refs[0], 'tagged %s' % refs[1]]
    assert checked['image_id'] is None
    assert checked['tags'] == refs
    assert checked['diff']['before'] == {}
    assert set(checked['diff']['after']) == set(refs)
    assert inspect(docker_api, refs[0]) is None

    built = run_module('image_build', image_args(), diff=True)
    assert_ok(built)
    assert built['changed'] is True
    assert built['actions'] == checked['actions']
    assert built['build_hash'] == checked['build_hash']
    assert built['build_log'] and built['build_log'][-1].startswith('Successfully tagged')
    # Build args are not echoed in the module's own return values (ansible's `invocation` still lists the task args).
    assert 'FLAVOUR' not in repr({k: v for k, v in built.items() if k not in ('build_log', 'invocation')})
    for ref in refs:
        image = inspect(docker_api, ref)
        assert image is not None, ref
        assert image['Id'] == built['image_id']
        assert image['Config']['Labels'][HASH_LABEL] == built['build_hash']
        assert image['Config']['Labels']['flavour'] == 'plain'
    assert built['diff']['after'][refs[1]] == {'id': built['image_id'], 'build_hash': built['build_hash']}

    again = run_module('image_build', image_args(), diff=True)
    assert_ok(again)
    assert again['changed'] is False
    assert again['actions'] == []
    assert again['build_log'] == []
    assert again['image_id'] == built['image_id']
    assert again['diff']['before'] == again['diff']['after']

    again_checked = run_module('image_build', image_args(), check=True)
    assert_ok(again_checked)
    assert again_checked['changed'] is False
    assert again_checked['image_id'] == built['image_id']


def test_changed_context_file_rebuilds(run_module, docker_api, image_name, image_args, context):
    first = run_module('image_build', image_args())
    assert_ok(first)

    (context / 'ignored.txt').write_text('excluded by .dockerignore: no rebuild\n')
    ignored = run_module('image_build', image_args())
    assert_ok(ignored)
    assert ignored['changed'] is False

    (context / 'hello.txt').write_text('hello again\n')
    checked = run_module('image_build', image_args(), check=True)
    assert checked['changed'] is True and checked['actions'][0] == 'built %s:latest' % image_name

    rebuilt = run_module('image_build', image_args())
    assert_ok(rebuilt)
    assert rebuilt['changed'] is True
    assert rebuilt['build_hash'] != first['build_hash']
    assert rebuilt['image_id'] != first['image_id']
    assert inspect(docker_api, '%s:1.0' % image_name)['Id'] == rebuilt['image_id']

    (context / 'hello.txt').chmod(0o755)
    mode_changed = run_module('image_build', image_args())
    assert_ok(mode_changed)
    assert mode_changed['changed'] is True
    assert mode_changed['image_id'] != rebuilt['image_id']


def test_changed_build_arg_rebuilds(run_module, docker_api, image_name, image_args):
    first = run_module('image_build', image_args())
    assert_ok(first)

    rebuilt = run_module('image_build', image_args(build={'args': {'FLAVOUR': 'spicy'}}))
    assert_ok(rebuilt)
    assert rebuilt['changed'] is True
    assert rebuilt['image_id'] != first['image_id']
    assert inspect(docker_api, '%s:latest' % image_name)['Config']['Labels']['flavour'] == 'spicy'

    # Back to the first arguments: that image still exists (untagged), so it is re-tagged, not rebuilt.
    back = run_module('image_build', image_args())
    assert_ok(back)
    assert back['changed'] is True
    assert back['image_id'] == first['image_id']
    assert back['build_log'] == []


def test_missing_tag_is_retagged_without_build(run_module, docker_api, image_name, image_args):
    built = run_module('image_build', image_args())
    assert_ok(built)
    docker_api.remove_image('%s:1.0' % image_name)  # untag only: latest still holds the image

    checked = run_module('image_build', image_args(), check=True)
    assert checked['changed'] is True
    assert checked['actions'] == ['tagged %s:1.0' % image_name]
    assert inspect(docker_api, '%s:1.0' % image_name) is None

    retagged = run_module('image_build', image_args())
    assert_ok(retagged)
    assert retagged['changed'] is True
    assert retagged['actions'] == ['tagged %s:1.0' % image_name]
    assert retagged['image_id'] == built['image_id']
    assert retagged['build_log'] == []
    assert inspect(docker_api, '%s:1.0' % image_name)['Id'] == built['image_id']

    # Same inputs under another repository name: found by its build hash label, tagged, not built.
    other = run_module('image_build', image_args(name=image_name + '-copy', additional_tags=[]))
    assert_ok(other)
    assert other['actions'] == ['tagged %s-copy:latest' % image_name]
    assert other['image_id'] == built['image_id']


def test_force_rebuilds(run_module, docker_api, image_name, image_args):
    built = run_module('image_build', image_args())
    assert_ok(built)

    checked = run_module('image_build', image_args(force=True), check=True)
    assert checked['changed'] is True
    assert inspect(docker_api, '%s:latest' % image_name)['Id'] == built['image_id']

    forced = run_module('image_build', image_args(force=True))
    assert_ok(forced)
    assert forced['changed'] is True
    assert forced['actions'][0] == 'built %s:latest' % image_name
    assert forced['image_id'] != built['image_id']
    assert forced['build_hash'] == built['build_hash']
    assert inspect(docker_api, '%s:1.0' % image_name)['Id'] == forced['image_id']


def test_failing_build_reports_the_step(run_module, docker_api, image_name, image_args, context, dockerfile_head):
    (context / 'Dockerfile').write_text(dockerfile_head + 'RUN echo about to fail\nRUN false\n')
    result = run_module('image_build', image_args())
    assert result['failed'] is True
    assert result['changed'] is False
    assert 'RUN false' in result['msg']
    assert "returned a non-zero code: 1" in result['msg']
    assert 'about to fail' in result['msg']  # the tail of the log
    assert result['build_log'][-1].startswith('ERROR:')
    assert inspect(docker_api, '%s:latest' % image_name) is None


def test_missing_context_path(run_module, image_args, tmp_path):
    missing = tmp_path / 'no-such-dir'
    result = run_module('image_build', image_args(build={'path': str(missing)}))
    assert result['failed'] is True
    assert str(missing) in result['msg'] and 'does not exist' in result['msg']


def test_missing_dockerfile(run_module, image_args, context):
    result = run_module('image_build', image_args(build={'dockerfile': 'Containerfile'}))
    assert result['failed'] is True
    assert str(context / 'Containerfile') in result['msg']


@pytest.mark.parametrize('check', [False, True], ids=['real', 'check'])
def test_unreachable_docker_host(run_module, image_args, check):
    result = run_module('image_build', image_args(docker_host='unix:///nonexistent.sock'), check=check)
    assert result['failed'] is True
    assert 'Cannot connect to the Docker engine at unix:///nonexistent.sock' in result['msg']


def test_docker_host_from_environment(run_module, image_name):
    result = run_module('image_build', {'name': image_name, 'state': 'absent'},
                        env={'DOCKER_HOST': 'unix:///nonexistent-env.sock'})
    assert result['failed'] is True
    assert 'unix:///nonexistent-env.sock' in result['msg']


def test_invalid_reference(run_module, image_args):
    result = run_module('image_build', image_args(name='Oracle-MLflow-Test'))
    assert result['failed'] is True
    assert 'Invalid image reference' in result['msg']


def test_absent_four_way(run_module, docker_api, image_name, image_args):
    built = run_module('image_build', image_args())
    assert_ok(built)
    absent_args = {'name': image_name, 'additional_tags': ['1.0'], 'state': 'absent'}
    refs = ['%s:latest' % image_name, '%s:1.0' % image_name]

    checked = run_module('image_build', absent_args, check=True, diff=True)
    assert_ok(checked)
    assert checked['changed'] is True
    assert checked['actions'] == ['removed %s' % ref for ref in refs]
    assert set(checked['diff']['before']) == set(refs) and checked['diff']['after'] == {}
    assert inspect(docker_api, refs[0]) is not None

    removed = run_module('image_build', absent_args)
    assert_ok(removed)
    assert removed['changed'] is True
    assert removed['actions'] == checked['actions']
    for ref in refs:
        assert inspect(docker_api, ref) is None
    assert inspect(docker_api, built['image_id']) is None  # last tag gone: image deleted

    again = run_module('image_build', absent_args)
    assert_ok(again)
    assert again['changed'] is False and again['actions'] == []

    again_checked = run_module('image_build', absent_args, check=True)
    assert_ok(again_checked)
    assert again_checked['changed'] is False


def test_the_0_1_0_name_runs_this_module(run_module, docker_api, image_name, image_args):
    """oracle.mlflow.image (meta/runtime.yml redirect) builds as image_build does, with the same hash."""
    old = run_module('oracle.mlflow.image', image_args())
    assert_ok(old)
    assert old['changed'] is True
    assert old['actions'] == ['built %s:latest' % image_name, 'tagged %s:1.0' % image_name]

    new = run_module('image_build', image_args())
    assert_ok(new)
    assert new['changed'] is False
    assert (new['image_id'], new['build_hash']) == (old['image_id'], old['build_hash'])


def test_the_0_1_0_name_is_in_the_docker_group(run_play, tmp_path):
    """module_defaults for group/oracle.mlflow.docker reach a task that uses the old name (no engine needed:
    the engine the group names does not exist, and both names say so)."""
    context = tmp_path / 'context'
    context.mkdir()
    (context / 'Dockerfile').write_text('FROM scratch\n')
    socket = 'unix://%s' % (tmp_path / 'no-engine.sock')
    task_args = {'name': 'oracle-mlflow-test-group', 'build': {'path': str(context)}}
    old, new = run_play(tmp_path, [{'oracle.mlflow.image': task_args, 'ignore_errors': True},
                                   {'oracle.mlflow.image_build': task_args, 'ignore_errors': True}],
                        module_defaults={'group/oracle.mlflow.docker': {'docker_host': socket}},
                        env={'DOCKER_HOST': 'unix:///not-this-one.sock'})
    assert old['failed'] is True and new['failed'] is True
    assert 'Cannot connect to the Docker engine at %s' % socket in old['msg']
    assert old['error_kind'] == 'unreachable'
    assert old['msg'] == new['msg']
