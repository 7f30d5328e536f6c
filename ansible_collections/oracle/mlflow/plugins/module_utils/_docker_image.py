# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Images in a Docker engine and in their registries: the engine calls the image modules decide on.

Private to this collection (underscore prefix): no compatibility promise outside it.

``ImageEngine`` wraps a ``docker.APIClient`` (from ``_docker_client.get_docker_client``): inspect, find by
build hash, build, tag, remove, and, through the engine with the login the SDK sends along, ask a registry
for a tag's digest and push. It holds no Ansible specifics and decides nothing; every failure is an
``OracleMlflowError`` whose message says which call failed and the engine's or registry's own words:

- engine calls: kind ``missing`` (404), ``conflict`` (409, for example a tag a container uses),
  ``error`` otherwise;
- registry calls (``remote_digest``, ``push``): classified from the engine's text, which is all a registry
  error reaches us as: ``denied`` (unauthorized, refused, no credentials), ``unreachable`` (DNS, connection,
  TLS), ``error`` otherwise. ``registry_failure`` turns one into the message for the user, with the registry
  host and the login to run.
"""

from __future__ import annotations

import collections
import os
import re

from ansible_collections.oracle.mlflow.plugins.module_utils._build_context import HASH_LABEL
from ansible_collections.oracle.mlflow.plugins.module_utils._docker_client import (
    APIError,
    DockerException,
    format_docker_error,
)
from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError

try:
    from docker.auth import load_config
    from docker.utils.config import DOCKER_CONFIG_FILENAME, config_path_from_environment, find_config_file, home_dir
except ImportError:  # the modules report the missing SDK (_docker_client.check_docker_sdk) before any call
    load_config = find_config_file = config_path_from_environment = home_dir = None
    DOCKER_CONFIG_FILENAME = None

LOG_TAIL_LINES = 50

# What registries and the engine say when a login is missing, wrong or lacks rights, and when the
# registry cannot be reached (engine messages: "unauthorized: authentication required",
# "denied: requested access to the resource is denied", 'Get "http://h/v2/": dial tcp ...: connection refused').
_DENIED = re.compile(r'unauthorized|denied|authentication required|no basic auth credentials|forbidden', re.IGNORECASE)
_UNREACHABLE = re.compile(r'dial tcp|connection refused|no such host|i/o timeout|network is unreachable|'
                          r'no route to host|connection reset|tls: |x509: |server gave HTTP response', re.IGNORECASE)
# A tag (or the repository) the registry does not have: not an error when asking for its digest.
_UNKNOWN_TAG = re.compile(r'manifest unknown|name unknown|not found', re.IGNORECASE)
_PUSHED_DIGEST = re.compile(r'digest: (sha256:[0-9a-f]{64})')
_ENGINE_KINDS = {404: 'missing', 409: 'conflict'}


def registry_error(message):
    """The ``OracleMlflowError`` for what the engine said when a registry call failed (kind by its words)."""
    message = message.strip()
    if _DENIED.search(message):
        return OracleMlflowError('denied', message)
    if _UNREACHABLE.search(message):
        return OracleMlflowError('unreachable', message)
    return OracleMlflowError('error', message)


def engine_error(what, exc):
    """The ``OracleMlflowError`` for an engine call that raised ``exc``: ``<what>: <the engine's explanation>``."""
    kind = _ENGINE_KINDS.get(getattr(exc, 'status_code', None), 'error')
    return OracleMlflowError(kind, '%s: %s' % (what, format_docker_error(exc)))


def split_ref(ref):
    """``repo/name:tag`` -> ``('repo/name', 'tag')`` (the tag is after the last colon)."""
    repository, _sep, tag = ref.rpartition(':')
    return repository, tag


def registry_host(repository):
    """The registry host a repository names explicitly (``iad.ocir.io``, ``127.0.0.1:5443``, ``localhost``), else None."""
    first, sep, _rest = repository.partition('/')
    if sep and ('.' in first or ':' in first or first == 'localhost'):
        return first
    return None


def familiar_name(repository):
    """``docker.io/library/x`` -> ``x``, ``docker.io/u/x`` -> ``u/x`` (how the engine lists Docker Hub names)."""
    for prefix in ('docker.io/', 'index.docker.io/'):
        if repository.startswith(prefix):
            repository = repository[len(prefix):]
            if repository.startswith('library/') and repository.count('/') == 1:
                repository = repository[len('library/'):]
            break
    return repository


def _step_of(line):
    """``Step 3/4 : RUN false`` -> `` at step 3/4 (RUN false)`` (where a failed build stopped)."""
    number, _sep, instruction = line.partition(' : ')
    return ' at %s%s' % (number.lower(), ' (%s)' % instruction if instruction else '')


class ImageEngine:
    """Engine operations on images; see the module docstring for what they raise."""

    def __init__(self, client):
        self.client = client

    def _inspect(self, ref):
        try:
            image = self.client.inspect_image(ref)
        except APIError as exc:
            if exc.status_code == 404:
                return None
            raise
        labels = (image.get('Config') or {}).get('Labels') or {}
        return {'id': image['Id'], 'build_hash': labels.get(HASH_LABEL)}

    def inspect(self, refs):
        """``{ref: {'id', 'build_hash'} or None}`` for each reference (None: no such image)."""
        try:
            return dict((ref, self._inspect(ref)) for ref in refs)
        except DockerException as exc:
            raise engine_error('Cannot inspect %s' % ', '.join(refs), exc) from None

    def find_by_hash(self, build_hash):
        """ID of the newest image carrying the build hash label (tagged or not), or None."""
        try:
            images = self.client.images(filters={'label': '%s=%s' % (HASH_LABEL, build_hash)})
        except DockerException as exc:
            raise engine_error('Cannot list images', exc) from None
        if not images:
            return None
        return max(images, key=lambda image: image.get('Created', 0))['Id']

    def build(self, ref, context, dockerfile, args, labels, network=None, pull=False, target=None, nocache=False):
        """Build and tag ``ref``; return ``(image_id, last log lines)``.

        A failed build raises ``OracleMlflowError`` with the step it stopped at and ``build_log`` (the last
        lines) in its details.
        """
        log = collections.deque(maxlen=LOG_TAIL_LINES)
        step = None
        error = None
        try:
            stream = self.client.build(
                path=context,
                dockerfile=dockerfile,
                tag=ref,
                buildargs=dict(args),  # the SDK adds proxy settings to the dict it gets
                labels=labels,
                network_mode=network,
                pull=pull,
                target=target,
                nocache=nocache,
                rm=True,
                forcerm=True,
                decode=True,
                timeout=None,  # a build may be silent for long (pip install); do not cut it off
            )
            for chunk in stream:
                text = chunk.get('stream')
                if text is None and 'status' in chunk:  # pull progress
                    text = ' '.join(str(chunk[key]) for key in ('id', 'status') if chunk.get(key))
                for line in (text or '').splitlines():
                    line = line.rstrip()
                    if not line:
                        continue
                    log.append(line)
                    if line.startswith('Step '):
                        step = line
                if 'error' in chunk or 'errorDetail' in chunk:
                    error = (chunk.get('errorDetail') or {}).get('message') or chunk.get('error')
                    log.append('ERROR: %s' % error)
                    break
        except DockerException as exc:
            error = format_docker_error(exc)
        if error is not None:
            where = _step_of(step) if step else ''
            raise OracleMlflowError('error', 'Building %s failed%s: %s' % (ref, where, error.strip()), build_log=list(log))
        built = self.inspect([ref])[ref]
        if built is None:
            raise OracleMlflowError('error', 'Building %s ended without an image tagged %s.' % (ref, ref),
                                    build_log=list(log))
        return built['id'], list(log)

    def tag(self, image_id, ref, what=None):
        """Point ``ref`` to the image (``what`` opens the error message)."""
        repository, tag = split_ref(ref)
        try:
            if not self.client.tag(image_id, repository, tag):
                raise DockerException('the engine refused to tag %s as %s' % (image_id, ref))
        except DockerException as exc:
            raise engine_error(what or 'Cannot tag %s as %s' % (image_id, ref), exc) from None

    def remove(self, ref, force=False):
        """Remove the tag ``ref`` (and the image with its last tag); a tag a container uses: kind ``conflict``."""
        try:
            self.client.remove_image(ref, force=force)
        except APIError as exc:
            error = engine_error('Cannot remove %s' % ref, exc)
            raise OracleMlflowError(error.kind, error.message + '.') from None
        except DockerException as exc:
            raise engine_error('Cannot remove %s' % ref, exc) from None

    # -- registries (the engine talks to them, with the login the SDK sends along) -------------------

    def repo_digests(self, image_id, repository):
        """Manifest digests the engine recorded for the image in ``repository`` (after a push or pull)."""
        try:
            entries = self.client.inspect_image(image_id).get('RepoDigests') or []
        except DockerException as exc:
            raise engine_error('Cannot inspect %s' % image_id, exc) from None
        wanted = familiar_name(repository)
        digests = set()
        for entry in entries:
            name, _sep, digest = entry.partition('@')
            if familiar_name(name) == wanted:
                digests.add(digest)
        return digests

    def remote_digest(self, ref):
        """Digest of the manifest ``ref`` points to in its registry, or None when the tag is unknown there."""
        try:
            descriptor = self.client.inspect_distribution(ref)['Descriptor']
        except APIError as exc:
            message = format_docker_error(exc)
            if exc.status_code == 404 or _UNKNOWN_TAG.search(message):
                return None
            raise registry_error(message) from None
        except DockerException as exc:
            raise registry_error(str(exc)) from None
        return descriptor['digest']

    def push(self, ref):
        """Push ``ref``; return ``{'digest', 'layers_pushed', 'layers_present'}``.

        A layer counts as pushed when the engine uploaded it ("Pushed") or the registry mounted it from
        another repository ("Mounted from ..."); "Layer already exists" means it was there.
        """
        repository, tag = split_ref(ref)
        pushed, present = set(), set()
        digest = None
        try:
            for chunk in self.client.push(repository, tag=tag, stream=True, decode=True):
                if 'error' in chunk or 'errorDetail' in chunk:
                    raise registry_error((chunk.get('errorDetail') or {}).get('message') or chunk.get('error'))
                status = chunk.get('status') or ''
                if status == 'Pushed' or status.startswith('Mounted from'):
                    pushed.add(chunk.get('id'))
                elif status == 'Layer already exists':
                    present.add(chunk.get('id'))
                aux = chunk.get('aux') or {}
                if aux.get('Digest'):
                    digest = aux['Digest']
                elif not digest:  # older engines: "<tag>: digest: sha256:... size: N"
                    match = _PUSHED_DIGEST.search(status)
                    digest = match.group(1) if match else None
        except DockerException as exc:
            raise registry_error(format_docker_error(exc)) from None
        if digest is None:
            raise registry_error('the engine did not report the digest of the pushed manifest')
        return {'digest': digest, 'layers_pushed': len(pushed), 'layers_present': len(present)}

    def stored_login(self, registry):
        """``(has a login for registry, docker config file)``, as the SDK resolves it for a push."""
        config_file = find_config_file()
        if config_file is None:  # where a login would be written
            return False, config_path_from_environment() or os.path.join(home_dir(), DOCKER_CONFIG_FILENAME)
        try:
            found = load_config(config_file).resolve_authconfig(registry) is not None
        except Exception:  # noqa: BLE001 - an unreadable config or a failing credential helper: no usable login
            found = False
        return found, config_file

    def registry_failure(self, error, ref, pushing, host_option):
        """The error to report for a registry ``error`` (from ``remote_digest`` or ``push``) met while pushing
        ``ref`` (``pushing``) or looking it up; ``host_option`` names the option the registry host comes from.

        A refused request says whether a login is stored for the host (kind ``denied``) or none is (kind
        ``auth``), and which login to run; an unreachable registry names the host and the option.
        """
        host = registry_host(ref)
        doing = 'pushing %s' % ref if pushing else 'looking up %s in its registry' % ref
        opening = doing[0].upper() + doing[1:]  # the same words at the start of a sentence
        if error.kind == 'denied':
            has_login, config_file = self.stored_login(host)
            if has_login:
                why = ('the login stored for %s in %s was refused (expired token, wrong user or namespace, or no '
                       'push rights on the repository)' % (host, config_file))
                todo = 'Log in again with oracle.mlflow.ocir_login (registry: %s)' % host
            else:
                why = 'there is no login for %s in %s' % (host, config_file)
                todo = 'Log in first with oracle.mlflow.ocir_login (registry: %s)' % host
            return OracleMlflowError('denied' if has_login else 'auth',
                                     '%s was refused by the registry %s (%s): %s. %s, or with docker login %s for a '
                                     'registry other than OCIR.' % (opening, host, error, why, todo, host))
        if error.kind == 'unreachable':
            return OracleMlflowError('unreachable',
                                     'Cannot reach the registry %s (%s failed: %s). Check the registry host in %s and '
                                     'that the Docker engine (docker_host) can reach it.'
                                     % (host, doing, error, host_option))
        return OracleMlflowError(error.kind, '%s failed: %s' % (opening, error))
