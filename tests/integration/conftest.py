# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared fixtures for the integration tests: run collection modules, reach the local engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = REPO_ROOT / '.venv' / 'bin'
# The interpreter that runs the modules: the venv that has the docker SDK.
MODULE_PYTHON = VENV_BIN / 'python' if (VENV_BIN / 'python').exists() else Path(sys.executable)
ANSIBLE = VENV_BIN / 'ansible' if (VENV_BIN / 'ansible').exists() else Path(sys.executable).parent / 'ansible'

# Every image a test builds carries this label (set it right after FROM), so cleanup finds
# intermediate and untagged images too.
TEST_LABEL = 'org.oracle.mlflow.test'


class ModuleRunError(AssertionError):
    """ansible did not produce a parsable result."""


def _run_module(module, args, check=False, diff=False, env=None, host='localhost', timeout=600):
    """Run one module with ``ansible <host> -m <module>`` from the repo root; return the host result.

    ``module`` may be a short name of this collection (``image_build``) or a FQCN.
    ``args`` is a dict (sent as JSON). A failing module returns its result with ``failed: true``
    rather than raising, so tests can assert on ``msg``.
    """
    fqcn = module if '.' in module else 'oracle.mlflow.%s' % module
    # A one-task play in a 0600 file rather than ``ansible -m -a JSON``: the arguments hold test passwords
    # and tokens, which must not be on a command line.
    task = {fqcn: args, 'check_mode': check, 'diff': diff}
    with tempfile.TemporaryDirectory(prefix='module-run-') as directory:
        return _run_play(Path(directory), [task], env=env, host=host, timeout=timeout)[0]


def _task_results(command, env, host, timeout):
    """Run an ansible command with the JSON callback; return the host's result of each task, in order."""
    run_env = dict(os.environ)
    run_env.update({
        'ANSIBLE_LOAD_CALLBACK_PLUGINS': '1',
        'ANSIBLE_STDOUT_CALLBACK': 'ansible.builtin.json',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_LOCALHOST_WARNING': '0',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': '0',
    })
    run_env.update(env or {})
    proc = subprocess.run(command, cwd=REPO_ROOT, env=run_env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    try:
        output = json.loads(proc.stdout)
        results = [task['hosts'][host] for task in output['plays'][0]['tasks']]
        if not results:
            raise IndexError('no task ran')
        return results
    except (ValueError, KeyError, IndexError) as exc:
        raise ModuleRunError('no module result from %s (rc=%s, %s)\nstdout:\n%s\nstderr:\n%s'
                             % (' '.join(command), proc.returncode, exc, proc.stdout, proc.stderr)) from None


def _run_play(tmp_path, tasks, module_defaults=None, env=None, host='localhost', timeout=600):
    """Run one play of ``tasks`` on ``host`` with ``ansible-playbook``; return each task's result."""
    play = {'hosts': host, 'gather_facts': False, 'tasks': tasks}
    if module_defaults:
        play['module_defaults'] = module_defaults
    path = tmp_path / 'play.json'
    path.touch(mode=0o600)
    path.write_text(json.dumps([play]))
    command = [str(ANSIBLE) + '-playbook', str(path), '-e', 'ansible_python_interpreter=%s' % MODULE_PYTHON]
    return _task_results(command, env, host, timeout)


@pytest.fixture(scope='session')
def run_module():
    """``run_module(name, args, check=False, diff=False, env=None) -> dict`` (the module's result)."""
    return _run_module


@pytest.fixture(scope='session')
def run_play():
    """``run_play(tmp_path, tasks, module_defaults=None, env=None) -> [dict]`` (each task's result)."""
    return _run_play


@pytest.fixture(scope='session')
def docker_api(image_base):
    """A docker SDK low-level client for the local engine, to check what modules did."""
    docker = pytest.importorskip('docker')
    try:
        client = docker.APIClient(base_url=os.environ.get('DOCKER_HOST', 'unix:///var/run/docker.sock'),
                                  version='auto', timeout=60)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means the same thing here
        pytest.fail('Docker engine unreachable (%s); start it with scripts/docker-engine.sh' % exc)
    try:
        client.inspect_image(image_base)
    except docker.errors.ImageNotFound:
        pytest.fail('Base image %s is missing; create it with scripts/base-image.sh' % image_base)
    yield client
    client.close()


def remove_test_images(client, label_value):
    """Remove every image (tagged, untagged, intermediate) labelled ``TEST_LABEL=label_value``."""
    images = client.images(all=True, filters={'label': '%s=%s' % (TEST_LABEL, label_value)})
    # Children before parents: newest first.
    for image in sorted(images, key=lambda image: image.get('Created', 0), reverse=True):
        try:
            client.remove_image(image['Id'], force=True)
        except Exception:  # noqa: BLE001 - already gone with a child, or removed concurrently
            pass


@pytest.fixture
def image_name(docker_api):
    """A unique image repository name; every image labelled with it is removed afterwards."""
    name = 'oracle-mlflow-test-%s' % uuid.uuid4().hex[:10]
    yield name
    remove_test_images(docker_api, name)


@pytest.fixture
def dockerfile_head(image_name, image_base):
    """First lines of a test Dockerfile: the base image and the cleanup label for ``image_name``."""
    return 'FROM %s\nLABEL %s=%s\n' % (image_base, TEST_LABEL, image_name)


# -- the OCI emulator, for modules that call OCI -------------------------------------------------------

@pytest.fixture
def emu(clean_oci_emulator):
    """The session's OCI emulator, reset for this test."""
    return clean_oci_emulator


@pytest.fixture
def home(tmp_path, emu):
    """A fresh HOME whose ~/.oci is the emulator's (the config's key paths start with ~)."""
    home = tmp_path / 'home'
    home.mkdir()
    (home / '.oci').symlink_to(emu.credentials.home / '.oci')
    return home


@pytest.fixture
def env(emu, home):
    """A module's environment: the emulator's proxy, CA and region, and this test's HOME."""
    env = emu.process_env()
    env['HOME'] = str(home)
    return env


# -- a real MLflow server with the basic-auth app, for the modules on its REST API ---------------------------

@pytest.fixture(scope='module')
def mlflow_auth_server(tmp_path_factory):
    """One ``support.mlflow_auth.AuthServer`` per test module (~8 s to start), stopped when the module ends."""
    from support.mlflow_auth import auth_server
    with auth_server(tmp_path_factory.mktemp('mlflow-auth')) as server:
        yield server


@pytest.fixture
def auth_play(run_play, tmp_path, mlflow_auth_server):
    """``auth_play(tasks, login=None) -> [dict]``: one play of ``tasks`` with the server and the admin login set
    once for the oracle.mlflow.mlflow group (in the play file, never on a command line)."""
    def play(tasks, login=None):
        username, password = login or mlflow_auth_server.admin
        defaults = {'group/oracle.mlflow.mlflow': {'tracking_uri': mlflow_auth_server.url, 'auth_username': username,
                                                   'auth_password': password, 'use_proxy': False}}
        return run_play(tmp_path, tasks, module_defaults=defaults)
    return play

