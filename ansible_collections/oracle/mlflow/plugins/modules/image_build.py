#!/usr/bin/python
# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_build
short_description: Build a Docker image from a local context when its inputs changed, and push it to a registry
version_added: 0.2.0
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
  - Called C(oracle.mlflow.image) in 0.1.0. That name still works and runs this module, with the same options, results
    and build hashes (images built with it are not rebuilt).
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
  oracle.mlflow.image_build:
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
  oracle.mlflow.image_build:
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
  oracle.mlflow.image_build:
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
      oracle.mlflow.image_build:
        name: oci-mlflow
        build:
          path: /opt/oci-mlflow/build

- name: Remove both tags (and the image once untagged)
  oracle.mlflow.image_build:
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
error_kind:
  description:
    - Why the task failed. V(invalid) the options are wrong (a reference, O(push=true) without a registry host, the
      build hash label in O(build.labels), the TLS settings); V(missing) the build context or the Dockerfile does not
      exist; V(auth) no login is stored for the registry; V(denied) the registry refused the stored login;
      V(unreachable) the Docker engine or the registry cannot be reached; V(conflict) O(state=absent) and a container
      uses the image; V(error) anything else (a failed build step, an unreadable context, other engine or registry
      errors).
    - The other return values say what was done before the failure.
  returned: on failure
  type: str
  sample: auth
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.oracle.mlflow.plugins.module_utils._build_context import (
    HASH_LABEL,
    compute_build_hash,
    dockerfile_location,
)
from ansible_collections.oracle.mlflow.plugins.module_utils._docker_client import (
    DOCKER_REQUIRED_TOGETHER,
    check_docker_sdk,
    docker_argument_spec,
    get_docker_client,
)
from ansible_collections.oracle.mlflow.plugins.module_utils._docker_image import (
    ImageEngine,
    registry_host,
    split_ref,
)
from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError

try:
    from docker.utils.build import match_tag
except ImportError:  # check_docker_sdk() reports it
    match_tag = None

MSG_TAIL_LINES = 20


def image_refs(option, name, tags):
    """``name:tag`` for each tag, without repeats; ``option`` names ``name`` in errors."""
    if '@' in name or ':' in name.rpartition('/')[2]:
        raise OracleMlflowError('invalid', '%s must not contain a tag or digest (got %r); use tag and additional_tags.'
                                % (option, name))
    refs = []
    for one in tags:
        ref = '%s:%s' % (name, one)
        if not match_tag(ref):
            raise OracleMlflowError('invalid', 'Invalid image reference %r: the name must be lowercase and tags may '
                                               'contain only letters, digits, "_", "." and "-" (at most 128).' % ref)
        if ref not in refs:
            refs.append(ref)
    return refs


class ImageManager:
    """The decisions: what to build, tag, push or remove so that the task's tags are as asked.

    Reads the module's params; talks to the engine only through the ``ImageEngine`` that ``connect()``
    returns, once the inputs are known to be valid. Every failure is an ``OracleMlflowError``; the result so
    far (``result()``) goes with it.
    """

    def __init__(self, params, check_mode):
        self.params = params
        self.check_mode = check_mode
        self.force = params['force']
        tags = [params['tag']] + list(params['additional_tags'])
        self.refs = image_refs('name', params['name'], tags)
        self.push = params['push'] and params['state'] == 'present'
        self.push_repository = params['repository'] or params['name']
        self.push_refs = []
        if params['repository']:
            self.push_refs = image_refs('repository', params['repository'], tags)
            self.refs.extend(ref for ref in self.push_refs if ref not in self.refs)
        elif self.push:
            self.push_refs = list(self.refs)
        if self.push and not registry_host(self.push_repository):
            example = 'iad.ocir.io/<namespace>/%s' % self.push_repository.rpartition('/')[2]
            if params['repository']:
                raise OracleMlflowError('invalid', 'push=true needs a registry host in repository (got %r), for example '
                                                   '%s; use docker.io/... for Docker Hub.' % (self.push_repository, example))
            raise OracleMlflowError('invalid', 'push=true needs a registry host: set repository, for example %s (name %r '
                                               'has none; use docker.io/... for Docker Hub).' % (example, self.push_repository))
        self.push_result = None
        self.actions = []
        self.build_log = []
        self.build_hash = None
        self.image_id = None
        self.before = {}
        self.after = {}
        self.engine = None

    def run(self, connect):
        """Bring the tags to ``state``; ``connect()`` returns the ``ImageEngine`` to use."""
        if self.params['state'] == 'present':
            self.present(connect)
        else:
            self.absent(connect)

    def _current(self, connect):
        """Connect, and read what each requested tag points to now."""
        self.engine = connect()
        current = self.engine.inspect(self.refs)
        self.before = dict((ref, state) for ref, state in current.items() if state)
        return current

    # -- state=present -------------------------------------------------------------------------

    def _build_inputs(self):
        build = self.params['build']
        context = os.path.abspath(build['path'])
        if not os.path.isdir(context):
            what = 'is not a directory' if os.path.exists(context) else 'does not exist'
            raise OracleMlflowError('missing', 'Build context %s (build.path) %s on the managed node (%s).'
                                    % (context, what, os.uname()[1]))
        dockerfile_path, _inside = dockerfile_location(context, build['dockerfile'])
        if not os.path.isfile(dockerfile_path):
            raise OracleMlflowError('missing', 'Dockerfile %s (build.dockerfile) not found.' % dockerfile_path)
        labels = dict((to_text(key), to_text(value)) for key, value in (build['labels'] or {}).items())
        if HASH_LABEL in labels:
            raise OracleMlflowError('invalid', 'The label %s is set by the module; remove it from build.labels.'
                                    % HASH_LABEL)
        args = dict((to_text(key), to_text(value)) for key, value in (build['args'] or {}).items())
        return dict(context=context, dockerfile=build['dockerfile'], args=args, labels=labels,
                    network=build['network'], pull=build['pull'], target=build['target'])

    def present(self, connect):
        inputs = self._build_inputs()
        self.build_hash = compute_build_hash(inputs['context'], inputs['dockerfile'], inputs['args'],
                                             inputs['labels'], inputs['target'])
        current = self._current(connect)
        up_to_date = [ref for ref in self.refs if current[ref] and current[ref]['build_hash'] == self.build_hash]

        if not self.force and len(up_to_date) == len(self.refs):
            self.image_id = current[self.refs[0]]['id']
        else:
            source_id = None
            if not self.force:
                source_id = current[up_to_date[0]]['id'] if up_to_date else self.engine.find_by_hash(self.build_hash)
            if source_id:
                self._retag(source_id, current)
            else:
                self._build(inputs)
        labels = {'build_hash': self.build_hash}
        self.after = dict((ref, dict(labels, id=self.image_id) if self.image_id else dict(labels))
                          for ref in self.refs)
        if self.push:
            self._push()

    def _retag(self, image_id, current):
        self.image_id = image_id
        for ref in self.refs:
            if current[ref] and current[ref]['id'] == image_id:
                continue
            if not self.check_mode:
                self.engine.tag(image_id, ref)
            self.actions.append('tagged %s' % ref)

    def _build(self, inputs):
        main_ref = self.refs[0]
        self.actions.append('built %s' % main_ref)
        self.actions.extend('tagged %s' % ref for ref in self.refs[1:])
        if self.check_mode:
            return
        labels = dict(inputs['labels'])
        labels[HASH_LABEL] = self.build_hash
        try:
            self.image_id, self.build_log = self.engine.build(
                main_ref, inputs['context'], inputs['dockerfile'], inputs['args'], labels,
                network=inputs['network'], pull=inputs['pull'], target=inputs['target'], nocache=self.force)
        except OracleMlflowError as exc:
            self.build_log = exc.details.get('build_log', [])
            self.actions = []  # a failed build tags nothing
            tail = '\n'.join(self.build_log[-MSG_TAIL_LINES:])
            raise OracleMlflowError(exc.kind, '%s\nLast lines of the build output:\n%s' % (exc, tail)) from None
        for ref in self.refs[1:]:
            self.engine.tag(self.image_id, ref, what='Built %s but cannot tag it as %s' % (self.image_id, ref))

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
                before = self.engine.remote_digest(ref)
            except OracleMlflowError as exc:
                if exc.kind != 'denied':
                    raise self._registry_failure(exc, ref, pushing=True) from None
                # Some registries refuse to describe a repository that does not exist yet; the push
                # decides (and fails the same way if the login really is missing).
                before = None  # not known: the tag counts as moved
            try:
                pushed = self.engine.push(ref)
            except OracleMlflowError as exc:
                raise self._registry_failure(exc, ref, pushing=True) from None
            if self.push_result['digest'] is None:
                self.push_result['digest'] = pushed['digest']
            if pushed['layers_pushed'] or before != pushed['digest']:
                self._pushed(ref)

    def _check_push(self):
        local = set()
        if self.image_id:  # None when a build would run first: nothing to compare, every tag is pushed
            local = self.engine.repo_digests(self.image_id, self.push_repository)
        for ref in self.push_refs:
            try:
                remote = self.engine.remote_digest(ref)  # also proves the login and the registry's address
            except OracleMlflowError as exc:
                raise self._registry_failure(exc, ref, pushing=False) from None
            if remote is not None and remote in local:
                self.push_result['digest'] = remote
            else:
                self._pushed(ref)

    def _registry_failure(self, exc, ref, pushing):
        return self.engine.registry_failure(exc, ref, pushing, 'repository' if self.params['repository'] else 'name')

    def _pushed(self, ref):
        self.push_result['pushed_tags'].append(split_ref(ref)[1])
        self.actions.append('pushed %s' % ref)

    # -- state=absent --------------------------------------------------------------------------

    def absent(self, connect):
        current = self._current(connect)
        for ref in self.refs:
            if not current[ref]:
                continue
            if not self.check_mode:
                try:
                    self.engine.remove(ref, force=self.force)
                except OracleMlflowError as exc:
                    if exc.kind != 'conflict':
                        raise
                    raise OracleMlflowError('conflict', '%s A container uses the image: remove the container first, '
                                                        'or set force=true to remove the tag anyway.' % exc) from None
            self.actions.append('removed %s' % ref)

    # -- results -------------------------------------------------------------------------------

    def result(self, diff=False):
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
        if diff:
            result['diff'] = dict(before=self.before, after=self.after)
        return result


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
    check_docker_sdk(module)
    try:
        manager = ImageManager(module.params, module.check_mode)
    except OracleMlflowError as exc:
        module.fail_json(**exc.result())
    try:
        manager.run(lambda: ImageEngine(get_docker_client(module)))
    except OracleMlflowError as exc:
        module.fail_json(**dict(manager.result(), **exc.result()))
    module.exit_json(**manager.result(diff=module._diff))


if __name__ == '__main__':
    main()
