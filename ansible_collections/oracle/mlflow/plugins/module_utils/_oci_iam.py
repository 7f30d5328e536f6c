# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OCI IAM for the oracle.mlflow modules: the canonical forms that compare dynamic-group matching rules and policy
statements by meaning, and ``IamResourceManager``, the present/absent flow ``iam_dynamic_group`` and ``iam_policy``
share (find by name, create, update, delete, wait for ACTIVE, check mode, diff).

Private to this collection (underscore prefix): no compatibility promise outside it.

Canonical forms (``canonical_matching_rule``, ``canonical_statement``): white space, the quote style of values,
the case of keywords, verbs, resource types, variable names and group and compartment names, and the order of the
clauses of ``ALL {...}`` / ``ANY {...}`` (``all`` / ``any`` in statements) and of the subjects of a statement do
not count; an ``ALL`` or ``ANY`` of one clause is that clause. Values keep their case. Text that does not parse
(OCI will say what is wrong with it) is compared by its words, with white space and keyword case folded.
Nothing here validates: OCI does, and its answer is reported.
"""

from __future__ import annotations

import re

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_auth import HAS_OCI_SDK
from ansible_collections.oracle.mlflow.plugins.module_utils._oci_errors import describe_service_error, reaching

if HAS_OCI_SDK:
    import oci

IAM_POLL = 1  # seconds between two reads while waiting for ACTIVE: IAM changes take seconds, not minutes
ACTIVE = 'ACTIVE'
FAILED_STATES = ('INACTIVE', 'DELETING', 'DELETED')
DEFAULT_DESCRIPTION = 'Managed by Ansible (oracle.mlflow.%s)'
SERVICE = 'OCI Identity'

# -- canonical forms ---------------------------------------------------------------------------------------

_TOKEN = re.compile(r"""\s*(?:'([^']*)'|"([^"]*)"|(!=|=|\{|\}|,|/)|([^\s'"{}=,/]+))""")


class _Unparsed(Exception):
    """The text is not in the shape the canonical form knows."""


def _tokens(text):
    """[(kind, text)]: ('value', quoted text without quotes), ('op', ...), ('word', lower-cased), ('raw', as written)."""
    tokens, position = [], 0
    text = text or ''
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            tokens.append(('raw', text[position:].strip()))
            break
        single, double, op, word = match.groups()
        if op is not None:
            tokens.append(('op', op))
        elif word is not None:
            tokens.append(('word', word))
        else:
            tokens.append(('value', single if single is not None else double))
        position = match.end()
    return tokens


def _flat(tokens):
    """Words lower-cased, values in single quotes, one space between tokens."""
    return ' '.join("'%s'" % t if kind == 'value' else t.lower() if kind == 'word' else t for kind, t in tokens)


class _Reader(object):
    def __init__(self, tokens):
        self.tokens, self.index = tokens, 0

    def peek(self, offset=0):
        index = self.index + offset
        return self.tokens[index] if index < len(self.tokens) else (None, None)

    def take(self):
        token = self.peek()
        if token[0] is None:
            raise _Unparsed()
        self.index += 1
        return token

    def word(self):
        kind, text = self.take()
        if kind != 'word':
            raise _Unparsed()
        return text.lower()

    def at_word(self, *words):
        kind, text = self.peek()
        return kind == 'word' and text.lower() in words

    def at_op(self, op):
        return self.peek() == ('op', op)

    def done(self):
        return self.peek()[0] is None


def _condition(reader):
    """The canonical text of one condition: a comparison, or all/any {...} with its parts sorted."""
    if reader.at_word('all', 'any') and reader.peek(1) == ('op', '{'):
        every = reader.word()
        reader.take()
        parts = [_condition(reader)]
        while reader.at_op(','):
            reader.take()
            parts.append(_condition(reader))
        if reader.take() != ('op', '}'):
            raise _Unparsed()
        parts = sorted(set(parts))
        return parts[0] if len(parts) == 1 else '%s {%s}' % (every, ', '.join(parts))
    variable = reader.word()
    kind, op = reader.take()
    if kind != 'op' or op not in ('=', '!='):
        raise _Unparsed()
    kind, value = reader.take()
    if kind not in ('value', 'word'):
        raise _Unparsed()
    return "%s %s '%s'" % (variable, op, value)


def canonical_matching_rule(text):
    """A dynamic group's matching rule in a form where equal meaning gives equal text (see above)."""
    tokens = _tokens(text)
    try:
        reader = _Reader(tokens)
        rule = _condition(reader)
        if not reader.done():
            raise _Unparsed()
        return rule
    except _Unparsed:
        return _flat(tokens)


def _subjects(reader):
    """``dynamic-group a, b`` and ``dynamic-group b, dynamic-group a`` alike: each subject with its kind, sorted."""
    items, current = [], []
    while not reader.at_word('to'):
        token = reader.take()
        if token == ('op', ','):
            items.append(current)
            current = []
        else:
            current.append(token)
    items.append(current)
    kind, subjects = None, []
    for item in items:
        words = [text.lower() if k == 'word' else "'%s'" % text if k == 'value' else text for k, text in item]
        if not words:
            raise _Unparsed()
        if words[0] in ('dynamic-group', 'group', 'any-user', 'any-group', 'service'):
            kind, words = words[0], words[1:]
        if kind is None:
            raise _Unparsed()
        subjects.append(' '.join([kind] + words))
    return ', '.join(sorted(set(subjects)))


def canonical_statement(text):
    """A policy statement in a form where equal meaning gives equal text (see above)."""
    tokens = _tokens(text)
    try:
        reader = _Reader(tokens)
        if reader.word() != 'allow':
            raise _Unparsed()
        subjects = _subjects(reader)
        reader.word()  # to
        verb, resource = reader.word(), reader.word()
        if reader.word() != 'in':
            raise _Unparsed()
        location = []
        while not reader.done() and not reader.at_word('where'):
            kind, value = reader.take()
            location.append(value.lower() if kind == 'word' else value)
        if not location:
            raise _Unparsed()
        condition = ''
        if not reader.done():
            reader.word()  # where
            condition = ' where ' + _condition(reader)
            if not reader.done():
                raise _Unparsed()
        return 'allow %s to %s %s in %s%s' % (subjects, verb, resource, ' '.join(location), condition)
    except _Unparsed:
        return _flat(tokens)


def same_statements(current, wanted):
    """Whether two lists of statements mean the same (order, white space and keyword case aside)."""
    return {canonical_statement(s) for s in current or []} == {canonical_statement(s) for s in wanted or []}


# -- the present/absent flow -------------------------------------------------------------------------------

class IamResourceManager(object):
    """One IAM resource found by name in a compartment, made ``present`` (created, or updated where it differs)
    or ``absent``, waiting for ACTIVE. A subclass names it (``kind``, ``result_key``) and says how to list, get,
    create, update and delete it, what differs, and how it is described; calls go through ``call`` (errors as
    ``OracleMlflowError``)."""

    kind = 'resource'  # in messages: "dynamic group", "policy"
    result_key = 'resource'  # the module's return key

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.name = self.params['name']
        self.client = None
        self.compartment_id = None

    # -- to define -------------------------------------------------------------------------------------
    def list_all(self):  # pragma: no cover - interface
        """Every resource of this kind in ``self.compartment_id``."""
        raise NotImplementedError

    def get(self, resource_id):  # pragma: no cover - interface
        """The SDK response of the resource's GET."""
        raise NotImplementedError

    def create(self):  # pragma: no cover - interface
        raise NotImplementedError

    def update(self, current, etag):  # pragma: no cover - interface
        raise NotImplementedError

    def delete(self, current):  # pragma: no cover - interface
        raise NotImplementedError

    def differences(self, current):  # pragma: no cover - interface
        """The names of the options whose wanted value differs in meaning from ``current``."""
        raise NotImplementedError

    def describe(self, resource):  # pragma: no cover - interface
        raise NotImplementedError

    def diff_fields(self, resource):  # pragma: no cover - interface
        """The fields of ``resource`` the diff shows (besides state and name)."""
        raise NotImplementedError

    def wanted_fields(self, current):  # pragma: no cover - interface
        """The diff's fields once the task is done: ``current``'s with the wanted values where they differ."""
        raise NotImplementedError

    def name_taken(self, existing):  # pragma: no cover - interface
        """The error for a create OCI refused with 409 (the name is taken); ``existing`` what ``find`` saw."""
        raise NotImplementedError

    def check_mode_clash(self):
        """In check mode, before reporting a create: raise the error the create would meet, if it can be known."""

    # -- plumbing --------------------------------------------------------------------------------------
    def what(self):
        return "%s '%s'" % (self.kind, self.name)

    def call(self, doing, method, *args, **kwargs):
        """``method(*args, **kwargs)`` with OCI's error answers and connection failures as ``OracleMlflowError``."""
        with reaching(self.client, SERVICE, doing):
            try:
                return method(*args, **kwargs)
            except oci.exceptions.ServiceError as exc:
                raise describe_service_error(exc, doing) from None

    def list_pages(self, doing, method, *args, **kwargs):
        """Every item of a paged list call."""
        return self.call(doing, oci.pagination.list_call_get_all_results, method, *args, **kwargs).data

    def find(self):
        """``(resource or None, the other resources of the compartment)``: the one with exactly this name."""
        found, others = None, []
        for item in self.list_all():
            if getattr(item, 'lifecycle_state', None) == 'DELETED':
                continue
            if item.name == self.name:
                found = item
            else:
                others.append(item)
        return found, others

    def check_case_clash(self, others):
        """A name that differs only in case is taken: OCI refuses a second one (and this one is not it)."""
        clash = next((item for item in others if item.name.lower() == self.name.lower()), None)
        if clash is not None:
            raise OracleMlflowError('conflict', "The %s named '%s' (%s) is there in %s: OCI names are unique whatever "
                                    "their case, so '%s' cannot be created. Use name '%s', or another name."
                                    % (self.kind, clash.name, clash.id, self.where(), self.name, clash.name),
                                    resource_id=clash.id)

    def where(self):
        return 'compartment %s' % self.compartment_id

    def wait(self, resource):
        """The resource once ACTIVE (``wait``, at most ``wait_timeout`` seconds); as it is otherwise."""
        if not self.params['wait'] or resource.lifecycle_state == ACTIVE or self.module.check_mode:
            return resource
        return self.module.wait_for_state(lambda: self.get(resource.id), ACTIVE, self.params['wait_timeout'],
                                          what=self.what(), failed_states=FAILED_STATES, poll=IAM_POLL)

    def state_of(self, resource):
        if resource is None:
            return dict(state='absent', name=self.name)
        fields = dict(state='present', name=resource.name)
        fields.update(self.diff_fields(resource))
        return fields

    # -- the task --------------------------------------------------------------------------------------
    def run(self):
        current, others = self.find()
        if self.params['state'] == 'absent':
            return self.absent(current)
        return self.present(current, others)

    def present(self, current, others):
        if current is None:
            self.check_case_clash(others)
            if self.module.check_mode:
                self.check_mode_clash()
                after = dict(state='present', name=self.name)
                after.update(self.wanted_fields(None))
                return self.result(True, None, dict(state='absent', name=self.name), after)
            created = self.create_or_explain(others)
            return self.result(True, self.wait(created), dict(state='absent', name=self.name), self.state_of(created))
        changes = self.differences(current)
        before = self.state_of(current)
        if not changes:
            return self.result(False, self.wait(current), before, before)
        after = dict(before)
        after.update(self.wanted_fields(current))
        if self.module.check_mode:
            return self.result(True, current, before, after)
        etag = self.call('reading %s' % self.what(), self.get, current.id).headers.get('etag')
        updated = self.update(current, etag)
        return self.result(True, self.wait(updated), before, self.state_of(updated))

    def create_or_explain(self, others):
        try:
            return self.create()
        except OracleMlflowError as error:
            if error.details.get('status') == 409:
                raise self.name_taken(others) from None
            raise

    def absent(self, current):
        gone = dict(state='absent', name=self.name)
        if current is None:
            return self.result(False, None, gone, gone)
        if not self.module.check_mode:
            self.delete(current)
        return self.result(True, None, self.state_of(current), gone)

    def result(self, changed, resource, before, after):
        result = {'changed': changed, self.result_key: self.describe(resource) if resource is not None else None}
        if self.module._diff:
            result['diff'] = dict(before=before, after=after)
        return result
