"""healthcheck: GET /health on the configured port, over loopback for wildcard binds."""
import http.server
import socket
import threading

import pytest

from mlflow_launcher import health_url, main


@pytest.fixture
def server():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/health" else 404)
            self.end_headers()
            self.wfile.write(b"OK")

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("host,url", [("0.0.0.0", "http://127.0.0.1:5000/health"),
                                      ("::", "http://[::1]:5000/health"),
                                      ("", "http://127.0.0.1:5000/health"),
                                      ("10.0.0.5", "http://10.0.0.5:5000/health"),
                                      ("fd00::1", "http://[fd00::1]:5000/health"),
                                      ("mlflow.local", "http://mlflow.local:5000/health")])
def test_health_url(host, url):
    assert health_url({"MLFLOW_HOST": host}) == url


def test_healthy(server, set_env, capsys):
    set_env({"MLFLOW_HOST": "0.0.0.0", "MLFLOW_PORT": str(server),
             "HTTP_PROXY": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9"})
    assert main(["healthcheck"]) == 0


def test_closed_port_is_unhealthy(set_env, capsys):
    set_env({"MLFLOW_HOST": "127.0.0.1", "MLFLOW_PORT": str(free_port())})
    assert main(["healthcheck"]) == 1
    assert "unhealthy" in capsys.readouterr().err


def test_http_error_is_unhealthy(server, set_env, capsys, monkeypatch, launcher):
    monkeypatch.setattr(launcher.health, "health_url",
                        lambda environ: f"http://127.0.0.1:{server}/missing")
    assert main(["healthcheck"]) == 1
    assert "HTTP 404" in capsys.readouterr().err


def test_ignores_the_rest_of_the_config(server, set_env, monkeypatch, launcher):
    """A healthcheck neither creates nor checks directories, nor validates the backend."""
    monkeypatch.setattr(launcher.command, "_writable", lambda path: False)
    set_env({"MLFLOW_HOST": "0.0.0.0", "MLFLOW_PORT": str(server), "BACKEND_PROVIDER": "nope",
             "MLFLOW_DATA_DIR": "/nonexistent/never"})
    assert main(["healthcheck"]) == 0


def test_bad_port_is_unhealthy_not_2(set_env, capsys):
    set_env({"MLFLOW_HOST": "0.0.0.0", "MLFLOW_PORT": "x"})
    assert main(["healthcheck"]) == 1
    assert capsys.readouterr().err.startswith("mlflow-launcher: error: MLFLOW_PORT: ")
