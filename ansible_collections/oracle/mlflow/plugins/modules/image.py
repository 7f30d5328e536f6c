#!/usr/bin/python
# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image
short_description: Build a Docker image from a local context when its inputs changed, and push it to a registry
version_added: 0.1.0
description:
  - Builds a Docker image from a build context directory on the managed node with the Docker engine API (the classic
    builder, through the Docker SDK for Python) and applies every requested tag to it.
  - Before building, the module computes a SHA-256 B(build hash) over everything that defines the image (see O(build)) and
    stores it on the image as the label C(org.oracle.mlflow.build-hash).
  - If every requested tag already points to an image carrying the same hash, nothing is done. If an image with that hash
    exists but some tags are missing or point elsewhere, those tags are moved to it without a build. Otherwise the image is
    built.
  - With O(repository), the image is also tagged O(repository):<tag> for every requested tag.
  - With O(push=true), those tags (or O(name)'s when O(repository) is not set) are then pushed to their registry, with the
    login stored in the Docker client configuration on the managed node (see O(push)).
  - With O(state=absent), the requested tags are removed; an image left without tags is deleted by the engine.
author:
  - oracle.mlflow contributors (!UNKNOWN)
extends_documentation_fragment:
  - oracle.mlflow.docker
  - oracle.mlflow.attributes
  - oracle.mlflow.attributes.ACTIONGROUP_DOCKER
attributes:
  check_mode:
    support: full
    details:
      - Reads the context and the engine, computes the build hash and reports what would be built or tagged; builds, tags
        and removes nothing.
      - With O(push=true), asks the registry (through the engine, with the stored login) for the manifest digest of every
        tag to push and compares it with the digests the engine recorded for the local image when it last pushed or
        pulled it to or from that repository (C(RepoDigests)). A tag is reported as needing a push when the registry
        does not have it, when its digest is not one of those, or when the image would be built first. It cannot know
        whether a local image that was never pushed from (or pulled to) this engine matches the registry's; such an image
        is reported as needing a push, and the real push then finds the layers present and reports no change. A missing
        or refused login, or an unreachable registry, fails as in a real run. Nothing is pushed.
  diff_mode:
    support: full
    details:
      - Shows, for each requested tag, the image ID and build hash before and after.
  idempotent:
    support: partial
    details:
      - With O(force=true) and O(state=present), the image is rebuilt on every run (and, with O(push=true), pushed again
        with new layers).
      - With O(push=true), a run that finds every layer and tag already in the registry reports no change.
options:
  name:
    description:
      - Image repository name, without tag, for example V(oci-mlflow) or V(iad.ocir.io/mytenancy/oci-mlflow).
      - Must be a valid lowercase Docker reference.
    type: str
    required: true
  tag:
    description:
      - Main tag. The build is tagged O(name):O(tag) first.
    type: str
    default: latest
  additional_tags:
    description:
      - More tags for the same image, for example the MLflow version.
      - Duplicates of O(tag) are ignored.
    type: list
    elements: str
    default: []
  repository:
    description:
      - Registry repository to tag the image as, without tag, for example V(iad.ocir.io/mytenancy/oci-mlflow) or
        V(127.0.0.1:5443/mytenancy/oci-mlflow). The image is tagged O(repository):<tag> for O(tag) and each of
        O(additional_tags), in addition to the O(name) tags.
      - With O(push=true), these are the tags pushed. With O(state=absent), they are removed too.
      - On OCI Container Registry the form is C(<registry host>/<tenancy namespace>/<repository name>); see
        M(oracle.mlflow.ocir_login) for the registry host and the login.
    type: str
  push:
    description:
      - Push the image to its registry after building or tagging it, one push per tag. The tags pushed are
        O(repository):<tag>, or O(name):<tag> when O(repository) is not set. That repository must start with a registry
        host (V(iad.ocir.io/...), V(registry.example.com:5000/...), V(localhost/...); V(docker.io/...) for Docker Hub).
      - The push runs in the Docker engine, with the login the Docker SDK finds for that registry host in the Docker
        client configuration of the user running the module on the managed node (C($DOCKER_CONFIG/config.json), default
        C(~/.docker/config.json), including credential helpers), as written by M(oracle.mlflow.ocir_login) or
        C(docker login). Log in first; a missing or refused login fails with a message naming the registry host.
      - Reports a change only when the registry received something new, that is when a layer was uploaded (or mounted
        from another repository) or a tag now points to another manifest than before the push.
      - Only with O(state=present).
    type: bool
    default: false
  state:
    description:
      - V(present) builds (or re-tags) the image so that every requested tag points to an image with the current build hash.
      - V(absent) removes the requested tags. The engine deletes the image once its last tag is gone, unless a container
        uses it.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - With O(state=present), rebuild even when the image is up to date, without the layer cache, so that base image
        updates (with O(build.pull=true)) and packages fetched during the build are refreshed.
      - With O(state=absent), remove the tags even when a container uses the image (the image then stays, untagged,
        until the container is removed).
    type: bool
    default: false
  build:
    description:
      - What to build. Required when O(state=present), ignored otherwise.
      - The build hash covers the files of the context that the engine receives (C(.dockerignore) is honoured with the same
        rules the Docker SDK for Python uses to send the context) with their relative paths, types, permission bits and
        contents (not timestamps or ownership), the Dockerfile name and contents, O(build.args), O(build.labels) and
        O(build.target).
      - It does not cover O(build.network), O(build.pull), or what the build fetches from the network, including a newer
        base image; use O(force=true) to refresh those.
    type: dict
    suboptions:
      path:
        description:
          - Build context directory on the managed node. Use an absolute path.
        type: path
        required: true
      dockerfile:
        description:
          - Dockerfile to use, relative to O(build.path) or absolute. A Dockerfile outside the context is sent along with it.
        type: str
        default: Dockerfile
      args:
        description:
          - Build arguments (C(ARG) values). Values are converted to strings.
          - They are part of the build hash but are never returned by the module. Build arguments are stored in the image
            history by Docker, so do not pass secrets this way.
        type: dict
        default: {}
      labels:
        description:
          - Labels to set on the image, in addition to the C(org.oracle.mlflow.build-hash) label the module sets itself.
        type: dict
        default: {}
      network:
        description:
          - Network mode of the build containers, for example V(host) when C(RUN) steps need the host's network or proxy.
        type: str
      pull:
        description:
          - Pull a newer version of the base images when building. Only takes effect when a build happens.
        type: bool
        default: false
      target:
        description:
          - Build stage to stop at in a multi-stage Dockerfile.
        type: str
notes:
  - Images previously tagged with the requested tags are left in place when a new build moves the tags (as C(docker build)
    does); prune them with M(community.docker.docker_prune).
  - Plain HTTP registries are used only where the Docker engine allows them (by default on 127.0.0.0/8; otherwise the
    engine's C(insecure-registries) setting).
seealso:
  - module: oracle.mlflow.ocir_login
  - module: community.docker.docker_image_build
  - module: community.docker.docker_image_push
  - module: community.docker.docker_prune
"""

EXAMPLES = r"""
- name: Build the tracking server image, tagged latest and with the MLflow version
  oracle.mlflow.image:
    name: oci-mlflow
    tag: latest
    additional_tags:
      - "3.17.2"
    build:
      path: /opt/oci-mlflow/build
      network: host
      args:
        MLFLOW_VERSION: "3.17.2"
      labels:
        org.opencontainers.image.version: "3.17.2"
  register: mlflow_image

- name: Show what was done
  ansible.builtin.debug:
    msg: "{{ mlflow_image.image_id }}: {{ mlflow_image.actions }}"

- name: Log in to OCI Container Registry in Ashburn with the host's instance principal
  oracle.mlflow.ocir_login:
    region: us-ashburn-1
    auth_type: instance_principal

- name: Build, tag for OCIR and push every tag (changed only when the registry received something new)
  oracle.mlflow.image:
    name: oci-mlflow
    tag: latest
    additional_tags:
      - "3.17.2"
    repository: iad.ocir.io/mytenancy/oci-mlflow
    push: true
    build:
      path: /opt/oci-mlflow/build
      network: host
  register: mlflow_image

- name: Show the pushed digest (servers can run iad.ocir.io/mytenancy/oci-mlflow@<digest>)
  ansible.builtin.debug:
    msg: "{{ mlflow_image.push.repository }}@{{ mlflow_image.push.digest }} (pushed: {{ mlflow_image.push.pushed_tags }})"

- name: Rebuild from scratch with a fresh base image
  oracle.mlflow.image:
    name: oci-mlflow
    force: true
    build:
      path: /opt/oci-mlflow/build
      pull: true

- name: Talk to a remote engine for all docker modules of the collection
  module_defaults:
    group/oracle.mlflow.docker:
      docker_host: tcp://build-host.example.com:2376
      validate_certs: true
  block:
    - name: Build on the remote engine
      oracle.mlflow.image:
        name: oci-mlflow
        build:
          path: /opt/oci-mlflow/build

- name: Remove both tags (and the image once untagged)
  oracle.mlflow.image:
    name: oci-mlflow
    additional_tags:
      - "3.17.2"
    state: absent
"""

RETURN = r"""
image_id:
  description:
    - ID of the image the requested tags point to after the run.
    - V(null) with O(state=absent), and in check mode when a build would be needed.
  returned: always
  type: str
  sample: sha256:2c4b1fcd0c47a3e6e4b0e6e3d1cfa1b0a7f1e4d6a2d3f0b9c8e7d6c5b4a39281
tags:
  description:
    - Full references handled, main tag first, then the O(repository) tags when O(repository) is set.
  returned: always
  type: list
  elements: str
  sample: ["oci-mlflow:latest", "oci-mlflow:3.17.2", "iad.ocir.io/mytenancy/oci-mlflow:latest",
           "iad.ocir.io/mytenancy/oci-mlflow:3.17.2"]
build_hash:
  description:
    - Build hash of the context and build options (value of the C(org.oracle.mlflow.build-hash) label).
    - V(null) with O(state=absent).
  returned: always
  type: str
  sample: 6f1d2b3c4a5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8
actions:
  description: What was done, or would be done in check mode, in order.
  returned: always
  type: list
  elements: str
  sample: ["built oci-mlflow:latest", "tagged oci-mlflow:3.17.2", "tagged iad.ocir.io/mytenancy/oci-mlflow:latest",
           "pushed iad.ocir.io/mytenancy/oci-mlflow:latest"]
build_log:
  description:
    - The last 50 lines of the build output, when a build ran (also on failure); empty otherwise.
    - The full log is not returned. Build arguments are never echoed by the module, but a C(RUN) step may print them.
  returned: always
  type: list
  elements: str
  sample: ["Step 3/3 : LABEL stage=final", " ---> Running in 1c2d3e4f5a6b", "Successfully built 2c4b1fcd0c47"]
push:
  description: What the push did, or would do in check mode.
  returned: when O(push=true) and O(state=present)
  type: dict
  contains:
    repository:
      description: The repository pushed to (O(repository), or O(name) when it is not set).
      type: str
      sample: iad.ocir.io/mytenancy/oci-mlflow
    digest:
      description:
        - Manifest digest of the pushed image in the registry; pull it as RV(push.repository)@RV(push.digest).
        - In check mode, the registry's digest when it is up to date, otherwise V(null) (known only after a push).
      type: str
      sample: sha256:756d8c33a8d830309ee56ffcf2ac62dfab517333ef7a7b2fc7b075f7a4740d0e
    pushed_tags:
      description:
        - Tags for which the registry received something new (layers, or the tag moved to this image), or would in
          check mode. Empty when the registry was already up to date.
      type: list
      elements: str
      sample: ["latest", "3.17.2"]
"""

import collections
import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.oracle.mlflow.plugins.module_utils._build_context import (
    HASH_LABEL,
    compute_build_hash,
    dockerfile_location,
)
from ansible_collections.oracle.mlflow.plugins.module_utils._docker_client import (
    DOCKER_REQUIRED_TOGETHER,
    APIError,
    DockerException,
    docker_argument_spec,
    format_docker_error,
    get_docker_client,
)
from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError

try:
    from docker.auth import load_config
    from docker.utils.build import match_tag
    from docker.utils.config import DOCKER_CONFIG_FILENAME, config_path_from_environment, find_config_file, home_dir
except ImportError:  # reported by get_docker_client(); the hash needs the SDK's context rules
    match_tag = load_config = find_config_file = config_path_from_environment = home_dir = None
    DOCKER_CONFIG_FILENAME = None

LOG_TAIL_LINES = 50
MSG_TAIL_LINES = 20


# What registries and the engine say when a login is missing, wrong or lacks rights, and when the
# registry cannot be reached (engine messages: "unauthorized: authentication required",
# "denied: requested access to the resource is denied", 'Get "http://h/v2/": dial tcp ...: connection refused').
_AUTH_ERROR = re.compile(r'unauthorized|denied|authentication required|no basic auth credentials|forbidden',
                         re.IGNORECASE)
_UNREACHABLE_ERROR = re.compile(r'dial tcp|connection refused|no such host|i/o timeout|network is unreachable|'
                                r'no route to host|connection reset|tls: |x509: |server gave HTTP response',
                                re.IGNORECASE)


class BuildError(Exception):
    """A build that the engine rejected or that failed in a step."""

    def __init__(self, message, log_tail):
        super().__init__(message)
        self.log_tail = log_tail


class RegistryError(Exception):
    """The engine could not query or push to a registry. ``kind``: auth, unreachable or other."""

    def __init__(self, message):
        super().__init__(message)
        if _AUTH_ERROR.search(message):
            self.kind = 'auth'
        elif _UNREACHABLE_ERROR.search(message):
            self.kind = 'unreachable'
        else:
            self.kind = 'other'


# ---------------------------------------------------------------------------------------------
# Engine side


class ImageBuilder:
    """Engine operations on images: inspect, find by build hash, build, tag, push, remove.

    Kept free of Ansible specifics: errors are raised (BuildError, RegistryError, docker SDK errors).
    """

    def __init__(self, client):
        self.client = client

    def inspect(self, ref):
        """Return ``{'id', 'build_hash'}`` for a reference, or None if it does not exist."""
        try:
            image = self.client.inspect_image(ref)
        except APIError as exc:
            if exc.status_code == 404:
                return None
            raise
        labels = (image.get('Config') or {}).get('Labels') or {}
        return {'id': image['Id'], 'build_hash': labels.get(HASH_LABEL)}

    def find_by_hash(self, build_hash):
        """ID of the newest image carrying the build hash label (tagged or not), or None."""
        images = self.client.images(filters={'label': '%s=%s' % (HASH_LABEL, build_hash)})
        if not images:
            return None
        return max(images, key=lambda image: image.get('Created', 0))['Id']

    def build(self, ref, context, dockerfile, args, labels, network=None, pull=False, target=None, nocache=False):
        """Build and tag ``ref``; return ``(image_id, last log lines)`` or raise BuildError."""
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
        except APIError as exc:
            error = format_docker_error(exc)
        except DockerException as exc:
            error = str(exc)
        if error is not None:
            where = ''
            if step:  # "Step 3/4 : RUN false" -> " at step 3/4 (RUN false)"
                number, _sep, instruction = step.partition(' : ')
                where = ' at %s%s' % (number.lower(), ' (%s)' % instruction if instruction else '')
            raise BuildError('Building %s failed%s: %s' % (ref, where, error.strip()), list(log))
        built = self.inspect(ref)
        if built is None:
            raise BuildError('Building %s ended without an image tagged %s.' % (ref, ref), list(log))
        return built['id'], list(log)

    def tag(self, image_id, ref):
        repository, tag = split_ref(ref)
        if not self.client.tag(image_id, repository, tag):
            raise DockerException('the engine refused to tag %s as %s' % (image_id, ref))

    def remove(self, ref, force=False):
        self.client.remove_image(ref, force=force)

    # -- registries (the engine talks to them, with the login the SDK sends along) -------------------

    def repo_digests(self, image_id, repository):
        """Manifest digests the engine recorded for the image in ``repository`` (after a push or pull)."""
        wanted = familiar_name(repository)
        digests = set()
        for entry in self.client.inspect_image(image_id).get('RepoDigests') or []:
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
            if exc.status_code == 404 or re.search(r'manifest unknown|name unknown|not found', message, re.I):
                return None
            raise RegistryError(message.strip()) from None
        except DockerException as exc:
            raise RegistryError(str(exc)) from None
        return descriptor['digest']

    def push(self, ref):
        """Push ``ref``; return ``{'digest', 'layers_pushed', 'layers_present'}`` or raise RegistryError.

        A layer counts as pushed when the engine uploaded it ("Pushed") or the registry mounted it from
        another repository ("Mounted from ..."); "Layer already exists" means it was there.
        """
        repository, tag = split_ref(ref)
        pushed, present = set(), set()
        digest = None
        try:
            for chunk in self.client.push(repository, tag=tag, stream=True, decode=True):
                if 'error' in chunk or 'errorDetail' in chunk:
                    raise RegistryError(((chunk.get('errorDetail') or {}).get('message') or chunk.get('error')).strip())
                status = chunk.get('status') or ''
                if status == 'Pushed' or status.startswith('Mounted from'):
                    pushed.add(chunk.get('id'))
                elif status == 'Layer already exists':
                    present.add(chunk.get('id'))
                aux = chunk.get('aux') or {}
                if aux.get('Digest'):
                    digest = aux['Digest']
                elif not digest:  # older engines: "<tag>: digest: sha256:... size: N"
                    match = re.search(r'digest: (sha256:[0-9a-f]{64})', status)
                    digest = match.group(1) if match else None
        except APIError as exc:
            raise RegistryError(format_docker_error(exc).strip()) from None
        except DockerException as exc:
            raise RegistryError(str(exc)) from None
        if digest is None:
            raise RegistryError('the engine did not report the digest of the pushed manifest')
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


def split_ref(ref):
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


# ---------------------------------------------------------------------------------------------
# Desired state


class ImageManager:

    def __init__(self, module):
        self.module = module
        params = module.params
        self.check_mode = module.check_mode
        self.force = params['force']
        tags = [params['tag']] + list(params['additional_tags'])
        self.refs = self._refs('name', params['name'], tags)
        self.push = params['push'] and params['state'] == 'present'
        self.push_repository = params['repository'] or params['name']
        self.push_refs = []
        if params['repository']:
            self.push_refs = self._refs('repository', params['repository'], tags)
            self.refs.extend(ref for ref in self.push_refs if ref not in self.refs)
        elif self.push:
            self.push_refs = list(self.refs)
        if self.push and not registry_host(self.push_repository):
            example = 'iad.ocir.io/<namespace>/%s' % self.push_repository.rpartition('/')[2]
            if params['repository']:
                module.fail_json(msg='push=true needs a registry host in repository (got %r), for example %s; use '
                                     'docker.io/... for Docker Hub.' % (self.push_repository, example))
            module.fail_json(msg='push=true needs a registry host: set repository, for example %s (name %r has '
                                 'none; use docker.io/... for Docker Hub).' % (example, self.push_repository))
        self.push_result = None
        self.actions = []
        self.build_log = []
        self.build_hash = None
        self.image_id = None
        self.before = {}
        self.after = {}
        self.builder = None

    def _refs(self, option, name, tags):
        if '@' in name or ':' in name.rpartition('/')[2]:
            self.module.fail_json(msg='%s must not contain a tag or digest (got %r); use tag and additional_tags.'
                                      % (option, name))
        refs = []
        for one in tags:
            ref = '%s:%s' % (name, one)
            if not match_tag(ref):
                self.module.fail_json(msg='Invalid image reference %r: the name must be lowercase and tags may contain '
                                          'only letters, digits, "_", "." and "-" (at most 128).' % ref)
            if ref not in refs:
                refs.append(ref)
        return refs

    def connect(self):
        self.builder = ImageBuilder(get_docker_client(self.module))

    def _state_of_refs(self):
        try:
            return dict((ref, self.builder.inspect(ref)) for ref in self.refs)
        except DockerException as exc:
            self.module.fail_json(msg='Cannot inspect %s: %s' % (', '.join(self.refs), format_docker_error(exc)))

    # -- state=present -------------------------------------------------------------------------

    def _build_inputs(self):
        build = self.module.params['build']
        context = os.path.abspath(build['path'])
        if not os.path.isdir(context):
            what = 'is not a directory' if os.path.exists(context) else 'does not exist'
            self.module.fail_json(msg='Build context %s (build.path) %s on the managed node (%s).'
                                      % (context, what, os.uname()[1]))
        dockerfile_path, _inside = dockerfile_location(context, build['dockerfile'])
        if not os.path.isfile(dockerfile_path):
            self.module.fail_json(msg='Dockerfile %s (build.dockerfile) not found.' % dockerfile_path)
        labels = dict((to_text(key), to_text(value)) for key, value in (build['labels'] or {}).items())
        if HASH_LABEL in labels:
            self.module.fail_json(msg='The label %s is set by the module; remove it from build.labels.' % HASH_LABEL)
        args = dict((to_text(key), to_text(value)) for key, value in (build['args'] or {}).items())
        return dict(context=context, dockerfile=build['dockerfile'], args=args, labels=labels,
                    network=build['network'], pull=build['pull'], target=build['target'])

    def present(self):
        inputs = self._build_inputs()
        try:
            self.build_hash = compute_build_hash(inputs['context'], inputs['dockerfile'], inputs['args'],
                                                 inputs['labels'], inputs['target'])
        except OracleMlflowError as exc:
            self.module.fail_json(msg=exc.message)

        self.connect()
        current = self._state_of_refs()
        self.before = dict((ref, state) for ref, state in current.items() if state)
        up_to_date = [ref for ref in self.refs if current[ref] and current[ref]['build_hash'] == self.build_hash]

        if not self.force and len(up_to_date) == len(self.refs):
            self.image_id = current[self.refs[0]]['id']
        else:
            source_id = None
            if not self.force:
                source_id = current[up_to_date[0]]['id'] if up_to_date else self._find_by_hash()
            if source_id:
                self._retag(source_id, current)
            else:
                self._build(inputs, current)
        labels = {'build_hash': self.build_hash}
        self.after = dict((ref, dict(labels, id=self.image_id) if self.image_id else dict(labels))
                          for ref in self.refs)
        if self.push:
            self._push()

    def _find_by_hash(self):
        try:
            return self.builder.find_by_hash(self.build_hash)
        except DockerException as exc:
            self.module.fail_json(msg='Cannot list images: %s' % format_docker_error(exc))

    def _retag(self, image_id, current):
        self.image_id = image_id
        for ref in self.refs:
            if current[ref] and current[ref]['id'] == image_id:
                continue
            if not self.check_mode:
                try:
                    self.builder.tag(image_id, ref)
                except DockerException as exc:
                    self.fail('Cannot tag %s as %s: %s' % (image_id, ref, format_docker_error(exc)))
            self.actions.append('tagged %s' % ref)

    def _build(self, inputs, current):
        main_ref = self.refs[0]
        self.actions.append('built %s' % main_ref)
        self.actions.extend('tagged %s' % ref for ref in self.refs[1:])
        if self.check_mode:
            return
        labels = dict(inputs['labels'])
        labels[HASH_LABEL] = self.build_hash
        try:
            self.image_id, self.build_log = self.builder.build(
                main_ref, inputs['context'], inputs['dockerfile'], inputs['args'], labels,
                network=inputs['network'], pull=inputs['pull'], target=inputs['target'], nocache=self.force)
        except BuildError as exc:
            self.build_log = exc.log_tail
            tail = '\n'.join(exc.log_tail[-MSG_TAIL_LINES:])
            self.actions = []  # a failed build tags nothing
            self.fail('%s\nLast lines of the build output:\n%s' % (exc, tail))
        for ref in self.refs[1:]:
            try:
                self.builder.tag(self.image_id, ref)
            except DockerException as exc:
                self.fail('Built %s but cannot tag it as %s: %s' % (self.image_id, ref, format_docker_error(exc)))

    # -- push (state=present) ------------------------------------------------------------------

    def _push(self):
        """Push every push ref; `changed` from evidence: layers uploaded, or the tag moved.

        Check mode compares the registry's digest of each tag with the digests the engine recorded
        for the local image in that repository (RepoDigests); see the check_mode attribute docs.
        """
        self.push_result = dict(repository=self.push_repository, digest=None, pushed_tags=[])
        if self.check_mode:
            self._check_push()
            return
        for ref in self.push_refs:
            try:
                before = self.builder.remote_digest(ref)
            except RegistryError as exc:
                if exc.kind != 'auth':
                    self._registry_failure('push', ref, exc)
                # Some registries refuse to describe a repository that does not exist yet; the push
                # decides (and fails the same way if the login really is missing).
                before = '(unknown)'
            try:
                pushed = self.builder.push(ref)
            except RegistryError as exc:
                self._registry_failure('push', ref, exc)
            if self.push_result['digest'] is None:
                self.push_result['digest'] = pushed['digest']
            if pushed['layers_pushed'] or before != pushed['digest']:
                self._pushed(ref)

    def _check_push(self):
        local = set()
        if self.image_id:  # None when a build would run first: nothing to compare, every tag is pushed
            try:
                local = self.builder.repo_digests(self.image_id, self.push_repository)
            except DockerException as exc:
                self.fail('Cannot inspect %s: %s' % (self.image_id, format_docker_error(exc)))
        for ref in self.push_refs:
            try:
                remote = self.builder.remote_digest(ref)  # also proves the login and the registry's address
            except RegistryError as exc:
                self._registry_failure('check', ref, exc)
            if remote is not None and remote in local:
                self.push_result['digest'] = remote
            else:
                self._pushed(ref)

    def _pushed(self, ref):
        self.push_result['pushed_tags'].append(split_ref(ref)[1])
        self.actions.append('pushed %s' % ref)

    def _registry_failure(self, step, ref, exc):
        host = registry_host(ref)
        doing = 'pushing %s' % ref if step == 'push' else 'looking up %s in its registry' % ref
        opening = doing[0].upper() + doing[1:]  # the same words at the start of a sentence
        if exc.kind == 'auth':
            has_login, config_file = self.builder.stored_login(host)
            if has_login:
                why = ('the login stored for %s in %s was refused (expired token, wrong user or namespace, or no '
                       'push rights on the repository)' % (host, config_file))
                todo = 'Log in again with oracle.mlflow.ocir_login (registry: %s)' % host
            else:
                why = 'there is no login for %s in %s' % (host, config_file)
                todo = 'Log in first with oracle.mlflow.ocir_login (registry: %s)' % host
            self.fail('%s was refused by the registry %s (%s): %s. %s, or with docker login %s for a registry '
                      'other than OCIR.' % (opening, host, exc, why, todo, host))
        if exc.kind == 'unreachable':
            self.fail('Cannot reach the registry %s (%s failed: %s). Check the registry host in %s and that the Docker '
                      'engine (docker_host) can reach it.'
                      % (host, doing, exc, 'repository' if self.module.params['repository'] else 'name'))
        self.fail('%s failed: %s' % (opening, exc))

    # -- state=absent --------------------------------------------------------------------------

    def absent(self):
        self.connect()
        current = self._state_of_refs()
        self.before = dict((ref, state) for ref, state in current.items() if state)
        for ref in self.refs:
            if not current[ref]:
                continue
            if not self.check_mode:
                try:
                    self.builder.remove(ref, force=self.force)
                except APIError as exc:
                    hint = ''
                    if exc.status_code == 409:
                        hint = (' A container uses the image: remove the container first, or set force=true to '
                                'remove the tag anyway.')
                    self.fail('Cannot remove %s: %s.%s' % (ref, format_docker_error(exc), hint))
                except DockerException as exc:
                    self.fail('Cannot remove %s: %s' % (ref, exc))
            self.actions.append('removed %s' % ref)

    # -- results -------------------------------------------------------------------------------

    def result(self):
        result = dict(
            changed=bool(self.actions),
            image_id=self.image_id,
            tags=list(self.refs),
            build_hash=self.build_hash,
            actions=list(self.actions),
            build_log=list(self.build_log),
        )
        if self.push_result is not None:
            result['push'] = dict(self.push_result, pushed_tags=list(self.push_result['pushed_tags']))
        if self.module._diff:
            result['diff'] = dict(before=self.before, after=self.after)
        return result

    def fail(self, msg):
        result = self.result()
        result.pop('diff', None)
        self.module.fail_json(msg=msg, **result)


def main():
    argument_spec = docker_argument_spec(
        name=dict(type='str', required=True),
        tag=dict(type='str', default='latest'),
        additional_tags=dict(type='list', elements='str', default=[]),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        force=dict(type='bool', default=False),
        repository=dict(type='str'),
        push=dict(type='bool', default=False),
        build=dict(
            type='dict',
            options=dict(
                path=dict(type='path', required=True),
                dockerfile=dict(type='str', default='Dockerfile'),
                args=dict(type='dict', default={}),
                labels=dict(type='dict', default={}),
                network=dict(type='str'),
                pull=dict(type='bool', default=False),
                target=dict(type='str'),
            ),
        ),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_if=[('state', 'present', ['build'])],
        required_together=DOCKER_REQUIRED_TOGETHER,
        supports_check_mode=True,
    )
    if match_tag is None:
        # Let the shared client code report the missing SDK with its usual message.
        get_docker_client(module)

    manager = ImageManager(module)
    if module.params['state'] == 'present':
        manager.present()
    else:
        manager.absent()
    module.exit_json(**manager.result())


if __name__ == '__main__':
    main()
