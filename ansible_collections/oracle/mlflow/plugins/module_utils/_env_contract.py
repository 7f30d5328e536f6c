# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The env contract of the oci-mlflow image: every setting, its validation, and the image's layout.

This one file is both sides of the contract:

* in the image it is the launcher's ``mlflow_launcher.config`` (that file is a link to this one, and the
  mlflow_image role stages it into the build context), which validates the container's environment at
  start and turns it into ``mlflow server`` arguments;
* on the controller the ``oracle.mlflow.server_env`` action plugin builds the env file from the
  mlflow_server role's variables (``_env_role``, which maps them by the ``var`` of each setting) and
  validates it with the same ``load_config`` before anything on a host changes.

A setting is added in one place: a ``Setting`` in ``SETTINGS`` (name, kind, default, range or choices,
secret or not, the role variable that sets it, its documentation), then its use in ``load_config`` if the
launcher consumes it. The README's table, the role's argument_specs choices and the env file are checked
against this list by ``tests/unit/plugins/test_env_contract.py``.

Standard library only, Python 3.8+ (it also runs on managed nodes), and no disk or network access:
``load_config`` turns a plain mapping into a ``Config``.
"""

from __future__ import annotations

import collections
import dataclasses
import ipaddress
import os
import re
import shlex
import urllib.parse

# ---------------------------------------------------------------- the image

# What the image ships and where things are inside it. The Dockerfile receives these as build
# arguments from the mlflow_image role (its ARG defaults, for hand builds, are checked against them).
MLFLOW_VERSION = '3.17.2'
IMAGE_UID = 10001
IMAGE_HOME = '/home/mlflow'
IMAGE_OCI_DIR = IMAGE_HOME + '/.oci'          # api_key: the mounted OCI config and key
IMAGE_ENV_DIR = '/run/mlflow'
IMAGE_VENV = '/opt/mlflow'
DEFAULT_DATA_DIR = '/mlflow'                  # the data volume: sqlite, local artifacts, temp space
DEFAULT_ENV_FILE = IMAGE_ENV_DIR + '/mlflow.env'
DEFAULT_MLFLOW_BIN = IMAGE_VENV + '/bin/mlflow'
# What an api_key profile mounted at IMAGE_OCI_DIR needs (oci_profile_copy writes it, the launcher reads it).
OCI_API_KEY_FIELDS = ('user', 'fingerprint', 'tenancy', 'region', 'key_file')
IMAGE_LAYOUT = dict(mlflow_version=MLFLOW_VERSION, uid=IMAGE_UID, home=IMAGE_HOME, oci_dir=IMAGE_OCI_DIR,
                    env_dir=IMAGE_ENV_DIR, env_file=DEFAULT_ENV_FILE, data_dir=DEFAULT_DATA_DIR, venv=IMAGE_VENV)

PROG = 'mlflow-launcher'
TRUE_WORDS = ('1', 'true', 'yes', 'on')
FALSE_WORDS = ('0', 'false', 'no', 'off')

# ---------------------------------------------------------------- the settings

Setting = collections.namedtuple('Setting', ['name', 'kind', 'default', 'doc', 'var', 'choices', 'low', 'high',
                                             'secret', 'listed'])
Setting.__doc__ = """One variable of the contract.

``kind``: how a role value becomes env text (``bool`` -> 1/0, ``list`` -> comma-separated) and what
the README says: host, int, bool, choice, list, text, uri, path, location, ocid. ``default``: the
launcher's default as text ('' = none, documented in ``doc``). ``var``: the mlflow_server role variable
that sets it (None: set it through ``mlflow_server_extra_env``). ``low``/``high``: an int's range.
``secret``: the value may hold a credential. ``listed``: shown in the README table (False for test hooks).
"""
Setting.__new__.__defaults__ = (None, (), None, None, False, True)

SETTINGS = (
    Setting('MLFLOW_HOST', 'host', '', 'bind address, required (the role sets it from mlflow_server_host and the '
            'network mode)', '_mlflow_server_bind_host'),
    Setting('MLFLOW_PORT', 'int', '5000', 'TCP port', 'mlflow_server_port', low=1, high=65535),
    # each worker is ~250 MiB: more than 64 is a typo, not a plan
    Setting('MLFLOW_WORKERS', 'int', '4', 'server worker processes', 'mlflow_server_workers', low=1, high=64),
    Setting('MLFLOW_GUNICORN_OPTS', 'text', '', 'any gunicorn options switch the server from uvicorn to gunicorn',
            'mlflow_server_gunicorn_opts'),
    Setting('MLFLOW_UVICORN_OPTS', 'text', '', "options of uvicorn, MLflow's default server",
            'mlflow_server_uvicorn_opts'),
    # A balancer or proxy keeps idle connections to the server and reuses them (OCI's load balancer and nginx
    # for 60 s); uvicorn's own default closes them after 5 s, so a request sent on one as the server closes it
    # fails (HAProxy and nginx do not resend a POST). The server keeps them longer than whatever is in front.
    Setting('MLFLOW_KEEPALIVE_SECONDS', 'int', '75', "idle keep-alive of the server's connections; above the "
            "idle timeout of any balancer or proxy in front (OCI's and nginx's: 60 s)", 'mlflow_server_keepalive_seconds',
            low=1, high=3600),
    # A health-checking load balancer (OCI's, HAProxy, nginx) notices a 503 only at its next probes:
    # the drain must outlast its interval times its unhealthy threshold.
    Setting('MLFLOW_DRAIN_SECONDS', 'int', '0', 'on docker stop, /health answers 503 for this long while the '
            'server keeps serving, then it stops: load balancers take the host out first (0: stop at once)',
            'mlflow_server_drain_seconds', low=0, high=600),
    Setting('MLFLOW_SERVER_ENABLE_JOB_EXECUTION', 'bool', 'false', 'MLflow jobs cost ~1.6 GiB; on when asked',
            'mlflow_server_enable_job_execution'),
    Setting('MLFLOW_SERVER_ALLOWED_HOSTS', 'list', '', "Host headers accepted (MLflow's default: localhost and "
            "private ranges); the role lists the host's own names", 'mlflow_server_allowed_hosts'),
    Setting('MLFLOW_SERVER_CORS_ALLOWED_ORIGINS', 'list', '', "CORS origins (MLflow's default when unset)",
            'mlflow_server_cors_allowed_origins'),
    Setting('BACKEND_PROVIDER', 'choice', 'sqlite', 'sqlite (<data dir>/mlflow.db) or mysql',
            'mlflow_server_backend_provider', choices=('sqlite', 'mysql')),
    Setting('MLFLOW_BACKEND_STORE_URI', 'uri', '', 'sqlite:////abs/path, or mysql+mysqlconnector://user:pass@host:'
            'port/db (password URL-encoded)', 'mlflow_server_backend_store_uri', secret=True),
    Setting('DB_SECRET_OCID', 'ocid', '', 'OCI Vault secret with the MySQL credentials (oracle-ads '
            'MySQLDBSecretKeeper JSON), read at start with OCIFS_IAM_TYPE', 'mlflow_server_db_secret_ocid'),
    Setting('DBUSERNAME', 'text', '', 'MySQL user, with DBPASSWORD and DBHOST instead of a URI'),
    Setting('DBPASSWORD', 'text', '', 'MySQL password', secret=True),
    Setting('DBHOST', 'host', '', 'MySQL host'),
    Setting('DBPORT', 'int', '3306', 'MySQL port', low=1, high=65535),
    Setting('DBNAME', 'text', 'mlflow', 'MySQL database'),
    Setting('MLFLOW_DB_WAIT_SECONDS', 'int', '60', 'how long to wait for MySQL; then one line: unreachable, access '
            'denied or unknown database', low=0, high=3600),
    Setting('MLFLOW_SERVE_ARTIFACTS', 'bool', 'true', 'the server proxies artifacts', 'mlflow_server_serve_artifacts'),
    Setting('MLFLOW_ARTIFACTS_DESTINATION', 'location', '<data dir>/artifacts', 'local path or oci://bucket@namespace'
            '/prefix/, signed with the OCIFS_IAM_TYPE identity', 'mlflow_server_artifacts_destination'),
    Setting('MLFLOW_DEFAULT_ARTIFACT_ROOT', 'location', 'mlflow-artifacts:/', 'unset = clients go through the server '
            'and need no OCI credentials', 'mlflow_server_default_artifact_root'),
    Setting('MLFLOW_ARTIFACTS_ALLOWED_ROOTS', 'list', '', 'the artifact boundary: the server reads and writes '
            'artifacts only under its destination and default root, plus these locations (oci:// or absolute paths; '
            '`*` turns the boundary off)', 'mlflow_server_artifacts_allowed_roots'),
    Setting('MLFLOW_TMPDIR', 'path', '<data dir>/tmp', 'the server spools each proxied download here (else TMPDIR): '
            'size it for the largest artifact (free space is logged at start; too little is a clear 501)'),
    Setting('MLFLOW_OCI_MULTIPART_THRESHOLD_MB', 'int', '128', 'oci:// uploads of files above this go up in parallel '
            'parts', low=1, high=50 * 1024),
    # OCI allows 10,000 parts per object: 16 MiB parts cap an object at ~156 GiB, and a streamed upload
    # holds parallelism + 1 parts in memory (80 MiB by default, per upload in flight).
    Setting('MLFLOW_OCI_PART_SIZE_MB', 'int', '16', 'part size of oci:// uploads (a streamed upload holds '
            'parallelism + 1 parts in memory)', low=1, high=5 * 1024),
    Setting('MLFLOW_OCI_UPLOAD_PARALLELISM', 'int', '4', 'parts in flight per oci:// upload', low=1, high=32),
    Setting('MLFLOW_DISABLE_TELEMETRY', 'bool', 'true', "MLflow's usage telemetry to its servers on the internet: "
            'off unless turned on', 'mlflow_server_disable_telemetry'),
    Setting('OCIFS_IAM_TYPE', 'choice', 'api_key', 'the OCI identity of the server (oci:// artifacts, Vault)',
            'mlflow_server_auth_type', choices=('api_key', 'instance_principal', 'resource_principal')),
    # Basic-auth logins (MLflow's auth app inside ours). The auth database lives on the tracking backend.
    Setting('MLFLOW_AUTH', 'bool', 'false', "logins: MLflow's basic auth on every request but /health (users and "
            'permissions in the tracking database; sqlite: <data dir>/basic_auth.db)', 'mlflow_server_auth_enabled'),
    Setting('MLFLOW_AUTH_ADMIN_USERNAME', 'text', 'admin', 'the admin user, made to match at every start (created, '
            'password set, admin flag on)', 'mlflow_server_auth_admin_username'),
    Setting('MLFLOW_AUTH_ADMIN_PASSWORD', 'text', '', 'the admin password, 12+ characters (or '
            'MLFLOW_AUTH_ADMIN_PASSWORD_OCID); a new one takes effect at the next start',
            'mlflow_server_auth_admin_password', secret=True),
    Setting('MLFLOW_AUTH_ADMIN_PASSWORD_OCID', 'ocid', '', 'OCI Vault secret whose content is the admin password, '
            'read at start with OCIFS_IAM_TYPE', 'mlflow_server_auth_admin_password_ocid'),
    Setting('MLFLOW_FLASK_SERVER_SECRET_KEY', 'text', '', 'signs logins and CSRF tokens, the same on every server '
            '(or MLFLOW_FLASK_SERVER_SECRET_KEY_OCID); the role makes one when none is given',
            'mlflow_server_auth_secret_key', secret=True),
    Setting('MLFLOW_FLASK_SERVER_SECRET_KEY_OCID', 'ocid', '', 'OCI Vault secret whose content is the secret key, '
            'read at start with OCIFS_IAM_TYPE', 'mlflow_server_auth_secret_key_ocid'),
    Setting('MLFLOW_AUTH_DEFAULT_PERMISSION', 'choice', 'READ', "what a user may do with what others made, "
            'without a grant', 'mlflow_server_auth_default_permission',
            choices=('READ', 'EDIT', 'MANAGE', 'NO_PERMISSIONS')),
    # Each login costs a scrypt hash check (~100-250 ms of CPU): MLflow's cache of good logins takes that off
    # every request but the first; a changed or deleted password still works on a worker for this long.
    Setting('MLFLOW_AUTH_CACHE_SECONDS', 'int', '0', 'a worker trusts a login it checked for this long (0: checks '
            'every request; a revoked password stays valid up to this long)', 'mlflow_server_auth_cache_seconds',
            low=0, high=3600),
    Setting('MLFLOW_DATA_DIR', 'path', DEFAULT_DATA_DIR, 'the data volume inside the container'),
    Setting('MLFLOW_ENV_FILE', 'path', DEFAULT_ENV_FILE, 'an env file read at start; variables set with docker run '
            '-e win'),
    Setting('MLFLOW_LAUNCHER_MLFLOW_BIN', 'path', DEFAULT_MLFLOW_BIN, 'the mlflow command (tests)', listed=False),
)
SETTING = dict((setting.name, setting) for setting in SETTINGS)

IAM_TYPES = SETTING['OCIFS_IAM_TYPE'].choices
PROVIDERS = SETTING['BACKEND_PROVIDER'].choices
DB_PART_VARS = ('DBUSERNAME', 'DBPASSWORD', 'DBHOST')
DEFAULT_DB_WAIT = int(SETTING['MLFLOW_DB_WAIT_SECONDS'].default)
MAX_DB_WAIT = SETTING['MLFLOW_DB_WAIT_SECONDS'].high
MAX_WORKERS = SETTING['MLFLOW_WORKERS'].high

# Consumed here and turned into argv (or into MLFLOW_BACKEND_STORE_URI): dropped from the
# child's env so MLflow's CLI, which reads several of them itself, has one source of truth,
# and so the MySQL credentials do not linger in the server's environment.
CONSUMED_VARS = (
    'MLFLOW_HOST', 'MLFLOW_PORT', 'MLFLOW_WORKERS', 'MLFLOW_SERVE_ARTIFACTS',
    'MLFLOW_GUNICORN_OPTS', 'MLFLOW_UVICORN_OPTS',
    'MLFLOW_DEFAULT_ARTIFACT_ROOT', 'MLFLOW_ARTIFACTS_DESTINATION',
    'DBUSERNAME', 'DBPASSWORD', 'DBHOST', 'DBPORT', 'DBNAME', 'DB_SECRET_OCID',
    'MLFLOW_DB_WAIT_SECONDS', 'MLFLOW_TMPDIR', 'MLFLOW_DRAIN_SECONDS',
    # The launcher syncs the admin user before the workers start: they never need its password.
    'MLFLOW_AUTH', 'MLFLOW_AUTH_ADMIN_USERNAME', 'MLFLOW_AUTH_ADMIN_PASSWORD', 'MLFLOW_AUTH_ADMIN_PASSWORD_OCID',
    'MLFLOW_FLASK_SERVER_SECRET_KEY_OCID', 'MLFLOW_AUTH_DEFAULT_PERMISSION', 'MLFLOW_AUTH_CONFIG_PATH',
    'MLFLOW_AUTH_CACHE_SECONDS',
)
AUTH_MIN_PASSWORD = 12       # MLflow refuses shorter passwords (since 3.16.1 there is no default one)

HOSTNAME_RE = re.compile(r'^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
                         r'(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$')
SECRET_OCID_RE = re.compile(r'^ocid1\.vaultsecret\.[a-z0-9]+\.[a-z0-9-]*\.[a-z0-9]{1,255}$')
OCI_URI_RE = re.compile(r'^oci://(?P<bucket>[^@/]*)@(?P<namespace>[^/]*)(?P<prefix>/.*)?$')
BUCKET_RE = re.compile(r'^[A-Za-z0-9._-]{1,256}$')
NAMESPACE_RE = re.compile(r'^[a-z0-9][a-z0-9-]{0,63}$')
DBNAME_RE = re.compile(r'^[A-Za-z0-9_$-]{1,64}$')
# Names of variables outside the contract whose values are taken for secrets (redacted, no_log).
SECRET_NAME_RE = re.compile(r'PASSWORD|SECRET|TOKEN|PASSPHRASE')


class ConfigError(Exception):
    """A variable of the env contract is missing or wrong; the message says how to fix it."""

    def __init__(self, variable, message):
        super(ConfigError, self).__init__('%s: %s' % (variable, message))
        self.variable = variable
        self.message = message


@dataclasses.dataclass(frozen=True)
class Config:
    host: str
    port: int
    workers: int
    server: str                      # "uvicorn" or "gunicorn"
    server_opts: str                 # value for --uvicorn-opts / --gunicorn-opts (the keep-alive at least)
    backend_uri: str = dataclasses.field(repr=False)  # may hold a password: env only, never argv
    serve_artifacts: bool
    artifacts_destination: str | None
    default_artifact_root: str
    child_env: dict = dataclasses.field(repr=False)   # full environment for the mlflow process
    local_dirs: tuple = ()           # (variable, path) pairs that must be writable dirs
    sqlite_file: str | None = None
    warnings: tuple = ()
    mlflow_bin: str = DEFAULT_MLFLOW_BIN
    iam_type: str = 'api_key'
    db_secret_ocid: str | None = None  # backend_uri is resolved from Vault at serve time
    mysql: MysqlTarget | None = dataclasses.field(default=None, repr=False)  # for the wait
    db_wait: int = DEFAULT_DB_WAIT
    tmpdir: str | None = None        # the server's TMPDIR: where proxied downloads are spooled
    drain: int = 0                   # seconds of /health 503 between docker stop's SIGTERM and MLflow's
    auth: AuthSettings | None = None  # MLFLOW_AUTH on


@dataclasses.dataclass(frozen=True)
class AuthSettings:
    """MLFLOW_AUTH on: the admin user and the app's secret key, each a value or a Vault secret (its OCID)
    that the launcher reads at start (``vault.resolve_auth``)."""
    admin_username: str
    admin_password: str | None = dataclasses.field(repr=False)
    admin_password_ocid: str | None
    secret_key: str | None = dataclasses.field(repr=False)
    secret_key_ocid: str | None
    default_permission: str
    cache_seconds: int = 0


@dataclasses.dataclass(frozen=True)
class MysqlTarget:
    """What the database wait connects with; `source` is the variable the credentials came from."""
    user: str
    password: str = dataclasses.field(repr=False)
    host: str
    port: int
    database: str
    source: str

    @property
    def uri(self):
        # Credentials are URL-encoded: 'p@ss:w/rd' would otherwise break the URI.
        user = urllib.parse.quote(self.user, safe='')
        password = urllib.parse.quote(self.password, safe='')
        netloc_host = '[%s]' % self.host if ':' in self.host else self.host
        return 'mysql+mysqlconnector://%s:%s@%s:%s/%s' % (user, password, netloc_host, self.port, self.database)


# ---------------------------------------------------------------- small helpers

def _get(environ, name, strip=True):
    """The value of `name`, or None when unset or empty (an env file line `X=` means unset)."""
    value = environ.get(name)
    if value is not None and strip:
        value = value.strip()
    return value or None


def _int(environ, name):
    """An int setting, in its range, or its default."""
    setting = SETTING[name]
    raw = _get(environ, name)
    if raw is None:
        return int(setting.default)
    if not re.fullmatch(r'[0-9]{1,6}', raw) or not setting.low <= int(raw) <= setting.high:
        raise ConfigError(name, '%r is not a whole number between %s and %s' % (raw, setting.low, setting.high))
    return int(raw)


def _bool(environ, name):
    raw = _get(environ, name)
    if raw is None:
        return SETTING[name].default == 'true'
    if raw.lower() in TRUE_WORDS:
        return True
    if raw.lower() in FALSE_WORDS:
        return False
    raise ConfigError(name, '%r is not a boolean; use one of %s or %s'
                      % (raw, '/'.join(TRUE_WORDS), '/'.join(FALSE_WORDS)))


def _choice(environ, name, lower=False):
    setting = SETTING[name]
    value = _get(environ, name) or setting.default
    value = value.lower() if lower else value
    if value not in setting.choices:
        raise ConfigError(name, '%r: use one of %s' % (value, ', '.join(setting.choices)))
    return value


def redact_uri(uri):
    """Replace the password of `scheme://user:password@host` with ***.

    Splits at the last '@' so a password with an unencoded '@' or '/' is still hidden.
    """
    scheme, sep, rest = uri.partition('://')
    userinfo, at, hostpart = rest.rpartition('@')
    if not sep or not at or ':' not in userinfo:
        return uri
    return '%s://%s:***@%s' % (scheme, userinfo.split(':', 1)[0], hostpart)


def redacted_line(error, *secrets, **kwargs):
    """An error's text on one line and at most `limit` characters, each non-empty secret as ***."""
    limit = kwargs.get('limit', 300)
    text = str(error)
    for secret in secrets:
        if secret:
            text = text.replace(secret, '***')
    return ' '.join(text.split())[:limit]


def _is_ip(text):
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def _check_host(name, value):
    if value.startswith('[') and value.endswith(']'):
        raise ConfigError(name, "%r: write IPv6 addresses without brackets, e.g. '::'" % value)
    numeric = re.fullmatch(r'[0-9.]+', value)  # '256.1.1.1' is a bad IP, not a hostname
    if not (_is_ip(value) or HOSTNAME_RE.match(value) and not numeric):
        raise ConfigError(name, '%r is neither an IP address nor a valid hostname' % value)
    return value


# ---------------------------------------------------------------- listen address

def load_host(environ):
    host = _get(environ, 'MLFLOW_HOST')
    if host is None:
        raise ConfigError('MLFLOW_HOST', 'is required; set MLFLOW_HOST=0.0.0.0 to listen on all '
                                         'interfaces (127.0.0.1 for local access only)')
    return _check_host('MLFLOW_HOST', host)


def load_port(environ):
    return _int(environ, 'MLFLOW_PORT')


KEEPALIVE_OPTION = {'uvicorn': '--timeout-keep-alive', 'gunicorn': '--keep-alive'}


def _server_opts(environ):
    """uvicorn is MLflow's default server; any gunicorn options switch to gunicorn (upstream)."""
    gunicorn = _get(environ, 'MLFLOW_GUNICORN_OPTS')
    uvicorn = _get(environ, 'MLFLOW_UVICORN_OPTS')
    if gunicorn and uvicorn:
        raise ConfigError('MLFLOW_GUNICORN_OPTS', 'MLFLOW_GUNICORN_OPTS and MLFLOW_UVICORN_OPTS '
                          'are both set; the server is either gunicorn or uvicorn, unset one')
    name, server, opts = (('MLFLOW_GUNICORN_OPTS', 'gunicorn', gunicorn) if gunicorn
                          else ('MLFLOW_UVICORN_OPTS', 'uvicorn', uvicorn))
    try:
        words = shlex.split(opts or '')
    except ValueError as exc:
        raise ConfigError(name, 'cannot be split like a shell command line: %s' % exc) from None
    keepalive = KEEPALIVE_OPTION[server]
    if any(word.split('=', 1)[0] == keepalive for word in words):
        raise ConfigError(name, 'set MLFLOW_KEEPALIVE_SECONDS instead of passing %s' % keepalive)
    # (gunicorn's default sync workers close every connection; the option matters to its async workers)
    return server, ' '.join(filter(None, [opts, '%s %d' % (keepalive, _int(environ, 'MLFLOW_KEEPALIVE_SECONDS'))]))


# ---------------------------------------------------------------- backend store

def _check_mysql_uri(uri):
    name = 'MLFLOW_BACKEND_STORE_URI'
    shown = redact_uri(uri)
    scheme = uri.partition('://')[0]
    if scheme == 'mysql' or scheme.startswith('mysql+') and scheme != 'mysql+mysqlconnector':
        raise ConfigError(name, '%s: only the mysql+mysqlconnector driver is installed; '
                                'write mysql+mysqlconnector://user:password@host:port/database' % shown)
    if scheme != 'mysql+mysqlconnector':
        raise ConfigError(name, '%s: BACKEND_PROVIDER=mysql needs a '
                                'mysql+mysqlconnector://user:password@host:port/database URI' % shown)
    parts = urllib.parse.urlsplit(uri)
    try:
        parts.port
    except ValueError:
        raise ConfigError(name, '%s: the port is not a number between 0 and 65535' % shown) from None
    parts_found = (('user', parts.username), ('host', parts.hostname), ('database', parts.path.strip('/')))
    missing = [label for label, value in parts_found if not value]
    if missing:
        raise ConfigError(name, '%s: missing %s; URL-encode special characters in the password '
                                '(urllib.parse.quote)' % (shown, ', '.join(missing)))
    return uri


def _mysql_target_from_parts(environ):
    missing = [name for name in DB_PART_VARS if _get(environ, name, strip=False) is None]
    if missing:
        raise ConfigError(missing[0], '%s must be set when MySQL is configured from DBUSERNAME, DBPASSWORD, '
                                      'DBHOST (DBPORT, DBNAME)' % ', '.join(missing))
    host = _check_host('DBHOST', _get(environ, 'DBHOST'))
    port = _int(environ, 'DBPORT')
    database = _get(environ, 'DBNAME') or SETTING['DBNAME'].default
    if not DBNAME_RE.match(database):
        raise ConfigError('DBNAME', "%r: use letters, digits, '_', '$' or '-' (max 64)" % database)
    return MysqlTarget(environ['DBUSERNAME'], environ['DBPASSWORD'], host, port, database, 'DBHOST')


def _target_from_uri(uri):
    """The connection parts of a checked mysql+mysqlconnector URI (None if it has no host)."""
    parts = urllib.parse.urlsplit(uri)
    try:
        port = parts.port or 3306
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return MysqlTarget(urllib.parse.unquote(parts.username or ''),
                       urllib.parse.unquote(parts.password or ''), parts.hostname, port,
                       urllib.parse.unquote(parts.path.lstrip('/')) or '', 'MLFLOW_BACKEND_STORE_URI')


def _mysql_backend(environ):
    sources = (
        ('MLFLOW_BACKEND_STORE_URI', _get(environ, 'MLFLOW_BACKEND_STORE_URI') is not None),
        ('DB_SECRET_OCID', _get(environ, 'DB_SECRET_OCID') is not None),
        ('DBUSERNAME/DBPASSWORD/DBHOST', any(_get(environ, n, False) for n in DB_PART_VARS)),
    )
    chosen = [name for name, present in sources if present]
    if len(chosen) > 1:
        raise ConfigError('BACKEND_PROVIDER', 'mysql takes exactly one credential source but %s are set; '
                          'unset all but one' % ' and '.join(chosen))
    if not chosen:
        raise ConfigError('BACKEND_PROVIDER', 'mysql needs credentials: set '
                          'MLFLOW_BACKEND_STORE_URI, or DB_SECRET_OCID, or DBUSERNAME, '
                          'DBPASSWORD and DBHOST (optional DBPORT, DBNAME)')
    if chosen[0] == 'MLFLOW_BACKEND_STORE_URI':
        uri = _check_mysql_uri(_get(environ, 'MLFLOW_BACKEND_STORE_URI'))
        return uri, _target_from_uri(uri), None
    if chosen[0] == 'DB_SECRET_OCID':
        ocid = _get(environ, 'DB_SECRET_OCID')
        if not SECRET_OCID_RE.match(ocid):
            raise ConfigError('DB_SECRET_OCID', '%r is not a Vault secret OCID '
                              '(ocid1.vaultsecret.<realm>.<region>.<unique id>)' % ocid)
        # Read at serve time (resolve_backend): load_config touches neither disk nor network.
        return 'vault:%s' % ocid, None, ocid
    target = _mysql_target_from_parts(environ)
    return target.uri, target, None


def _sqlite_backend(environ, data_dir):
    """Returns (uri, database file, variable that chose it)."""
    uri = _get(environ, 'MLFLOW_BACKEND_STORE_URI')
    if uri is None:
        path = os.path.join(data_dir, 'mlflow.db')
        return 'sqlite:///%s' % path, path, 'MLFLOW_DATA_DIR'
    name = 'MLFLOW_BACKEND_STORE_URI'
    if uri.startswith('mysql'):
        raise ConfigError(name, '%s is a MySQL URI; set BACKEND_PROVIDER=mysql' % redact_uri(uri))
    path = uri[len('sqlite:///'):].split('?', 1)[0] if uri.startswith('sqlite:///') else ''
    if not path.startswith('/'):
        raise ConfigError(name, '%s: with BACKEND_PROVIDER=sqlite use an absolute sqlite file, e.g. '
                                'sqlite:////mlflow/mlflow.db (four slashes)' % redact_uri(uri))
    return uri, path, name


# ---------------------------------------------------------------- artifacts

@dataclasses.dataclass(frozen=True)
class OciLocation:
    bucket: str
    namespace: str
    prefix: str                      # object name prefix, no leading slash, '' or ending in '/'


def parse_oci_uri(uri, name='MLFLOW_ARTIFACTS_DESTINATION'):
    """oci://bucket@namespace/prefix -> OciLocation; the one parser of these URIs (the artifact
    repository and the role's bucket check use it too). Object names are the prefix plus the artifact path."""
    match = OCI_URI_RE.match(uri)
    if not match:
        raise ConfigError(name, '%r is not an Object Storage location: write oci://bucket@namespace/prefix' % uri)
    if not BUCKET_RE.match(match['bucket']):
        raise ConfigError(name, "%r: bucket %r is not a valid bucket name (letters, digits, '-', '_', '.')"
                          % (uri, match['bucket']))
    if not NAMESPACE_RE.match(match['namespace']):
        raise ConfigError(name, '%r: %r is not an Object Storage namespace (lowercase letters and digits)'
                          % (uri, match['namespace']))
    prefix = (match['prefix'] or '').strip('/')
    if any(part in ('', '.', '..') for part in prefix.split('/')) and prefix:
        raise ConfigError(name, "%r: the prefix has an empty, '.' or '..' segment" % uri)
    return OciLocation(match['bucket'], match['namespace'], prefix + '/' if prefix else '')


@dataclasses.dataclass(frozen=True)
class OciTransfer:
    """How the oci:// artifact repository moves bytes (MLFLOW_OCI_* knobs, validated here once)."""
    multipart_threshold: int         # bytes: files above this are uploaded in parts
    part_size: int                   # bytes per part (also what a streamed upload buffers)
    parallelism: int                 # parts in flight per upload


def load_oci_transfer(environ):
    mib = 1024 * 1024
    part = _int(environ, 'MLFLOW_OCI_PART_SIZE_MB')
    threshold = _int(environ, 'MLFLOW_OCI_MULTIPART_THRESHOLD_MB')
    parallelism = _int(environ, 'MLFLOW_OCI_UPLOAD_PARALLELISM')
    return OciTransfer(threshold * mib, part * mib, parallelism)


def _artifact_location(name, value, allow_remote):
    """Validate an artifact location; returns the local dir to prepare, or None if remote."""
    if value.startswith('oci://'):
        parse_oci_uri(value, name)   # served by mlflow_oci_artifacts; nothing local to prepare
        return None
    if value.startswith('file://'):
        if not value.startswith('file:///'):
            raise ConfigError(name, '%r: write file:///absolute/path (three slashes)' % value)
        return urllib.parse.unquote(value[len('file://'):])
    if value.startswith('/'):
        return value
    if allow_remote and value.startswith(('mlflow-artifacts:', 'http://', 'https://')):
        return None
    allowed = 'an absolute path, file:///path or oci://bucket@namespace/prefix'
    if allow_remote:
        allowed += ', mlflow-artifacts:/ or an http(s) URL'
    raise ConfigError(name, '%r is not supported; use %s' % (value, allowed))


def _allowed_roots(environ, warnings):
    """MLFLOW_ARTIFACTS_ALLOWED_ROOTS: storage locations (the boundary, mlflow_boundary, reads them), or '*'."""
    name = 'MLFLOW_ARTIFACTS_ALLOWED_ROOTS'
    roots = _csv_list(environ, name, warnings, wildcard_warning=False)
    if roots is None:
        return None
    items = roots.split(',')
    if '*' in items:
        if len(items) > 1:
            raise ConfigError(name, "'*' turns the artifact boundary off: give it alone, or list locations")
        warnings.append('%s: * turns the artifact boundary off: clients may make the server read and write any '
                        'location its identity reaches' % name)
        return roots
    for item in items:
        _artifact_location(name, item, False)    # oci:// or an absolute path, checked as the destination is
    return roots


def _artifacts(environ, data_dir):
    """Returns (serve, destination, root, local dirs, warnings)."""
    serve = _bool(environ, 'MLFLOW_SERVE_ARTIFACTS')
    destination = _get(environ, 'MLFLOW_ARTIFACTS_DESTINATION')
    root = _get(environ, 'MLFLOW_DEFAULT_ARTIFACT_ROOT')
    dirs, warnings = [], []
    if serve:
        destination = destination or os.path.join(data_dir, 'artifacts')
        local = _artifact_location('MLFLOW_ARTIFACTS_DESTINATION', destination, False)
        if local:
            dirs.append(('MLFLOW_ARTIFACTS_DESTINATION', local))
        if root and root.startswith('oci://'):
            # The upstream guide sets both to the same oci:// URI; new runs then point clients at
            # the bucket itself, bypassing the proxy this server was asked to be.
            warnings.append('MLFLOW_DEFAULT_ARTIFACT_ROOT: with an oci:// root, clients read and '
                            'write Object Storage themselves (OCI credentials and an oci:// '
                            'artifact plugin on every client); unset it to proxy artifacts '
                            'through the server (mlflow-artifacts:/)')
        root = root or SETTING['MLFLOW_DEFAULT_ARTIFACT_ROOT'].default
    else:
        if destination:
            warnings.append('MLFLOW_ARTIFACTS_DESTINATION: ignored because '
                            'MLFLOW_SERVE_ARTIFACTS is off')
        destination = None
        root = root or os.path.join(data_dir, 'artifacts')
        if root.startswith('mlflow-artifacts:'):
            raise ConfigError('MLFLOW_DEFAULT_ARTIFACT_ROOT', '%r needs the server to proxy '
                              'artifacts; set MLFLOW_SERVE_ARTIFACTS=1 or use a storage location' % root)
    local = _artifact_location('MLFLOW_DEFAULT_ARTIFACT_ROOT', root, True)
    if local:
        dirs.append(('MLFLOW_DEFAULT_ARTIFACT_ROOT', local))
    return serve, destination, root, dirs, warnings


# ---------------------------------------------------------------- everything else

def _csv_list(environ, name, warnings, wildcard_warning=True):
    """Normalise a comma-separated list; MLflow reads these from its env (see build_command)."""
    raw = _get(environ, name)
    if raw is None:
        return None
    items = [item.strip() for item in raw.split(',')]
    if not all(items):
        raise ConfigError(name, '%r has an empty entry; write a comma-separated list' % raw)
    if '*' in items and wildcard_warning:
        warnings.append("%s: '*' accepts any value; list the real names in production" % name)
    return ','.join(items)


def _tmpdir(environ, data_dir):
    """MLFLOW_TMPDIR, else TMPDIR, else <data dir>/tmp.

    MLflow spools every proxied download from a remote store to a temp file before sending it, so
    the temp space must hold the largest artifact: by default it is on the data volume, not in the
    container's writable layer (or a small tmpfs).
    """
    name = 'MLFLOW_TMPDIR' if _get(environ, 'MLFLOW_TMPDIR') else 'TMPDIR'
    path = _get(environ, name) or os.path.join(data_dir, 'tmp')
    if not path.startswith('/'):
        raise ConfigError(name, '%r must be an absolute path' % path)
    return path


# ---------------------------------------------------------------- logins

def check_auth_password(name, password):
    """MLflow's rule for passwords, said before anything starts (also for one read from Vault)."""
    if len(password) < AUTH_MIN_PASSWORD:
        raise ConfigError(name, 'is %d characters long; MLflow needs %d or more' % (len(password), AUTH_MIN_PASSWORD))
    return password


def _value_or_ocid(environ, name, needed):
    """(value, ocid) of a secret given either as NAME or as NAME_OCID (a Vault secret holding it)."""
    value, ocid = _get(environ, name, strip=False), _get(environ, name + '_OCID')
    if value is not None and ocid is not None:
        raise ConfigError(name, 'and %s_OCID are both set; set the value or the Vault secret holding it, '
                                'not both' % name)
    if value is None and ocid is None:
        raise ConfigError(name, 'MLFLOW_AUTH is on and needs %s: set %s or %s_OCID (an OCI Vault secret '
                                'holding it)' % (needed, name, name))
    if ocid is not None and not SECRET_OCID_RE.match(ocid):
        raise ConfigError(name + '_OCID', '%r is not a Vault secret OCID '
                          '(ocid1.vaultsecret.<realm>.<region>.<unique id>)' % ocid)
    return value, ocid


def _auth(environ):
    """The logins' settings, or None when MLFLOW_AUTH is off."""
    if not _bool(environ, 'MLFLOW_AUTH'):
        return None
    username = _get(environ, 'MLFLOW_AUTH_ADMIN_USERNAME') or SETTING['MLFLOW_AUTH_ADMIN_USERNAME'].default
    if ':' in username:   # HTTP basic auth splits user and password at the first ':'
        raise ConfigError('MLFLOW_AUTH_ADMIN_USERNAME', "%r: a user name cannot hold ':'" % username)
    password, password_ocid = _value_or_ocid(environ, 'MLFLOW_AUTH_ADMIN_PASSWORD', "the admin user's password "
                                             '(%d+ characters)' % AUTH_MIN_PASSWORD)
    if password is not None:
        check_auth_password('MLFLOW_AUTH_ADMIN_PASSWORD', password)
    key, key_ocid = _value_or_ocid(environ, 'MLFLOW_FLASK_SERVER_SECRET_KEY', 'the secret key that signs logins '
                                   'and CSRF tokens, the same on every server')
    return AuthSettings(username, password, password_ocid, key, key_ocid,
                        _choice(environ, 'MLFLOW_AUTH_DEFAULT_PERMISSION'), _int(environ, 'MLFLOW_AUTH_CACHE_SECONDS'))


def auth_database_uri(config):
    """Where the auth app keeps users and permissions: beside mlflow.db, or the same MySQL database."""
    if config.sqlite_file:
        return 'sqlite:///%s' % os.path.join(os.path.dirname(config.sqlite_file), 'basic_auth.db')
    return config.backend_uri


def _child_env(environ, backend_uri, iam_type, job_execution, telemetry_off, lists, tmpdir):
    env = dict((k, v) for k, v in environ.items() if k not in CONSUMED_VARS)
    env['MLFLOW_BACKEND_STORE_URI'] = backend_uri
    env['TMPDIR'] = tmpdir
    # Job execution costs +1.6 GiB and queues in /dev/shm: on only when asked for.
    env['MLFLOW_SERVER_ENABLE_JOB_EXECUTION'] = 'true' if job_execution else 'false'
    # Telemetry leaves the server only when the operator turns it on (MLflow's own default is on).
    env['MLFLOW_DISABLE_TELEMETRY'] = 'true' if telemetry_off else 'false'
    env['OCIFS_IAM_TYPE'] = env['OCI_IAM_TYPE'] = iam_type  # oci-mlflow reads either name
    for name, value in lists.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def load_config(environ):
    """Validate the whole contract from a plain mapping; touches neither disk nor network."""
    environ = dict(environ)
    warnings = []
    data_dir = _get(environ, 'MLFLOW_DATA_DIR') or DEFAULT_DATA_DIR
    if not data_dir.startswith('/'):
        raise ConfigError('MLFLOW_DATA_DIR', '%r must be an absolute path' % data_dir)
    host, port = load_host(environ), load_port(environ)
    workers = _int(environ, 'MLFLOW_WORKERS')
    server, server_opts = _server_opts(environ)
    iam_type = _choice(environ, 'OCIFS_IAM_TYPE')
    provider = _choice(environ, 'BACKEND_PROVIDER', lower=True)
    sqlite_file, dirs, mysql, secret_ocid = None, [], None, None
    db_wait = _int(environ, 'MLFLOW_DB_WAIT_SECONDS')
    if provider == 'mysql':
        backend_uri, mysql, secret_ocid = _mysql_backend(environ)
    else:
        backend_uri, sqlite_file, variable = _sqlite_backend(environ, data_dir)
        dirs.append((variable, os.path.dirname(sqlite_file)))
    serve, destination, root, artifact_dirs, artifact_warnings = _artifacts(environ, data_dir)
    if any(location and location.startswith('oci://') for location in (destination, root)):
        load_oci_transfer(environ)   # a bad knob fails here, not at the first upload
    tmpdir = _tmpdir(environ, data_dir)
    lists = dict((name, _csv_list(environ, name, warnings)) for name in
                 ('MLFLOW_SERVER_ALLOWED_HOSTS', 'MLFLOW_SERVER_CORS_ALLOWED_ORIGINS'))
    lists['MLFLOW_ARTIFACTS_ALLOWED_ROOTS'] = _allowed_roots(environ, warnings)
    job_execution = _bool(environ, 'MLFLOW_SERVER_ENABLE_JOB_EXECUTION')
    telemetry_off = _bool(environ, 'MLFLOW_DISABLE_TELEMETRY')
    drain = _int(environ, 'MLFLOW_DRAIN_SECONDS')
    auth = _auth(environ)
    child_env = _child_env(environ, backend_uri, iam_type, job_execution, telemetry_off, lists, tmpdir)
    if auth is None:
        child_env.pop('MLFLOW_FLASK_SERVER_SECRET_KEY', None)
    return Config(
        host=host, port=port, workers=workers, server=server, server_opts=server_opts,
        backend_uri=backend_uri, serve_artifacts=serve, artifacts_destination=destination,
        default_artifact_root=root,
        child_env=child_env,
        local_dirs=tuple(dirs + artifact_dirs + [('MLFLOW_TMPDIR', tmpdir)]), sqlite_file=sqlite_file,
        warnings=tuple(warnings + artifact_warnings),
        mlflow_bin=_get(environ, 'MLFLOW_LAUNCHER_MLFLOW_BIN') or DEFAULT_MLFLOW_BIN,
        iam_type=iam_type, db_secret_ocid=secret_ocid, mysql=mysql, db_wait=db_wait,
        tmpdir=tmpdir, drain=drain, auth=auth,
    )
