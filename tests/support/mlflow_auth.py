"""A real MLflow tracking server with its basic-auth app, started from the test venv on 127.0.0.1.

One per test module (the `mlflow_auth_server` fixture of tests/integration/conftest.py): it starts in ~8 s.
Its auth settings are a temporary `basic_auth.ini` (sqlite auth database in the server's directory, default
permission READ); the admin comes from MLFLOW_AUTH_ADMIN_USERNAME/PASSWORD in its environment, never from
an argument. `TlsFront` puts HTTPS, with a certificate of a throwaway CA, in front of it.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import ssl
import subprocess
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from oci_emulator import pki
from support.fleet import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
MLFLOW = REPO_ROOT / ".venv" / "bin" / "mlflow"
ADMIN = "admin"
ADMIN_PASSWORD = "admin-password-for-tests"  # 12+ characters: MLflow's rule
START_TIMEOUT = 90


class AuthServer:
    """`mlflow server --app-name basic-auth` in `directory`; `url`, the admin login, and REST helpers."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.admin = (ADMIN, ADMIN_PASSWORD)
        self.log = directory / "server.log"
        self.process = None

    def start(self):
        ini = self.directory / "basic_auth.ini"
        ini.write_text("[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///%s\n"
                       "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
                       % (self.directory / "auth.db"))
        env = dict(os.environ, MLFLOW_AUTH_CONFIG_PATH=str(ini), MLFLOW_AUTH_ADMIN_USERNAME=ADMIN,
                   MLFLOW_AUTH_ADMIN_PASSWORD=ADMIN_PASSWORD, MLFLOW_FLASK_SERVER_SECRET_KEY="test-secret-key",
                   MLFLOW_DISABLE_TELEMETRY="true", MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false")
        for name in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
            env.pop(name, None)
        with open(self.log, "wb") as log:
            # Its own process group: the server forks workers, and stop() ends them all.
            self.process = subprocess.Popen(
                [str(MLFLOW), "server", "--app-name", "basic-auth", "--host", "127.0.0.1", "--port", str(self.port),
                 "--workers", "1", "--backend-store-uri", "sqlite:///%s" % (self.directory / "mlflow.db"),
                 "--artifacts-destination", str(self.directory / "artifacts")],
                cwd=self.directory, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("mlflow server exited %s:\n%s" % (self.process.returncode, self.log.read_text()))
            try:
                if requests.get(self.url + "/health", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError("mlflow server did not answer /health in %s s:\n%s" % (START_TIMEOUT, self.log.read_text()))

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    # -- the server's state, read as the admin (the evidence of the tests) ---------------------------------

    def api(self, method, path, login=None, **kwargs) -> requests.Response:
        return requests.request(method, self.url + path, auth=login or self.admin, timeout=30, **kwargs)

    def user(self, username):
        """The user as the server describes it, or None."""
        answer = self.api("GET", "/api/2.0/mlflow/users/get", params={"username": username})
        return answer.json()["user"] if answer.status_code == 200 else None

    def create_user(self, username, password, is_admin=False):
        assert self.api("POST", "/api/2.0/mlflow/users/create",
                        json={"username": username, "password": password}).status_code == 200
        if is_admin:
            assert self.api("PATCH", "/api/2.0/mlflow/users/update-admin",
                            json={"username": username, "is_admin": True}).status_code == 200

    def grants(self, username):
        """{(resource_type, resource_id): permission} of the user's own grants."""
        answer = self.api("GET", "/api/3.0/mlflow/users/permissions/list", params={"username": username})
        answer.raise_for_status()
        return {(p["resource_type"], p["resource_pattern"]): p["permission"] for p in answer.json()["permissions"]}

    def logs_in(self, username, password) -> int:
        """The status of a request as that user: 200 logged in, 401 refused."""
        return self.api("GET", "/api/2.0/mlflow/users/current", login=(username, password)).status_code


def four_ways(module, args):
    """The four runs of one action, with diff: check, real, idempotent, idempotent check."""
    return [{module: args, "check_mode": check, "diff": True, "ignore_errors": True} for check in (True, False, False, True)]


def client_as(monkeypatch, server, username, password):
    """The real MLflow client, logged in as `username` the way users do (MLFLOW_TRACKING_USERNAME/PASSWORD)."""
    from mlflow.tracking import MlflowClient
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", username)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", password)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    return MlflowClient(tracking_uri=server.url)


@contextmanager
def auth_server(directory: Path):
    server = AuthServer(directory)
    try:
        yield server.start()
    finally:
        server.stop()


class TlsFront:
    """HTTPS on 127.0.0.1 in front of `upstream` (host, port), with a certificate for 127.0.0.1 from a fresh CA
    (`ca_file`): what an HTTPS proxy with a private CA looks like to a client. A thread relays the bytes."""

    def __init__(self, upstream_port: int, directory: Path):
        self.upstream_port = upstream_port
        ca = pki.CertificateAuthority.create("oracle.mlflow auth test CA")
        key = pki.new_key()
        self.ca_file = directory / "ca.pem"
        self.ca_file.write_bytes(pki.cert_pem(ca.cert))
        cert_file, key_file = directory / "tls.pem", directory / "tls.key"
        cert_file.write_bytes(pki.cert_pem(ca.issue(key.public_key(), "127.0.0.1", hostnames=("127.0.0.1",))))
        key_file.write_bytes(pki.private_pem(key))
        key_file.chmod(0o600)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert_file, key_file)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = "https://127.0.0.1:%d" % self.listener.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client):
        try:
            tls = self.context.wrap_socket(client, server_side=True)
        except (ssl.SSLError, OSError):  # the client refused our certificate: what the tests expect of it
            client.close()
            return
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        try:
            while True:
                readable, _, _ = select.select([tls, upstream], [], [], 30)
                if not readable:
                    return
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    # Decrypted bytes the TLS layer holds already are invisible to select(): take them now.
                    while source is tls and tls.pending():
                        data += tls.recv(tls.pending())
                    (upstream if source is tls else tls).sendall(data)
        except (ssl.SSLError, OSError):
            return
        finally:
            tls.close()
            upstream.close()

    def close(self):
        self.closed = True
        self.listener.close()


class _NotMlflow(BaseHTTPRequestHandler):
    """/moved/...: a redirect elsewhere (a front door's http -> https); /plain/...: 404, as a server without the
    auth app answers its routes; anything else: a web page."""

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path.startswith("/moved/"):
            self.send_response(301)
            self.send_header("Location", "https://elsewhere.example" + self.path)
            body = b""
        else:
            self.send_response(404 if self.path.startswith("/plain/") else 200)
            self.send_header("Content-Type", "text/html")
            body = b"<!doctype html>\n<title>Not MLflow</title>"
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # quiet
        pass


@contextmanager
def odd_servers():
    """URLs of two servers that are not MLflow: a web server (see ``_NotMlflow``), and one that takes
    connections and never answers."""
    redirect = ThreadingHTTPServer(("127.0.0.1", 0), _NotMlflow)
    threading.Thread(target=redirect.serve_forever, daemon=True).start()
    silent = socket.create_server(("127.0.0.1", 0))  # never accepts: connections wait in its backlog
    try:
        yield ("http://127.0.0.1:%d" % redirect.server_address[1], "http://127.0.0.1:%d" % silent.getsockname()[1])
    finally:
        redirect.shutdown()
        redirect.server_close()
        silent.close()
