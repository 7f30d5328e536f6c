"""The env contract (plugins/module_utils/_env_contract.py, and _env_role.py for the role) is the one definition of the image's settings:
every other place that names them (the README table, the role's argument_specs and defaults, the
Dockerfile's layout, the lock file's MLflow version) must agree with it, and the role must not re-encode them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.oracle.mlflow.plugins.module_utils import _env_contract as contract
from ansible_collections.oracle.mlflow.plugins.module_utils import _env_role as role

REPO = Path(__file__).resolve().parents[3]
COLLECTION = REPO / 'ansible_collections' / 'oracle' / 'mlflow'
SERVER_ROLE = COLLECTION / 'roles' / 'mlflow_server'
IMAGE_FILES = COLLECTION / 'roles' / 'mlflow_image' / 'files'
TABLE_START, TABLE_END = '<!-- env-contract table: start -->', '<!-- env-contract table: end -->'


def server_specs():
    specs = yaml.safe_load((SERVER_ROLE / 'meta' / 'argument_specs.yml').read_text())
    return specs['argument_specs']['main']['options']


def server_defaults():
    return yaml.safe_load((SERVER_ROLE / 'defaults' / 'main.yml').read_text())


# ---------------------------------------------------------------- drift

def test_the_readme_table_is_the_contracts():
    readme = (REPO / 'README.md').read_text()
    assert TABLE_START in readme and TABLE_END in readme
    table = readme.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0].strip()
    assert table == role.markdown_table(), (
        'README.md drifted from the env contract; paste this between the markers:\n' + role.markdown_table())


def test_every_role_variable_of_the_contract_is_declared_documented_and_has_its_choices():
    specs, defaults = server_specs(), server_defaults()
    for setting in contract.SETTINGS:
        if not setting.var or setting.var.startswith('_'):
            continue
        assert setting.var in specs, '%s (%s) is not in argument_specs' % (setting.var, setting.name)
        assert setting.var in defaults, '%s (%s) has no default' % (setting.var, setting.name)
        assert tuple(specs[setting.var].get('choices', ())) == tuple(setting.choices), setting.var
        if setting.kind == 'bool':
            assert specs[setting.var]['type'] == 'bool', setting.var
        if setting.kind == 'int':
            assert specs[setting.var]['type'] == 'int', setting.var
        if setting.kind == 'list':
            assert specs[setting.var]['type'] == 'list', setting.var
        if setting.secret:
            assert specs[setting.var].get('no_log') is True, '%s holds secrets: no_log in argument_specs' % setting.var


def test_internal_role_variables_of_the_contract_exist():
    role_vars = yaml.safe_load((SERVER_ROLE / 'vars' / 'main.yml').read_text())
    for setting in contract.SETTINGS:
        if setting.var and setting.var.startswith('_'):
            assert setting.var in role_vars, setting.var


def test_argument_specs_defaults_are_the_role_defaults():
    specs, defaults = server_specs(), server_defaults()
    for name, spec in specs.items():
        if 'default' in spec:
            assert defaults[name] == spec['default'], name


def test_the_role_does_not_re_encode_the_contract():
    """Only the contract maps role variables to env names: tasks, vars, defaults and templates name none."""
    names = [setting.name for setting in contract.SETTINGS]
    pattern = re.compile(r'\b(%s)\b' % '|'.join(names))
    for directory in ('tasks', 'vars', 'defaults', 'templates'):
        for path in sorted((SERVER_ROLE / directory).glob('**/*')) if (SERVER_ROLE / directory).exists() else []:
            if path.is_file():
                text = '\n'.join(line.split('#', 1)[0] for line in path.read_text().splitlines())  # not comments
                assert not pattern.search(text), '%s names %s' % (path, pattern.search(text).group(0))


def test_the_dockerfile_layout_defaults_are_the_contracts():
    dockerfile = (IMAGE_FILES / 'Dockerfile').read_text()
    args = dict(re.findall(r'^ARG (MLFLOW_\w+)=(\S+)$', dockerfile, re.M))
    assert args == {'MLFLOW_VENV': contract.IMAGE_VENV, 'MLFLOW_UID': str(contract.IMAGE_UID),
                    'MLFLOW_HOME': contract.IMAGE_HOME, 'MLFLOW_DATA_DIR': contract.DEFAULT_DATA_DIR,
                    'MLFLOW_ENV_DIR': contract.IMAGE_ENV_DIR}
    assert contract.DEFAULT_ENV_FILE.startswith(contract.IMAGE_ENV_DIR + '/')
    assert contract.IMAGE_OCI_DIR == contract.IMAGE_HOME + '/.oci'


def test_the_image_role_passes_the_layout_as_build_args():
    role_vars = yaml.safe_load((COLLECTION / 'roles' / 'mlflow_image' / 'vars' / 'main.yml').read_text())
    dockerfile_args = set(re.findall(r'^ARG (MLFLOW_\w+)=', (IMAGE_FILES / 'Dockerfile').read_text(), re.M))
    assert set(role_vars['_mlflow_image_layout_args']) == dockerfile_args


def test_the_mlflow_version_is_written_once():
    lock = (IMAGE_FILES / 'requirements.lock').read_text()
    for package in ('mlflow', 'mlflow-skinny', 'mlflow-tracing'):
        assert '\n%s==%s\n' % (package, contract.MLFLOW_VERSION) in lock, 'regenerate the lock for ' + package
    for path in (IMAGE_FILES / 'requirements.in', REPO / 'requirements-test.txt'):
        assert 'mlflow-skinny==${MLFLOW_VERSION}' in path.read_text(), path
    assert 'oci-mlflow:%s' % contract.MLFLOW_VERSION in (REPO / 'README.md').read_text()


def test_the_launcher_config_is_the_contract():
    link = IMAGE_FILES / 'launcher' / 'mlflow_launcher' / 'config.py'
    assert link.is_symlink() and link.resolve() == Path(contract.__file__).resolve()


# ---------------------------------------------------------------- role variables -> env

ROLE = {
    '_mlflow_server_bind_host': '0.0.0.0', 'mlflow_server_port': 5000, 'mlflow_server_workers': 4,
    'mlflow_server_gunicorn_opts': '', 'mlflow_server_uvicorn_opts': '', 'mlflow_server_enable_job_execution': False,
    'mlflow_server_allowed_hosts': ['localhost', 'localhost:*'], 'mlflow_server_cors_allowed_origins': [],
    'mlflow_server_backend_provider': 'sqlite', 'mlflow_server_backend_store_uri': '', 'mlflow_server_db_secret_ocid': '',
    'mlflow_server_serve_artifacts': True, 'mlflow_server_artifacts_destination': '',
    'mlflow_server_default_artifact_root': '', 'mlflow_server_auth_type': 'api_key',
    'mlflow_server_auth_enabled': False, 'mlflow_server_auth_admin_username': 'admin',
    'mlflow_server_auth_admin_password': '', 'mlflow_server_auth_admin_password_ocid': '',
    'mlflow_server_auth_secret_key': '', 'mlflow_server_auth_secret_key_ocid': '',
    'mlflow_server_auth_default_permission': 'READ',
}


def test_role_values_become_env_text_and_empty_ones_are_left_out():
    env = role.env_from_role_vars(ROLE, {'MLFLOW_SQLALCHEMYSTORE_POOL_SIZE': 10})
    assert env == {'MLFLOW_HOST': '0.0.0.0', 'MLFLOW_PORT': '5000', 'MLFLOW_WORKERS': '4',
                   'MLFLOW_SERVER_ENABLE_JOB_EXECUTION': '0',
                   'MLFLOW_SERVER_ALLOWED_HOSTS': 'localhost,localhost:*', 'BACKEND_PROVIDER': 'sqlite',
                   'MLFLOW_SERVE_ARTIFACTS': '1', 'OCIFS_IAM_TYPE': 'api_key', 'MLFLOW_AUTH': '0',
                   'MLFLOW_AUTH_ADMIN_USERNAME': 'admin', 'MLFLOW_AUTH_DEFAULT_PERMISSION': 'READ',
                   'MLFLOW_SQLALCHEMYSTORE_POOL_SIZE': '10'}
    config = role.check_role_env(env, ROLE)
    assert (config.port, config.serve_artifacts, config.server) == (5000, True, 'uvicorn')


def test_the_env_file_text_and_its_secret_flag():
    env = role.env_from_role_vars(dict(ROLE, mlflow_server_backend_provider='mysql',
                                           mlflow_server_backend_store_uri='mysql+mysqlconnector://u:p%40w@db/m'))
    text = role.env_file_text(env, ['managed'])
    assert text.startswith('# managed\nMLFLOW_HOST=0.0.0.0\n') and text.endswith('\n')
    assert 'MLFLOW_BACKEND_STORE_URI=mysql+mysqlconnector://u:p%40w@db/m\n' in text
    assert any(role.is_secret(name) for name in env)
    assert not any(role.is_secret(name) for name in role.env_from_role_vars(ROLE))
    assert role.is_secret('MY_API_TOKEN') and not role.is_secret('MY_POOL_SIZE')


@pytest.mark.parametrize('changes,extra,message', [
    ({'mlflow_server_port': 0}, {}, "mlflow_server_port: '0' is not a whole number between 1 and 65535 (MLFLOW_PORT)"),
    ({'mlflow_server_workers': 'many'}, {}, "mlflow_server_workers: 'many' is not a whole number"),
    ({'mlflow_server_gunicorn_opts': "--log-level 'x"}, {}, 'mlflow_server_gunicorn_opts: cannot be split like a shell'),
    ({'mlflow_server_gunicorn_opts': '-t 1', 'mlflow_server_uvicorn_opts': '--x'}, {},
     'mlflow_server_gunicorn_opts: mlflow_server_gunicorn_opts and mlflow_server_uvicorn_opts are both set'),
    ({'mlflow_server_backend_provider': 'mysql'}, {},
     'mlflow_server_backend_provider: mysql needs credentials: set mlflow_server_backend_store_uri, or '
     'mlflow_server_db_secret_ocid, or DBUSERNAME'),
    ({'mlflow_server_backend_provider': 'mysql', 'mlflow_server_db_secret_ocid': 'ocid1.vaultsecret.oc1.iad.abc'},
     {'DBHOST': 'db', 'DBUSERNAME': 'u', 'DBPASSWORD': 'p'},
     'mysql takes exactly one credential source but mlflow_server_db_secret_ocid and DBUSERNAME/DBPASSWORD/DBHOST'),
    ({'mlflow_server_backend_store_uri': 'mysql+mysqlconnector://u:hunter2@db/m'}, {},
     'mlflow_server_backend_store_uri: mysql+mysqlconnector://u:***@db/m is a MySQL URI; set '
     'mlflow_server_backend_provider=mysql'),
    ({'mlflow_server_artifacts_destination': 'oci://bucket/prefix'}, {},
     "mlflow_server_artifacts_destination: 'oci://bucket/prefix' is not an Object Storage location: "
     'write oci://bucket@namespace/prefix'),
    ({'mlflow_server_auth_type': 'user_principal'}, {}, "mlflow_server_auth_type: 'user_principal': use one of api_key"),
    ({}, {'DBPORT': 'x', 'BACKEND_PROVIDER': 'mysql'}, 'mlflow_server_extra_env[BACKEND_PROVIDER]: BACKEND_PROVIDER is '
     'set by mlflow_server_backend_provider; set that variable instead'),
    ({}, {'MLFLOW_TMPDIR': 'tmp'}, "mlflow_server_extra_env[MLFLOW_TMPDIR]: 'tmp' must be an absolute path"),
    ({}, {'BAD NAME': '1'}, 'mlflow_server_extra_env[BAD NAME]: must be an environment variable name'),
    ({}, {'A': 'two\nlines'}, 'mlflow_server_extra_env[A]: the value must be a single line'),
    ({'mlflow_server_uvicorn_opts': 'a\nb'}, {}, 'mlflow_server_uvicorn_opts: the value must be a single line'),
    ({'mlflow_server_auth_enabled': True, 'mlflow_server_auth_secret_key': 'k' * 32}, {},
     "mlflow_server_auth_admin_password: mlflow_server_auth_enabled is on and needs the admin user's password (12+ "
     'characters): set mlflow_server_auth_admin_password or mlflow_server_auth_admin_password_ocid (an OCI Vault '
     'secret holding it) (MLFLOW_AUTH_ADMIN_PASSWORD)'),
    ({'mlflow_server_auth_enabled': True, 'mlflow_server_auth_admin_password': 'hunter2'}, {},
     'mlflow_server_auth_admin_password: is 7 characters long; MLflow needs 12 or more'),
    ({'mlflow_server_auth_enabled': True, 'mlflow_server_auth_admin_password': 'hunter2-hunter2'}, {},
     'mlflow_server_auth_secret_key: mlflow_server_auth_enabled is on and needs the secret key'),
    ({'mlflow_server_auth_enabled': True, 'mlflow_server_auth_admin_password': 'hunter2-hunter2',
      'mlflow_server_auth_secret_key': 'k' * 32, 'mlflow_server_auth_secret_key_ocid': 'ocid1.vaultsecret.oc1.iad.a'}, {},
     'mlflow_server_auth_secret_key: and mlflow_server_auth_secret_key_ocid are both set'),
])
def test_a_wrong_setting_is_one_line_naming_the_role_variable(changes, extra, message):
    values = dict(ROLE, **changes)
    with pytest.raises(contract.ConfigError) as info:
        role.check_role_env(role.env_from_role_vars(values, extra), values)
    assert message in str(info.value)
    assert '\n' not in str(info.value) and 'hunter2' not in str(info.value)


def test_oci_buckets_are_parsed_once_and_deduplicated():
    values = dict(ROLE, mlflow_server_artifacts_destination='oci://art@ns/a/b/',
                  mlflow_server_default_artifact_root='oci://art@ns/c')
    env = role.env_from_role_vars(values)
    config = role.check_role_env(env, values)
    assert role.oci_buckets(env, values) == [
        {'bucket': 'art', 'namespace': 'ns', 'prefix': 'a/b',
         'variables': ['mlflow_server_artifacts_destination', 'mlflow_server_default_artifact_root']}]
    assert [role.role_warning(w, values) for w in config.warnings] == [
        'mlflow_server_default_artifact_root: with an oci:// root, clients read and write Object Storage themselves '
        '(OCI credentials and an oci:// artifact plugin on every client); unset it to proxy artifacts through the '
        'server (mlflow-artifacts:/) (MLFLOW_DEFAULT_ARTIFACT_ROOT)']
    assert role.oci_buckets(role.env_from_role_vars(ROLE), ROLE) == []


def test_the_contract_runs_on_the_oldest_python_of_managed_nodes():
    """Python 3.8: no syntax or library newer than that (the launcher's own tests run it on 3.11)."""
    source = Path(contract.__file__).read_text()
    ast.parse(source, contract.__file__, feature_version=(3, 8))
    assert 'removeprefix' not in source and 'removesuffix' not in source
