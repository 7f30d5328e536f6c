# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The docker client configuration file (``config.json``) and its ``auths`` entries.

Private to this collection (underscore prefix): no compatibility promise outside it.

Credentials are written to the file itself (``auths.<registry>.auth``, base64 of ``user:secret``), as
``docker login`` does without a credential helper, so the secret never appears in a process argument.
The file is written atomically and with mode 0600; its directory is created with mode 0700; every
other key and entry is kept.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import stat
import tempfile

CONFIG_FILENAME = 'config.json'
DEFAULT_CONFIG_DIR = '~/.docker'


class DockerConfigError(Exception):
    """The docker config cannot be read, used or written."""


def default_config_path():
    """``$DOCKER_CONFIG/config.json`` when ``DOCKER_CONFIG`` is set, else ``~/.docker/config.json``
    (the file the docker CLI and the Docker SDK for Python read)."""
    directory = os.environ.get('DOCKER_CONFIG') or DEFAULT_CONFIG_DIR
    return os.path.join(os.path.expanduser(directory), CONFIG_FILENAME)


def _entry_host(key):
    """Registry host of an ``auths`` key (``https://iad.ocir.io/v1/`` -> ``iad.ocir.io``)."""
    key = re.sub(r'^[a-zA-Z][a-zA-Z0-9+.-]*://', '', key.strip())
    return key.split('/', 1)[0].lower()


class DockerConfig:
    """One docker config file, read once; ``set_auth``/``remove_auth`` change the copy, ``write`` saves it."""

    def __init__(self, path):
        self.path = path
        self.exists = os.path.exists(path)
        self.data = {}
        self.mode = None
        if self.exists:
            try:
                with open(path, encoding='utf-8') as handle:
                    text = handle.read()
                self.mode = stat.S_IMODE(os.stat(path).st_mode)
            except OSError as exc:
                raise DockerConfigError('Cannot read the docker config %s: %s' % (path, exc.strerror or exc)) from None
            if text.strip():
                try:
                    self.data = json.loads(text)
                except ValueError as exc:
                    raise DockerConfigError('The docker config %s is not valid JSON (%s); fix or remove it.'
                                            % (path, exc)) from None
                if not isinstance(self.data, dict):
                    raise DockerConfigError('The docker config %s is not a JSON object; fix or remove it.' % path)

    @property
    def auths(self):
        auths = self.data.get('auths')
        return auths if isinstance(auths, dict) else {}

    def keys_for(self, registry):
        """``auths`` keys that docker would use for ``registry`` (exact, or with a scheme/path)."""
        return [key for key in self.auths if _entry_host(key) == registry.lower()]

    def credential_helper(self, registry):
        """Name of the credential helper docker would use for ``registry`` instead of ``auths``, or None."""
        helpers = self.data.get('credHelpers')
        if isinstance(helpers, dict):
            for key, helper in helpers.items():
                if _entry_host(key) == registry.lower() and helper:
                    return helper
        return self.data.get('credsStore') or None

    def get_auth(self, registry):
        """``(username, secret)`` stored for ``registry``, or None."""
        for key in self.keys_for(registry):
            entry = self.auths.get(key)
            if not isinstance(entry, dict):
                continue
            if entry.get('auth'):
                try:
                    decoded = base64.b64decode(entry['auth'], validate=False).decode('utf-8')
                except (binascii.Error, UnicodeDecodeError, ValueError):
                    continue
                username, sep, secret = decoded.partition(':')
                if sep:
                    return username, secret
            if entry.get('username') and entry.get('password'):
                return entry['username'], entry['password']
        return None

    def set_auth(self, registry, username, secret):
        auths = self.auths
        for key in self.keys_for(registry):
            del auths[key]
        auths[registry] = {'auth': base64.b64encode(('%s:%s' % (username, secret)).encode('utf-8')).decode('ascii')}
        self.data['auths'] = auths

    def remove_auth(self, registry):
        """Remove every entry for ``registry``; return True when there was one."""
        keys = self.keys_for(registry)
        auths = self.auths
        for key in keys:
            del auths[key]
        if keys:
            self.data['auths'] = auths
        return bool(keys)

    @property
    def private(self):
        """True when the file exists and only its owner may read it."""
        return self.mode is not None and not self.mode & 0o077

    def write(self):
        """Save atomically with mode 0600 (directory 0700 when created)."""
        target = os.path.realpath(self.path)
        directory = os.path.dirname(target)
        try:
            if not os.path.isdir(directory):
                os.makedirs(directory, mode=0o700)
            fd, temp = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(target), suffix='.tmp')
        except OSError as exc:
            raise DockerConfigError('Cannot write the docker config %s: %s' % (self.path, exc.strerror or exc)) from None
        try:
            with os.fdopen(fd, 'w', encoding='utf-8') as handle:
                os.fchmod(handle.fileno(), 0o600)
                json.dump(self.data, handle, indent='\t')
                handle.write('\n')
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
        except OSError as exc:
            try:
                os.unlink(temp)
            except OSError:
                pass
            raise DockerConfigError('Cannot write the docker config %s: %s' % (self.path, exc.strerror or exc)) from None
        self.exists, self.mode = True, 0o600
