#!/usr/bin/python
# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: object_storage_bucket
short_description: Make sure an OCI Object Storage bucket exists (and can be written), or is gone
version_added: 0.1.0
description:
  - Checks that an OCI Object Storage bucket exists, creates it when asked (O(compartment_id)), or deletes an empty one
    (O(state=absent)), on the managed node with that node's OCI identity (O(auth_type)).
  - With O(check_writable=true) it also proves that the principal can use the bucket as an artifact store; it writes a small
    probe object under O(write_probe_prefix), reads it back and deletes it. The probe never counts as a change.
  - Failures say what to fix; a bucket OCI does not show (404 C(BucketNotFound)) may be missing or hidden by a missing IAM
    policy for the principal, and the message names both and the O(auth_type) used. A O(namespace) that is not the
    tenancy's is named next to the tenancy's own.
author:
  - oracle.mlflow contributors (!UNKNOWN)
extends_documentation_fragment:
  - oracle.mlflow.oci_auth
  - oracle.mlflow.attributes
  - oracle.mlflow.attributes.ACTIONGROUP_OCI
attributes:
  check_mode:
    support: full
    details:
      - Reads the bucket and reports whether it would be created or deleted; creates, deletes and writes nothing. The write
        probe is skipped (RV(writable) is V(null)).
  diff_mode:
    support: full
    details:
      - The bucket's state, name, namespace, compartment and storage tier before and after.
  idempotent:
    support: full
options:
  name:
    description:
      - Name of the bucket.
    type: str
    required: true
    aliases:
      - bucket
  namespace:
    description:
      - Object Storage namespace of the bucket.
      - Default is the namespace of the principal's tenancy (GetNamespace).
    type: str
  compartment_id:
    description:
      - OCID of the compartment to create the bucket in, when it does not exist and O(state=present).
      - Without it a missing bucket is an error; it is not used for a bucket that exists.
    type: str
  state:
    description:
      - V(present) the bucket must exist (created in O(compartment_id) when that is set).
      - V(absent) the bucket must not exist. A bucket that still holds objects or multipart uploads is never deleted
        (the task fails and says so); empty it first.
    type: str
    choices: [present, absent]
    default: present
  storage_tier:
    description:
      - Storage tier of a bucket the module creates. The tier of an existing bucket cannot change; a different one gives a
        warning.
    type: str
    choices: [Standard, Archive]
    default: Standard
  check_writable:
    description:
      - With O(state=present), prove that the principal can write, read and delete objects under O(write_probe_prefix). Put a
        small probe object, read it back, delete it. Not done in check mode.
      - A principal that can write and read but not delete gives a warning (the probe object stays; MLflow needs delete to
        remove artifacts).
    type: bool
    default: false
  write_probe_prefix:
    description:
      - Object name prefix of the probe object, for example the path of an C(oci://bucket@namespace/path) artifact location,
        so that a policy limited to that prefix is tested. A C(/) is added between it and the probe's name.
    type: str
    default: ""
notes:
  - "The principal needs IAM policies such as C(allow dynamic-group <group> to read buckets in compartment <compartment>) to
    check the bucket, C(... to manage objects in compartment <compartment> where target.bucket.name = '<bucket>') for the
    write probe, and C(... to manage buckets ...) to create or delete it. Use C(group) instead of C(dynamic-group) for the
    user of an API key."
  - Buckets are created without public access. An existing bucket with public access gives a warning.
seealso:
  - name: Object Storage buckets (OCI API)
    description: GetBucket, CreateBucket and DeleteBucket.
    link: https://docs.oracle.com/en-us/iaas/api/#/en/objectstorage/20160918/Bucket/
"""

EXAMPLES = r"""
- name: Check that the artifact bucket exists and that this instance may write to it
  oracle.mlflow.object_storage_bucket:
    auth_type: instance_principal
    name: mlflow-artifacts
    check_writable: true
    write_probe_prefix: experiments

- name: Create the bucket when it is missing
  oracle.mlflow.object_storage_bucket:
    name: mlflow-artifacts
    compartment_id: ocid1.compartment.oc1..aaaaaaaaexampleexample
  register: bucket

- name: Remove the bucket (only when it is empty)
  oracle.mlflow.object_storage_bucket:
    name: mlflow-artifacts-old
    state: absent
"""

RETURN = r"""
bucket:
  description: The bucket as OCI describes it; V(null) when it does not exist (or would be created in check mode).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the bucket.
      type: str
      sample: mlflow-artifacts
    namespace:
      description: Namespace of the bucket.
      type: str
      sample: axaxnpcrorw5
    compartment_id:
      description: OCID of the bucket's compartment.
      type: str
      sample: ocid1.compartment.oc1..aaaaaaaaexampleexample
    id:
      description: OCID of the bucket.
      type: str
      sample: ocid1.bucket.oc1.iad.aaaaaaaaexample
    storage_tier:
      description: Storage tier.
      type: str
      sample: Standard
    public_access_type:
      description: Public access of the bucket.
      type: str
      sample: NoPublicAccess
    etag:
      description: ETag of the bucket.
      type: str
    time_created:
      description: When the bucket was created (ISO 8601).
      type: str
namespace:
  description: Namespace the module used (O(namespace), or the tenancy's).
  returned: always
  type: str
  sample: axaxnpcrorw5
tenancy_namespace:
  description: Namespace of the principal's tenancy.
  returned: always
  type: str
  sample: axaxnpcrorw5
writable:
  description:
    - Whether the write probe passed. V(null) when it was not run (O(check_writable=false), check mode, O(state=absent)).
  returned: always
  type: bool
  sample: true
error_kind:
  description:
    - Why the task failed. V(invalid) bad options; V(auth) the OCI principal could not be set up; V(missing) the bucket is not
      there (or not visible, a 404); V(namespace) the namespace is not the tenancy's and the bucket is not visible in it;
      V(denied) 401 or 403, or the write probe was refused; V(not_empty) O(state=absent) on a bucket that holds objects;
      V(error) anything else (unreachable endpoint, timeouts, server errors).
  returned: on failure
  type: str
  sample: missing
status:
  description: HTTP status of the error answer of OCI that failed the task.
  returned: on failure, when an error answer of OCI failed the task (not for a bucket that is not there)
  type: int
  sample: 404
code:
  description: Error code of that answer.
  returned: on failure, when an error answer of OCI failed the task (not for a bucket that is not there)
  type: str
  sample: BucketNotFound
opc_request_id:
  description: The C(opc-request-id) of that answer, also in the message; Oracle support asks for it.
  returned: on failure, when an error answer of OCI failed the task (not for a bucket that is not there)
  type: str
  sample: 3F6A0C7E9B2D4A1F8E5C6B7A9D0E1F2A/0123456789ABCDEF0123456789ABCDEF/FEDCBA9876543210FEDCBA9876543210
"""

import uuid

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_auth import HAS_OCI_SDK
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_errors import (
    CREDENTIALS_HINT,
    describe_service_error,
    policy_subject,
    reaching,
    service_answer,
    service_details,
)
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_module import OciModule

if HAS_OCI_SDK:
    import oci


PROBE_NAME = '.oracle-mlflow-write-probe-'
PROBE_BODY = b'oracle.mlflow write probe; safe to delete\n'


class BucketManager(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.auth_type = self.params['auth_type']
        self.name = self.params['name']
        self.client = None
        self.namespace = self.params['namespace']
        self.tenancy_namespace = None
        self.warnings = []

    # -- plumbing ------------------------------------------------------------------------------------

    def call(self, what, method, *args, **kwargs):
        """``method(*args, **kwargs)``; connection failures are errors of kind ``error`` (documented so since
        0.1.0), ServiceError passes."""
        with reaching(self.client, 'OCI Object Storage', '(%s)' % what, kind='error'):
            return method(*args, **kwargs)

    def policy_hint(self, verb, resource):
        return ("an IAM policy such as 'allow %s <%s of this principal> to %s %s in compartment <compartment>' "
                "(auth_type=%s)" % (policy_subject(self.auth_type), policy_subject(self.auth_type), verb, resource,
                                    self.auth_type))

    def where(self):
        return "bucket '%s' in namespace '%s'" % (self.name, self.namespace)

    def refusal(self, exc, doing, verb, resource):
        """The error for a 401/403/404 (or other) answer to ``doing``."""
        if exc.status == 401:
            return OracleMlflowError('denied', "OCI did not accept the credentials (auth_type=%s) %s [%s]: %s."
                                     % (self.auth_type, doing, service_answer(exc), CREDENTIALS_HINT),
                                     **service_details(exc))
        if exc.status in (403, 404):
            return OracleMlflowError('denied', (
                "OCI refused %s with auth_type=%s [%s]: this may be a missing IAM policy for that principal: %s."
                % (doing, self.auth_type, service_answer(exc), self.policy_hint(verb, resource))), **service_details(exc))
        return describe_service_error(exc, doing, kind='error')

    # -- reads ---------------------------------------------------------------------------------------

    def resolve_namespace(self):
        try:
            self.tenancy_namespace = self.call('GetNamespace', self.client.get_namespace).data
        except oci.exceptions.ServiceError as exc:
            raise self.refusal(exc, 'reading the tenancy namespace (GetNamespace)', 'read', 'buckets') from None
        self.namespace = self.params['namespace'] or self.tenancy_namespace

    def foreign_namespace(self):
        return self.namespace != self.tenancy_namespace

    def namespace_error(self):
        return OracleMlflowError('namespace', (
            "Namespace '%s' is not the namespace of this principal's tenancy ('%s'), and OCI shows no bucket '%s' "
            "in it (auth_type=%s). Fix the namespace (the @namespace part of an oci:// URI), or, for a bucket of "
            "another tenancy, make sure cross-tenancy policies allow this principal to use it."
            % (self.namespace, self.tenancy_namespace, self.name, self.auth_type)))

    def get_bucket(self):
        """The bucket's data, or None on 404 (missing, or not visible to this principal)."""
        try:
            return self.call('GetBucket', self.client.get_bucket, self.namespace, self.name,
                             fields=['approximateCount']).data
        except oci.exceptions.ServiceError as exc:
            if exc.status == 404:
                return None
            raise self.refusal(exc, 'reading the %s' % self.where(), 'read', 'buckets') from None

    def missing_error(self):
        if self.foreign_namespace():
            return self.namespace_error()
        return OracleMlflowError('missing', (
            "The %s does not exist; create it or set compartment_id (to let this task create it). If it does exist, "
            "this principal may not see it: OCI answers both with 404 BucketNotFound, and this may be a missing IAM "
            "policy for that principal: %s." % (self.where(), self.policy_hint('read', 'buckets'))))

    def has_content(self):
        """Whether the bucket holds objects or multipart uploads (absent refuses those)."""
        try:
            objects = self.call('ListObjects', self.client.list_objects, self.namespace, self.name, limit=1).data
            uploads = self.call('ListMultipartUploads', self.client.list_multipart_uploads, self.namespace, self.name,
                                limit=1).data
        except oci.exceptions.ServiceError as exc:
            raise self.refusal(exc, 'listing the objects of the %s' % self.where(), 'inspect', 'objects') from None
        return bool(objects.objects) or bool(uploads)

    # -- changes -------------------------------------------------------------------------------------

    def create(self):
        details = oci.object_storage.models.CreateBucketDetails(
            name=self.name, compartment_id=self.params['compartment_id'],
            storage_tier=self.params['storage_tier'], public_access_type='NoPublicAccess')
        try:
            return self.call('CreateBucket', self.client.create_bucket, self.namespace, details).data
        except oci.exceptions.ServiceError as exc:
            if exc.status == 409 and exc.code == 'BucketAlreadyExists':
                raise OracleMlflowError('denied', (
                    "The %s exists but this principal cannot see it (GetBucket answered 404, CreateBucket 409 "
                    "BucketAlreadyExists): this may be a missing IAM policy for that principal: %s."
                    % (self.where(), self.policy_hint('read', 'buckets')))) from None
            raise self.refusal(exc, 'creating the %s in compartment %s' % (self.where(), self.params['compartment_id']),
                               'manage', 'buckets') from None

    def delete(self):
        try:
            self.call('DeleteBucket', self.client.delete_bucket, self.namespace, self.name)
        except oci.exceptions.ServiceError as exc:
            if exc.status == 409 and exc.code == 'BucketNotEmpty':
                raise self.not_empty_error() from None
            if exc.status == 404:
                return False  # gone meanwhile
            raise self.refusal(exc, 'deleting the %s' % self.where(), 'manage', 'buckets') from None
        return True

    def not_empty_error(self):
        return OracleMlflowError('not_empty', (
            "The %s is not empty (it holds objects or multipart uploads): state=absent never deletes objects. Empty "
            "the bucket first (for example 'oci os object bulk-delete --bucket-name %s'), then run again."
            % (self.where(), self.name)))

    def probe(self):
        """Put, read back and delete a probe object; returns True, or raises OracleMlflowError('denied')."""
        prefix = self.params['write_probe_prefix'].strip('/')
        name = '%s%s%s' % (prefix + '/' if prefix else '', PROBE_NAME, uuid.uuid4().hex)
        shown = "'%s' in the %s" % (name, self.where())
        try:
            self.call('PutObject', self.client.put_object, self.namespace, self.name, name, PROBE_BODY,
                      content_type='text/plain')
        except oci.exceptions.ServiceError as exc:
            raise self.refusal(exc, 'writing the probe object %s' % shown, 'manage', 'objects') from None
        try:
            body = self.call('GetObject', self.client.get_object, self.namespace, self.name, name).data.content
        except oci.exceptions.ServiceError as exc:
            self.delete_probe(name, shown)
            raise self.refusal(exc, 'reading back the probe object %s' % shown, 'read', 'objects') from None
        if body != PROBE_BODY:
            self.delete_probe(name, shown)
            raise OracleMlflowError('error', 'The probe object %s read back different bytes than were written.' % shown)
        self.delete_probe(name, shown)
        return True

    def delete_probe(self, name, shown):
        try:
            self.call('DeleteObject', self.client.delete_object, self.namespace, self.name, name)
        except oci.exceptions.ServiceError as exc:
            self.warnings.append(
                "This principal (auth_type=%s) can write to the %s but cannot delete objects [%s]: the probe object "
                "'%s' is left there, and MLflow cannot delete artifacts. Grant 'manage objects' (%s)."
                % (self.auth_type, self.where(), service_answer(exc), name, self.policy_hint('manage', 'objects')))

    # -- the task ------------------------------------------------------------------------------------

    def run(self):
        self.client = self.module.client(oci.object_storage.ObjectStorageClient)
        self.resolve_namespace()
        bucket = self.get_bucket()
        if self.params['state'] == 'absent':
            return self.absent(bucket)
        return self.present(bucket)

    def present(self, bucket):
        changed = False
        if bucket is None:
            if self.foreign_namespace():
                raise self.namespace_error()
            if not self.params['compartment_id']:
                raise self.missing_error()
            changed = True
            if not self.module.check_mode:
                bucket = self.create()
        else:
            self.check_existing(bucket)
        writable = None
        if self.params['check_writable'] and not self.module.check_mode:
            writable = self.probe()
        after = self.diff_state(bucket) if bucket is not None else self.desired_state()
        return dict(changed=changed, bucket=describe_bucket(bucket), writable=writable,
                    diff=dict(before=self.diff_state(None) if changed else after, after=after))

    def check_existing(self, bucket):
        if bucket.storage_tier and bucket.storage_tier != self.params['storage_tier'] \
                and self.params['compartment_id']:
            self.warnings.append("The %s exists with storage tier %s, not %s: the tier of a bucket cannot change."
                                 % (self.where(), bucket.storage_tier, self.params['storage_tier']))
        if bucket.public_access_type and bucket.public_access_type != 'NoPublicAccess':
            self.warnings.append("The %s allows public access (%s): anyone may read the artifacts in it."
                                 % (self.where(), bucket.public_access_type))

    def absent(self, bucket):
        if bucket is None:
            return dict(changed=False, bucket=None, writable=None,
                        diff=dict(before=self.diff_state(None), after=self.diff_state(None)))
        if self.has_content():
            raise self.not_empty_error()
        changed = True
        if not self.module.check_mode:
            changed = self.delete()
        return dict(changed=changed, bucket=None, writable=None,
                    diff=dict(before=self.diff_state(bucket), after=self.diff_state(None)))

    def diff_state(self, bucket):
        if bucket is None:
            return dict(state='absent', name=self.name, namespace=self.namespace)
        return dict(state='present', name=bucket.name, namespace=bucket.namespace,
                    compartment_id=bucket.compartment_id, storage_tier=bucket.storage_tier)

    def desired_state(self):
        return dict(state='present', name=self.name, namespace=self.namespace,
                    compartment_id=self.params['compartment_id'], storage_tier=self.params['storage_tier'])


def describe_bucket(bucket):
    if bucket is None:
        return None
    created = getattr(bucket, 'time_created', None)
    return dict(name=bucket.name, namespace=bucket.namespace, compartment_id=bucket.compartment_id,
                id=getattr(bucket, 'id', None), storage_tier=getattr(bucket, 'storage_tier', None),
                public_access_type=getattr(bucket, 'public_access_type', None), etag=bucket.etag,
                time_created=created.isoformat() if created is not None else None)


def check_options(params):
    """Raise ``OracleMlflowError('invalid')`` for options that cannot work; checked before any call."""
    problem = None
    if not params['name'].strip() or '/' in params['name']:
        problem = "name '%s' is not a bucket name (letters, digits, '-', '_' and '.')." % params['name']
    elif params['check_writable'] and params['state'] == 'absent':
        problem = 'check_writable applies to state=present only.'
    elif params['compartment_id'] is not None and not params['compartment_id'].startswith('ocid1.'):
        problem = "compartment_id '%s' is not an OCID (ocid1.compartment.<realm>..<unique id>, or the tenancy's OCID)." \
            % params['compartment_id']
    if problem:
        raise OracleMlflowError('invalid', problem)


def main():
    module = OciModule(
        argument_spec=dict(
            name=dict(type='str', required=True, aliases=['bucket']),
            namespace=dict(type='str'),
            compartment_id=dict(type='str'),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            storage_tier=dict(type='str', default='Standard', choices=['Standard', 'Archive']),
            check_writable=dict(type='bool', default=False),
            write_probe_prefix=dict(type='str', default=''),
        ),
        supports_check_mode=True,
        failure_result=lambda params: dict(changed=False, bucket=None, writable=None, namespace=params['namespace'],
                                           tenancy_namespace=None),
    )
    manager = BucketManager(module)
    try:
        check_options(module.params)
        result = manager.run()
    except OracleMlflowError as error:
        for warning in manager.warnings:
            module.warn(warning)
        module.fail(error, namespace=manager.namespace, tenancy_namespace=manager.tenancy_namespace)
    for warning in manager.warnings:
        module.warn(warning)
    if not module._diff:
        result.pop('diff')
    module.exit_json(namespace=manager.namespace, tenancy_namespace=manager.tenancy_namespace, **result)


if __name__ == '__main__':
    main()
