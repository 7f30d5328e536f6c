"""oracle.mlflow.server_wait decides from the container's state and the health answer: a fake engine
and a fake clock play each case in milliseconds (the e2e suite runs it against a real crash loop)."""

from __future__ import annotations

import types

import pytest

from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.modules import server_wait


class FakeEngine:
    """inspect_container plays a list of states, one per call (the last one repeats)."""

    def __init__(self, *states, logs=b'line one\nbind: address already in use\n'):
        self.states = list(states)
        self.calls = 0
        self._logs = logs

    def inspect_container(self, name):
        state = self.states[min(self.calls, len(self.states) - 1)]
        self.calls += 1
        return {'State': state}

    def logs(self, name, stdout, stderr, tail):
        return self._logs

    def events(self, since, until, decode, filters):
        """The engine's 'die' events: one per death the states played so far show."""
        assert filters == {'container': 'srv', 'event': 'die'} and decode
        seen = self.states[:self.calls]
        return [{'Actor': {'Attributes': {'exitCode': str(state['ExitCode'] or 1)}}} for state in seen
                if not state['Running'] or state['Restarting'] or state['RestartCount']]


def running(restarts=0, started='t0'):
    return {'Status': 'running', 'Running': True, 'Restarting': False, 'RestartCount': restarts,
            'StartedAt': started, 'ExitCode': 0}


RESTARTING = {'Status': 'restarting', 'Running': True, 'Restarting': True, 'RestartCount': 1, 'StartedAt': 't1',
              'ExitCode': 1}
EXITED = {'Status': 'exited', 'Running': False, 'Restarting': False, 'RestartCount': 0, 'StartedAt': 't0',
          'ExitCode': 2}


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def run(engine, answers, timeout=180):
    """server_wait.wait with probe answers played in order (the last repeats)."""
    module = types.SimpleNamespace(params=dict(url='http://127.0.0.1:5000/health', wait_timeout=timeout, log_lines=20))
    clock = Clock()
    played = iter(answers)
    last = [None]

    def probe(url):
        last[0] = next(played, last[0])
        return last[0]
    original, server_wait.probe = server_wait.probe, probe
    try:
        return server_wait.wait(module, server_wait.ContainerWatch(engine, 'srv'), clock=clock, sleep=clock.sleep), clock
    finally:
        server_wait.probe = original


def test_healthy_after_a_few_polls():
    result, clock = run(FakeEngine(running()), ['[Errno 111] Connection refused', 503, 200])
    assert result == {'elapsed': 2.0, 'status': 'running'}


@pytest.mark.parametrize('states,why', [
    ((running(), RESTARTING), 'is restarting'),
    ((running(), EXITED), 'is exited'),
    ((running(0, 't0'), running(1, 't1')), 'restarted'),
    ((EXITED,), 'is exited'),
])
def test_a_container_that_stops_or_restarts_fails_at_once_with_its_exit_code_and_logs(states, why):
    with pytest.raises(OracleMlflowError) as info:
        run(FakeEngine(*states), ['[Errno 111] Connection refused'])
    error = info.value
    assert error.kind == 'error' and 'Container srv %s instead of answering' % why in error.message
    assert 'address already in use' in error.message and '\n' not in error.message
    assert error.details['elapsed'] <= 1.0
    assert error.details['logs'] == ['line one', 'bind: address already in use']
    assert error.details['exit_code'] == (2 if why == 'is exited' else 1)


def test_a_container_restarted_before_the_wait_is_the_reference():
    result, clock = run(FakeEngine(running(3, 't3')), [200])
    assert result['status'] == 'running'


def test_no_answer_in_time_is_a_timeout_naming_the_last_answer():
    with pytest.raises(OracleMlflowError) as info:
        run(FakeEngine(running()), [503], timeout=5)
    assert info.value.kind == 'timeout'
    assert 'did not answer 200 within 5 s (last answer: 503)' in info.value.message
    assert info.value.details['elapsed'] == 5.0


def test_a_missing_container_is_said_so():
    class Missing(FakeEngine):
        def inspect_container(self, name):
            raise server_wait.APIError('404 Client Error: Not Found', response=types.SimpleNamespace(status_code=404))
    with pytest.raises(OracleMlflowError) as info:
        run(Missing(), [200])
    assert info.value.kind == 'missing' and 'There is no container srv' in info.value.message


def test_probe_reports_a_refused_connection_as_text(unused_port=1):
    answer = server_wait.probe('http://127.0.0.1:%d/health' % unused_port)
    assert isinstance(answer, str) and 'refused' in answer.lower()
