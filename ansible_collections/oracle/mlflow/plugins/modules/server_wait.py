#!/usr/bin/python
# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_wait
short_description: Wait until a server container answers its health URL, and fail fast when it crashes instead
version_added: 0.2.0
description:
  - Polls an HTTP health URL (the MLflow server's C(/health)) and, between polls, the state of the container that serves
    it, through the Docker engine API.
  - Succeeds as soon as the URL answers HTTP 200 while the container runs.
  - Fails within seconds, with the container's exit code and its last log lines, when the container stops or restarts
    during the wait (a crash loop under a restart policy) - a server that cannot start never answers, and waiting out
    O(wait_timeout) would only delay the same failure.
  - Fails after O(wait_timeout) seconds when the container keeps running but the URL never answers 200, with the last
    answer seen and the last log lines.
author:
  - oracle.mlflow contributors (!UNKNOWN)
extends_documentation_fragment:
  - oracle.mlflow.docker
  - oracle.mlflow.attributes
  - oracle.mlflow.attributes.INFO_MODULE
  - oracle.mlflow.attributes.ACTIONGROUP_DOCKER
options:
  container:
    description: Name or ID of the container serving O(url).
    type: str
    required: true
  url:
    description:
      - Health URL to poll, reached from the managed node without proxies (it is local to the host).
    type: str
    required: true
  wait_timeout:
    description: Seconds to wait for an answer of HTTP 200.
    type: int
    default: 180
  log_lines:
    description: How many of the container's last log lines a failure reports.
    type: int
    default: 20
notes:
  - The container must exist; its restart count and start time at the first poll are the reference, so a container that
    restarted before the wait began (and now runs) is not a failure.
"""

EXAMPLES = r"""
- name: Wait for the MLflow server, failing fast on a crash loop
  oracle.mlflow.server_wait:
    container: oci-mlflow
    url: http://127.0.0.1:5000/health
    wait_timeout: 180
"""

RETURN = r"""
elapsed:
  description: Seconds waited.
  returned: always
  type: float
  sample: 4.2
status:
  description: The container's state at the end (C(running), C(restarting), C(exited)...).
  returned: always
  type: str
  sample: running
exit_code:
  description: The container's last exit code, when it exited during the wait.
  returned: when the container exited or restarted
  type: int
  sample: 2
logs:
  description: The container's last log lines, when the wait failed.
  returned: on failure
  type: list
  elements: str
error_kind:
  description: V(error) the container stopped or restarted; V(timeout) no answer in time; V(missing) no such container.
  returned: on failure
  type: str
  sample: error
"""

import time
from urllib.error import HTTPError, URLError
from urllib.request import ProxyHandler, build_opener

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.oracle.mlflow.plugins.module_utils._docker_client import (
    APIError,
    docker_argument_spec,
    format_docker_error,
    get_docker_client,
)
from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError

POLL_SECONDS = 1.0
PROBE_TIMEOUT = 2


def probe(url):
    """The answer of one GET: an HTTP status (int), or the reason there was none (str)."""
    opener = build_opener(ProxyHandler({}))  # local to the host: HTTP(S)_PROXY must not apply
    try:
        response = opener.open(url, timeout=PROBE_TIMEOUT)
        try:
            return response.getcode()
        finally:
            response.close()
    except HTTPError as exc:
        return exc.code
    except (URLError, OSError, ValueError) as exc:
        return str(getattr(exc, 'reason', exc))


class ContainerWatch(object):
    """The container's state between polls: has it stopped or restarted since the first look?"""

    def __init__(self, client, name, since=None):
        self.client = client
        self.name = name
        self.since = int(time.time() if since is None else since) - 1
        self.reference = None
        self.state = {}

    def look(self):
        try:
            self.state = self.client.inspect_container(self.name).get('State') or {}
        except APIError as exc:
            if getattr(exc, 'status_code', None) == 404:
                raise OracleMlflowError('missing', 'There is no container %s to wait for.' % self.name) from None
            raise OracleMlflowError('error', 'Cannot inspect container %s: %s' % (self.name, format_docker_error(exc)))
        if self.reference is None:
            self.reference = (self.restarts(), self.state.get('StartedAt'))
        return self.state

    def restarts(self):
        return self.state.get('RestartCount', 0)

    def crashed(self):
        """Why the container is not serving (its status, restarts), or None while it runs as it did."""
        status = self.state.get('Status', 'unknown')
        if self.state.get('Restarting') or status == 'restarting':
            return 'is restarting'
        if not self.state.get('Running'):
            return 'is %s' % status
        if (self.restarts(), self.state.get('StartedAt')) != self.reference:
            return 'restarted'
        return None

    def exit_code(self):
        """The exit code of the container's last death: from the engine's events (once the restart
        policy has started it again, its state says 0), else from its state."""
        try:
            events = self.client.events(since=self.since, until=int(time.time()) + 1, decode=True,
                                        filters={'container': self.name, 'event': 'die'})
            codes = [event.get('Actor', {}).get('Attributes', {}).get('exitCode') for event in events]
        except APIError:
            codes = []
        codes = [code for code in codes if code is not None]
        return int(codes[-1]) if codes else self.state.get('ExitCode')

    def logs(self, lines):
        try:
            text = self.client.logs(self.name, stdout=True, stderr=True, tail=lines)
        except APIError as exc:
            return ['(cannot read the logs: %s)' % format_docker_error(exc)]
        if isinstance(text, bytes):
            text = text.decode('utf-8', 'replace')
        return text.splitlines()


def wait(module, watch, clock=time.monotonic, sleep=time.sleep):
    params = module.params
    started = clock()
    answer = None
    while True:
        watch.look()
        why = watch.crashed()
        if why:
            exit_code = watch.exit_code()
            logs = watch.logs(params['log_lines'])
            raise OracleMlflowError(
                'error', 'Container %s %s instead of answering %s (exit code %s, %d restart(s)) after %.0f s. '
                'Last log lines: %s' % (watch.name, why, params['url'], exit_code, watch.restarts(), clock() - started,
                                        ' | '.join(line.strip() for line in logs if line.strip()) or '(none)'),
                elapsed=round(clock() - started, 1), status=watch.state.get('Status'), exit_code=exit_code, logs=logs)
        answer = probe(params['url'])
        if answer == 200:
            return dict(elapsed=round(clock() - started, 1), status=watch.state.get('Status'))
        if clock() - started >= params['wait_timeout']:
            logs = watch.logs(params['log_lines'])
            raise OracleMlflowError(
                'timeout', 'Container %s runs but %s did not answer 200 within %s s (last answer: %s). Last log lines: %s'
                % (watch.name, params['url'], params['wait_timeout'], answer,
                   ' | '.join(line.strip() for line in logs if line.strip()) or '(none)'),
                elapsed=round(clock() - started, 1), status=watch.state.get('Status'), logs=logs)
        sleep(POLL_SECONDS)


def main():
    module = AnsibleModule(
        argument_spec=docker_argument_spec(
            container=dict(type='str', required=True),
            url=dict(type='str', required=True),
            wait_timeout=dict(type='int', default=180),
            log_lines=dict(type='int', default=20),
        ),
        supports_check_mode=True,
    )
    if module.params['wait_timeout'] < 1:
        module.fail_json(msg='wait_timeout must be at least 1 second.', error_kind='invalid')
    if module.check_mode:
        module.exit_json(changed=False, elapsed=0.0, status=None, skipped=True,
                         msg='Check mode: nothing was started, so there is nothing to wait for.')
    watch = ContainerWatch(get_docker_client(module), module.params['container'])
    try:
        result = wait(module, watch)
    except OracleMlflowError as exc:
        module.fail_json(**exc.result())
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
