"""`serve` with a drain: on docker stop the server leaves load balancers before it stops serving.

A balancer that health-checks (OCI's, HAProxy, nginx) takes a backend out only after its next
failed probes, so a server that stops at SIGTERM fails the requests still sent to it meanwhile.
With MLFLOW_DRAIN_SECONDS set, the launcher stays the parent of MLflow: at the first SIGTERM (or
SIGINT) it creates the drain marker, which makes /health answer 503 (mlflow_boundary) while every
other request is served as before; when the drain is over, or at a second signal, MLflow gets the
SIGTERM and stops gracefully (in-flight requests finish).
"""

import os
import signal
import subprocess
import sys
import tempfile
import time

from .config import PROG

MARKER_ENV = "OCI_MLFLOW_DRAIN_FILE"   # read by mlflow_boundary in every worker
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
POLL = 0.2


def new_marker():
    """A marker path of this start only: a marker left by an earlier start (a container killed while
    draining, then restarted by its policy) must not keep the new server out of its balancer."""
    return os.path.join(tempfile.mkdtemp(prefix="oci-mlflow-drain-"), "draining")


def _exit_code(returncode):
    return 128 - returncode if returncode < 0 else returncode


def serve_draining(argv, env, seconds, marker, clock=time.monotonic):
    """Run MLflow as a child and drain on stop; returns MLflow's exit code."""
    received = []

    def on_signal(signum, _frame):
        received.append(signum)

    for signum in STOP_SIGNALS:
        signal.signal(signum, on_signal)
    # Its own session: dumb-init signals the launcher's process group, and MLflow must not get
    # docker stop's SIGTERM before the drain is over.
    child = subprocess.Popen(argv, env={**env, MARKER_ENV: marker}, start_new_session=True)
    drain_ends, stopping = None, False
    while True:
        try:
            return _exit_code(child.wait(timeout=POLL))
        except subprocess.TimeoutExpired:
            pass
        if stopping:
            continue
        if received and drain_ends is None:
            received.clear()
            with open(marker, "w", encoding="ascii"):
                pass
            drain_ends = clock() + seconds
            print(f"{PROG}: stop requested: /health answers 503 for {seconds} s while serving, "
                  "then the server stops", file=sys.stderr, flush=True)
        elif drain_ends is not None and (received or clock() >= drain_ends):
            print(f"{PROG}: drain over: stopping the server", file=sys.stderr, flush=True)
            os.killpg(child.pid, signal.SIGTERM)
            stopping = True
