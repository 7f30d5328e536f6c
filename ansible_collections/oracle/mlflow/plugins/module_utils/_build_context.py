# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build hash of an image: one SHA-256 over everything that defines it, computed from the build context
on disk, without the Docker engine.

Private to this collection (underscore prefix): no compatibility promise outside it.

The hash covers the files of the context that the engine receives (``.dockerignore`` applied with the Docker
SDK's own rules, the Dockerfile always included), each with its relative path, type, permission bits and
contents (a symlink by its target, not followed), but not timestamps or ownership; the Dockerfile's name
and contents, also when it lies outside the context; the build args, the labels and the target stage.
The image carries it as the label ``HASH_LABEL``, so an image with the same inputs is found in the engine
instead of being built again.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError

try:
    from docker.utils.build import exclude_paths
except ImportError:  # the modules report the missing SDK (_docker_client.check_docker_sdk) before any hash
    exclude_paths = None

HASH_LABEL = 'org.oracle.mlflow.build-hash'
# The version of the recipe below (not a module name): bump it when the recipe changes, so that images hashed
# the old way are rebuilt once. Unchanged since 0.1.0.
HASH_VERSION = 'oracle.mlflow.image/v1'
_CHUNK = 1024 * 1024


def read_dockerignore(context):
    """Patterns of ``<context>/.dockerignore``, parsed as the Docker SDK does before sending the context."""
    path = os.path.join(context, '.dockerignore')
    if not os.path.exists(path):
        return []
    with open(path, encoding='utf-8') as handle:
        lines = [line.strip() for line in handle.read().splitlines()]
    return [line for line in lines if line and not line.startswith('#')]


def dockerfile_location(context, dockerfile):
    """Return (absolute path, name inside the context or None when it lies outside)."""
    absolute = dockerfile if os.path.isabs(dockerfile) else os.path.join(context, dockerfile)
    relative = os.path.relpath(absolute, context)
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return absolute, None
    return absolute, relative


def compute_build_hash(context, dockerfile, args, labels, target):
    """SHA-256 (hex) over what defines the image; see the module docstring.

    Raises ``OracleMlflowError`` (kind ``error``) when the context or the Dockerfile cannot be read.
    """
    try:
        return _build_hash(context, dockerfile, args, labels, target)
    except (IOError, OSError) as exc:
        raise OracleMlflowError('error', 'Cannot read the build context %s: %s' % (context, exc)) from None


def _build_hash(context, dockerfile, args, labels, target):
    digest = hashlib.sha256()

    def feed(*parts):
        for part in parts:
            data = part if isinstance(part, bytes) else str(part).encode('utf-8')
            digest.update(len(data).to_bytes(8, 'big'))
            digest.update(data)

    feed(HASH_VERSION)
    dockerfile_path, dockerfile_in_context = dockerfile_location(context, dockerfile)
    with open(dockerfile_path, 'rb') as handle:
        feed('dockerfile', dockerfile_in_context or '(outside the context)', handle.read())

    # exclude_paths() is what docker.APIClient.build() uses to choose the files it sends.
    included = exclude_paths(context, read_dockerignore(context),
                             dockerfile=dockerfile_in_context or '.dockerfile.outside')
    for relative in sorted(included):
        full = os.path.join(context, relative)
        info = os.lstat(full)
        mode = '%o' % stat.S_IMODE(info.st_mode)
        if stat.S_ISLNK(info.st_mode):
            feed('link', relative, mode, os.readlink(full))
        elif stat.S_ISDIR(info.st_mode):
            feed('dir', relative, mode)
        elif stat.S_ISREG(info.st_mode):
            feed('file', relative, mode)
            file_digest = hashlib.sha256()
            with open(full, 'rb') as handle:
                for chunk in iter(lambda: handle.read(_CHUNK), b''):
                    file_digest.update(chunk)
            feed(file_digest.digest())
        else:  # FIFOs, devices, sockets: no content to hash
            feed('special', relative, mode)

    feed('args', json.dumps(args, sort_keys=True))
    feed('labels', json.dumps(labels, sort_keys=True))
    feed('target', target or '')
    return digest.hexdigest()
