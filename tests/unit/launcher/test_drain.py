"""serve with MLFLOW_DRAIN_SECONDS: docker stop's SIGTERM first makes /health answer 503 (the drain
marker) while MLflow keeps serving, and MLflow gets its SIGTERM only when the drain is over.

Runs the real launcher command as a process, with a stand-in `mlflow` that records what it sees.
"""
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import LAUNCHER_DIR

FAKE_MLFLOW = textwrap.dedent("""\
    import os, signal, sys, time
    log = open(os.environ["FAKE_LOG"], "a", buffering=1)
    marker = os.environ.get("OCI_MLFLOW_DRAIN_FILE", "")
    def on_term(signum, frame):
        log.write(f"term {time.monotonic():.3f} marker={os.path.exists(marker)}\\n")
        sys.exit(0)
    signal.signal(signal.SIGTERM, on_term)
    log.write(f"ready {marker}\\n")
    if os.environ.get("FAKE_EXIT"):
        sys.exit(int(os.environ["FAKE_EXIT"]))
    while True:
        time.sleep(0.05)
""")


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def start(tmp_path):
    fake = tmp_path / "mlflow"
    fake.write_text(f"#!{sys.executable}\n" + FAKE_MLFLOW)
    fake.chmod(0o755)
    log = tmp_path / "fake.log"
    started = []

    def run(drain, **extra):
        env = {"PATH": os.environ["PATH"], "MLFLOW_HOST": "127.0.0.1", "MLFLOW_PORT": str(_free_port()),
               "MLFLOW_DATA_DIR": str(tmp_path / "data"),
               "MLFLOW_LAUNCHER_MLFLOW_BIN": str(fake), "MLFLOW_DRAIN_SECONDS": str(drain),
               "FAKE_LOG": str(log), "PYTHONDONTWRITEBYTECODE": "1", **extra}
        process = subprocess.Popen([sys.executable, str(LAUNCHER_DIR / "mlflow-launcher"), "serve"], env=env,
                                   stderr=subprocess.PIPE, text=True, cwd=tmp_path)
        started.append(process)
        deadline = time.monotonic() + 20
        while "ready" not in (log.read_text() if log.exists() else ""):
            assert process.poll() is None or extra.get("FAKE_EXIT"), process.stderr.read()
            assert time.monotonic() < deadline, "the stand-in mlflow did not start"
            time.sleep(0.05)
        return process, log
    yield run
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def _lines(log, word):
    return [line.split() for line in log.read_text().splitlines() if line.startswith(word)]


def test_sigterm_drains_then_stops_mlflow_gracefully(start):
    process, log = start(2)
    marker = _lines(log, "ready")[0][1]
    assert not os.path.exists(marker)              # serving normally: /health is 200
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 1
    while not os.path.exists(marker):
        assert time.monotonic() < deadline, "no drain marker within 1 s of SIGTERM"
        time.sleep(0.02)
    time.sleep(1)
    assert _lines(log, "term") == [] and process.poll() is None    # still serving while draining
    assert process.wait(timeout=10) == 0
    (term,) = _lines(log, "term")
    assert 1.8 <= float(term[1]) - sent <= 4, "MLflow stopped at the end of the drain, not before"
    assert term[2] == "marker=True"
    assert "/health answers 503 for 2 s" in process.stderr.read()


def test_a_second_signal_cuts_the_drain_short(start):
    process, log = start(60)
    process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=5) == 0
    assert len(_lines(log, "term")) == 1


def test_mlflow_exiting_by_itself_is_the_launchers_exit_code(start):
    process, _log = start(30, FAKE_EXIT="3")
    assert process.wait(timeout=10) == 3


def test_each_start_has_its_own_marker(start, launcher):
    first, second = launcher.drain.new_marker(), launcher.drain.new_marker()
    assert first != second and not os.path.exists(first) and os.path.isdir(os.path.dirname(first))


def test_the_drain_is_a_contract_setting(base_env, launcher):
    assert launcher.load_config(base_env).drain == 0
    assert launcher.load_config({**base_env, "MLFLOW_DRAIN_SECONDS": "15"}).drain == 15
    with pytest.raises(launcher.ConfigError, match="between 0 and 600"):
        launcher.load_config({**base_env, "MLFLOW_DRAIN_SECONDS": "601"})
