"""The front door: the tracking server with logins (mlflow_server_auth_*) behind the HTTPS proxy (role
mlflow_proxy, playbooks/proxy.yml), deployed with the local inventory as `make deploy` does with localhost
added to mlflow_proxies, users and permissions as code.

One server and one proxy for the module, on free loopback ports; the tests run in file order: the real MLflow
client over HTTPS with logins, refusals (401, 403), TLS, the UI in chromium, secrets, a redeploy that grants,
removes a user and changes the admin password, an unchanged redeploy, then the proxy's certificates (the
self-signed CA first, then a certificate made here, then one from the OCI emulator's Vault), and last the drain.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from e2e_support import IMAGE_UID, REPO_ROOT, docker, free_port, inspect, process_args
from oci_emulator import pki
from support.browser import Browser, trusting_home

pytestmark = pytest.mark.e2e

# The public name is one no resolver knows: clients reach the proxy as localhost / 127.0.0.1 (extra
# names in the certificate), and requests naming it in Host show that the server accepts it.
PUBLIC_NAME = "mlflow-e2e-front-door.test"
SERVER = "oci-mlflow-e2e-front-door"
PROXY = "oci-mlflow-e2e-front-door-proxy"
ADMIN = "admin"
SECRETS = {"admin": "first:admin%pass-1",       # ':' and '%' on purpose (basic auth, configparser)
           "admin-2": "second-admin-pass-2",
           "alice": "alice-password-1", "bob": "bob-password-12", "reader": "reader-password-1"}
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "front_door"


def users(*names: str) -> list[dict]:
    return [{"username": name, "password": SECRETS[name]} for name in names]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("proxy")
    inventory = root / "proxies.yml"
    inventory.write_text(json.dumps({"all": {"children": {"mlflow_proxies": {"hosts": {"localhost": None}}}}}))
    https, http, server = free_port(), free_port(), free_port()
    variables = {
        "mlflow_image_build_dir": str(root / "image"),
        "mlflow_server_container_name": SERVER, "mlflow_server_port": server, "mlflow_server_workers": 2,
        "mlflow_server_data_dir": str(root / "data"), "mlflow_server_config_dir": str(root / "etc"),
        "mlflow_server_drain_seconds": 3,
        # Logins; what a user creates is theirs alone unless granted (MLflow's default is READ for everyone).
        "mlflow_server_auth_enabled": True, "mlflow_server_auth_admin_password": SECRETS["admin"],
        "mlflow_server_auth_default_permission": "NO_PERMISSIONS",
        "mlflow_server_auth_users": users("alice", "bob", "reader"),
        "mlflow_proxy_container_name": PROXY, "mlflow_proxy_image_name": "oci-mlflow-front-door-e2e",
        "mlflow_proxy_build_dir": str(root / "proxy-image"), "mlflow_proxy_config_dir": str(root / "proxy"),
        "mlflow_proxy_https_port": https, "mlflow_proxy_http_port": http,
        "mlflow_proxy_server_name": PUBLIC_NAME, "mlflow_proxy_extra_names": ["localhost", "127.0.0.1"],
    }
    return {"root": root, "inventory": ("inventories/local", str(inventory)), "vars": variables,
            "https": https, "http": http, "server": server, "data": root / "data", "tls": root / "proxy" / "tls",
            "ca": root / "proxy" / "ca" / "ca.crt", "url": f"https://localhost:{https}", "outputs": []}


@pytest.fixture(scope="module")
def deployment(run_playbook, site):
    for name in (SERVER, PROXY):
        docker("rm", "-f", name, check=False)
    run = run_playbook("deploy.yml", site["vars"], inventory=site["inventory"])
    site["outputs"].append(run.output)
    yield run
    run_playbook("teardown.yml", {**site["vars"], "mlflow_server_purge_data": True}, inventory=site["inventory"])


@pytest.fixture()
def proxy_run(run_playbook, site):
    """proxy_run(more_vars, env=None, check=False): playbooks/proxy.yml alone, as a reconfiguration does."""
    def run(more: dict | None = None, env: dict | None = None, check: bool = False):
        done = run_playbook("proxy.yml", {**site["vars"], **(more or {})}, inventory=site["inventory"], env=env,
                            check=check)
        site["outputs"].append(done.output)
        return done
    return run


@pytest.fixture()
def login(site, monkeypatch):
    """login(user) -> the real MLflow client over HTTPS, logged in as `user` the way users do it."""
    def client(user: str, password: str | None = None) -> MlflowClient:
        monkeypatch.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", str(site["ca"]))
        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", user)
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", password or SECRETS[user])
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")   # a 401/403 is an answer, not a fault
        return MlflowClient(tracking_uri=site["url"])
    return client


def trust(site) -> str:
    """The CA the served chain verifies against now (the certificate tests change it)."""
    return str(site.get("trust", site["ca"]))


def api(site, path: str, auth=None, **kwargs) -> requests.Response:
    return requests.post(site["url"] + path, auth=auth, verify=trust(site), timeout=30, **kwargs)


def openssl(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, text=True, timeout=30)


def handshake(site, version: str, ca: Path) -> subprocess.CompletedProcess:
    # SECLEVEL=0 lets this client offer TLS 1.0/1.1 at all (OpenSSL 3 refuses them by default), so a
    # failure is the server's refusal.
    return openssl("s_client", "-connect", f"127.0.0.1:{site['https']}", "-servername", "localhost",
                   f"-{version}", "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", str(ca),
                   "-verify_hostname", "localhost", "-verify_return_error")


def served_certificates(site) -> list[str]:
    out = openssl("s_client", "-connect", f"127.0.0.1:{site['https']}", "-servername", "localhost",
                  "-showcerts").stdout
    return re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\n", out, re.S)


def served_serial(site) -> int:
    pem = served_certificates(site)[0]
    out = openssl("x509", "-noout", "-serial", stdin=pem).stdout
    return int(out.strip().split("=", 1)[1], 16)


def test_deploy_puts_the_proxy_in_front_of_the_server(deployment, site):
    assert deployment.returncode == 0, deployment.output[-3000:]
    assert (f"MLflow through HTTPS: https://{PUBLIC_NAME}:{site['https']} (clients trust the CA {site['ca']}"
            in " ".join(deployment.output.split()))
    container = inspect(PROXY)
    assert container["State"]["Running"]
    assert container["HostConfig"]["NetworkMode"] == "host"
    assert container["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert container["HostConfig"]["ReadonlyRootfs"] is True
    # The master binds and reads the key; every worker that handles requests is www-data.
    workers = [line.split()[1] for line in docker("top", PROXY, "-o", "pid,user,args").stdout.splitlines()[1:]
               if "worker process" in line]
    assert workers and set(workers) == {"www-data"}
    # With the proxy on, the server itself answers on loopback only, and with logins.
    assert (site["data"] / "basic_auth.db").is_file()
    key = site["root"] / "etc" / "auth_secret.key"
    assert (stat.S_IMODE(key.stat().st_mode), key.stat().st_uid) == (0o600, 0)
    assert len(key.read_text()) == 64
    env_file = (site["root"] / "etc" / "mlflow.env").read_text()
    assert f"MLFLOW_FLASK_SERVER_SECRET_KEY={key.read_text()}\n" in env_file and "MLFLOW_AUTH=1\n" in env_file
    assert "MLFLOW_HOST=127.0.0.1\n" in env_file
    # The ini MLflow reads (it would hold a MySQL password): 0600, the image's uid, in the container's /tmp.
    found = docker("exec", SERVER, "find", "/tmp", "/mlflow", "-name", "basic_auth.ini", "-printf", "%m %U %h\n")
    mode, uid, directory = found.stdout.split()
    assert (mode, uid) == ("600", str(IMAGE_UID)) and directory.startswith("/tmp/oci-mlflow-auth-")


def test_mlflow_client_logs_a_run_and_100_mb_artifact_over_https(deployment, site, tmp_path, login):
    client = login("alice")
    experiment = client.create_experiment(f"alice-{uuid.uuid4().hex[:8]}")
    run_id = client.create_run(experiment, run_name="alice-run").info.run_id
    client.log_param(run_id, "alpha", "0.5")
    for step, value in enumerate([0.9, 0.6, 0.3]):
        client.log_metric(run_id, "loss", value, step=step)
    source = tmp_path / "weights.bin"
    with source.open("wb") as out:
        for _ in range(100):
            out.write(os.urandom(1024 * 1024))
    client.log_artifact(run_id, str(source))
    client.set_terminated(run_id)

    assert client.get_run(run_id).data.params == {"alpha": "0.5"}
    assert [m.value for m in client.get_metric_history(run_id, "loss")] == [0.9, 0.6, 0.3]
    downloaded = Path(client.download_artifacts(run_id, "weights.bin", str(tmp_path / "dl")))
    assert downloaded.stat().st_size == 100 * 1024 * 1024
    assert sha256(downloaded) == sha256(source)
    site.update(experiment=experiment, experiment_name=client.get_experiment(experiment).name, run_id=run_id)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def test_no_login_a_wrong_password_and_an_unknown_user_get_401(deployment, site):
    search = "/api/2.0/mlflow/experiments/search"
    assert api(site, search, json={"max_results": 1}).status_code == 401
    assert api(site, search, (ADMIN, SECRETS["admin"] + "x"), json={"max_results": 1}).status_code == 401
    assert api(site, search, ("mallory", "mallory-password"), json={"max_results": 1}).status_code == 401
    assert requests.get(site["url"] + "/ajax-api/2.0/mlflow/users/current", verify=site["ca"],
                        timeout=10).status_code == 401
    assert api(site, search, (ADMIN, SECRETS["admin"]), json={"max_results": 1}).status_code == 200
    # The server itself asks for the login too (it is on loopback only, behind the proxy).
    direct = requests.post(f"http://127.0.0.1:{site['server']}{search}", json={"max_results": 1}, timeout=10)
    assert direct.status_code == 401


def test_a_user_without_permission_cannot_see_another_users_runs(deployment, site, login):
    bob = login("bob")
    with pytest.raises(MlflowException, match="403|PERMISSION_DENIED"):
        bob.get_run(site["run_id"])
    with pytest.raises(MlflowException, match="403|PERMISSION_DENIED"):
        bob.get_experiment(site["experiment"])
    # what bob can see of the server holds none of alice's experiments
    assert site["experiment"] not in [e.experiment_id for e in bob.search_experiments()]


@pytest.fixture(scope="module")
def browser(site, tmp_path_factory):
    home = trusting_home(tmp_path_factory.mktemp("browser-home"), site["ca"])
    browser = Browser(home, SCREENSHOTS)
    yield browser
    browser.close()


def test_the_ui_in_a_browser_logs_in_and_shows_the_experiments_and_a_run(deployment, site, browser):
    # Without a login the browser is asked for one (its prompt) and shows nothing of the server.
    refused = browser.visit(f"{site['url']}/", "01-no-login")
    assert refused.status is None and "ERR_INVALID_AUTH_CREDENTIALS" in refused.error, refused
    wrong = browser.visit(f"{site['url']}/", "01-wrong-password", credentials=("alice", "not-her-password"))
    assert wrong.status == 401 and not wrong.texts, wrong   # the server refused them; the page shows nothing
    listed = browser.visit(f"{site['url']}/#/experiments", "02-experiments", expect=(site["experiment_name"],),
                           credentials=("alice", SECRETS["alice"]))
    assert listed.status == 200
    shown = browser.visit(f"{site['url']}/#/experiments/{site['experiment']}/runs/{site['run_id']}", "03-run",
                          expect=("alice-run", "loss"), credentials=("alice", SECRETS["alice"]))
    assert shown.status == 200 and shown.screenshot.stat().st_size > 10_000


def test_plain_http_redirects_to_https_under_the_public_name(deployment, site):
    resp = requests.post(f"http://127.0.0.1:{site['http']}/api/2.0/mlflow/runs/search?x=1", json={},
                         allow_redirects=False, timeout=5)
    assert resp.status_code == 308
    assert resp.headers["Location"] == f"https://{PUBLIC_NAME}:{site['https']}/api/2.0/mlflow/runs/search?x=1"


def test_hsts_header_and_health_through_the_proxy_without_login(deployment, site):
    resp = requests.get(f"{site['url']}/health", verify=site["ca"], timeout=5)
    assert resp.status_code == 200 and resp.text == "OK"
    assert resp.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_the_public_name_is_an_allowed_host_of_the_server(deployment, site):
    search = f"https://127.0.0.1:{site['https']}/api/2.0/mlflow/experiments/search?max_results=1"
    admin = (ADMIN, SECRETS["admin"])
    named = requests.get(search, headers={"Host": PUBLIC_NAME}, auth=admin, verify=site["ca"], timeout=5)
    other = requests.get(search, headers={"Host": "elsewhere.test"}, auth=admin, verify=site["ca"], timeout=5)
    assert named.status_code == 200, named.text
    assert other.status_code == 403  # the server's Host check is on: the name is accepted, not everything


@pytest.mark.parametrize("version,accepted", [("tls1", False), ("tls1_1", False), ("tls1_2", True),
                                              ("tls1_3", True)])
def test_only_tls_1_2_and_1_3_are_accepted(deployment, site, version, accepted):
    proc = handshake(site, version, site["ca"])
    if accepted:
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        assert "Verify return code: 0 (ok)" in proc.stdout
    else:
        assert proc.returncode != 0
        assert "alert protocol version" in proc.stderr  # the server refused the version


def test_served_chain_verifies_against_the_ca(deployment, site, tmp_path):
    served = tmp_path / "served.pem"
    served.write_text(served_certificates(site)[0])
    proc = openssl("verify", "-CAfile", str(site["ca"]), "-verify_hostname", "localhost", str(served))
    assert proc.returncode == 0 and f"{served}: OK" in proc.stdout, proc.stdout + proc.stderr
    sans = openssl("x509", "-noout", "-ext", "subjectAltName", stdin=served.read_text()).stdout
    assert f"DNS:{PUBLIC_NAME}" in sans and "DNS:localhost" in sans and "IP Address:127.0.0.1" in sans
class HeldBody:
    """A request body of `size` bytes that, after `hold_at` bytes, waits until `arrived()` says the server
    holds some of them before sending the rest: a proxy that buffers the body makes it wait in vain."""

    def __init__(self, size: int, hold_at: int, arrived, timeout: float = 30):
        self.size, self.hold_at, self.arrived, self.timeout = size, hold_at, arrived, timeout
        self.sent, self.waited, self.seen_before_end = 0, None, False
        self.block = os.urandom(64 * 1024)

    def __len__(self) -> int:
        return self.size

    def read(self, n: int = -1) -> bytes:
        if self.sent >= self.hold_at and self.waited is None:
            start = time.monotonic()
            while time.monotonic() - start < self.timeout and not self.seen_before_end:
                self.seen_before_end = self.arrived()
                time.sleep(0.05)
            self.waited = time.monotonic() - start
        n = min(len(self.block) if n is None or n < 0 else n, len(self.block), self.size - self.sent)
        self.sent += n
        return self.block[:n]


def test_uploads_stream_through_to_the_server(deployment, site):
    token = uuid.uuid4().hex
    url = f"{site['url']}/api/2.0/mlflow-artifacts/artifacts/stream-{token}/big-{token}.bin"

    def arrived() -> bool:
        # The server stages the upload next to its destination (or in its tmp dir) as it reads it.
        return any(p.is_file() and p.stat().st_size > 0 for p in site["data"].rglob("*") if token in str(p))

    body = HeldBody(64 * 1024 * 1024, hold_at=16 * 1024 * 1024, arrived=arrived)
    resp = requests.put(url, data=body, auth=(ADMIN, SECRETS["admin"]), verify=site["ca"], timeout=120)
    assert body.seen_before_end, "the server saw no byte of the upload before the client had sent it all"
    assert resp.status_code == 200, resp.text
    stored = [p for p in site["data"].rglob(f"big-{token}.bin")]
    assert len(stored) == 1 and stored[0].stat().st_size == 64 * 1024 * 1024


def secrets_of(site) -> list[str]:
    return [*SECRETS.values(), (site["root"] / "etc" / "auth_secret.key").read_text().strip(),
            "".join((site["tls"] / "server.key").read_text().splitlines()[1:-1])[:40]]


def test_no_secret_in_inspect_top_logs_task_output_or_a_file_others_can_read(deployment, site):
    key = site["tls"] / "server.key"
    assert key.stat().st_uid == 0 and stat.S_IMODE(key.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE((site["root"] / "proxy" / "ca" / "ca.key").stat().st_mode) == 0o600
    shown = list(site["outputs"])
    for container in (SERVER, PROXY):
        logs = docker("logs", container)
        shown += [json.dumps(inspect(container)), process_args(container), logs.stdout, logs.stderr]
    # every file under the deployment's directories that others may read (the CA certificate, nginx.conf, ...)
    for path in site["root"].rglob("*"):
        if path.is_file() and path.stat().st_mode & stat.S_IROTH and path.stat().st_size < 10_000_000:
            shown.append(path.read_bytes().decode("utf-8", "replace"))
    assert "PRIVATE KEY" not in "".join(shown[len(site["outputs"]):])
    for secret in secrets_of(site):
        assert not any(secret in text for text in shown), secret[:4]


def test_a_redeploy_grants_removes_a_user_and_changes_the_admin_password(deployment, run_playbook, site, login):
    changed = {**site["vars"], "mlflow_server_auth_admin_password": SECRETS["admin-2"],
               "mlflow_server_auth_users": [*users("alice", "reader"), {"username": "bob", "state": "absent"}],
               "mlflow_server_auth_permissions": [{"username": "reader", "experiment_name": site["experiment_name"],
                                                   "permission": "READ"}]}
    run = run_playbook("deploy.yml", changed, inventory=site["inventory"])
    site["outputs"].append(run.output)
    assert run.returncode == 0, run.output[-3000:]
    site["vars"] = changed
    # the reader reads alice's run and is refused when logging to her experiment
    reader = login("reader")
    assert reader.get_run(site["run_id"]).data.params == {"alpha": "0.5"}
    with pytest.raises(MlflowException, match="403|PERMISSION_DENIED"):
        reader.create_run(site["experiment"])
    # bob is gone, the admin's old password with him
    search = "/api/2.0/mlflow/experiments/search"
    assert api(site, search, ("bob", SECRETS["bob"]), json={"max_results": 1}).status_code == 401
    assert api(site, search, (ADMIN, SECRETS["admin"]), json={"max_results": 1}).status_code == 401
    assert api(site, search, (ADMIN, SECRETS["admin-2"]), json={"max_results": 1}).status_code == 200


def test_an_unchanged_deploy_changes_nothing(deployment, run_playbook, site):
    before = inspect(PROXY)["Id"]
    run = run_playbook("deploy.yml", site["vars"], inventory=site["inventory"])
    site["outputs"].append(run.output)
    assert run.returncode == 0, run.output[-3000:]
    assert run.changed == 0, [line for line in run.output.splitlines() if line.startswith("changed")]
    assert inspect(PROXY)["Id"] == before


def test_check_mode_reports_nothing_to_do_and_a_new_proxy_without_making_it(deployment, proxy_run, site):
    unchanged = proxy_run(check=True)
    assert unchanged.returncode == 0 and unchanged.changed == 0, unchanged.output[-3000:]
    fresh_dir = site["root"] / "fresh-proxy"
    fresh = proxy_run({"mlflow_proxy_config_dir": str(fresh_dir / "etc"),
                       "mlflow_proxy_build_dir": str(fresh_dir / "build"),
                       "mlflow_proxy_container_name": f"{PROXY}-fresh"}, check=True)
    assert fresh.returncode == 0, fresh.output[-3000:]
    assert fresh.changed > 0
    assert not fresh_dir.exists() and inspect(f"{PROXY}-fresh") is None


def test_new_names_make_a_new_selfsigned_certificate(deployment, proxy_run, site):
    before = served_serial(site)
    # null turns the plain HTTP listener off
    run = proxy_run({"mlflow_proxy_extra_names": ["localhost", "127.0.0.1", "mlflow-alias.test"],
                     "mlflow_proxy_http_port": None})
    assert run.returncode == 0, run.output[-3000:]
    assert served_serial(site) != before
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{site['http']}/", allow_redirects=False, timeout=5)
    sans = openssl("x509", "-noout", "-ext", "subjectAltName", stdin=served_certificates(site)[0]).stdout
    assert "DNS:mlflow-alias.test" in sans
    assert handshake(site, "tls1_3", site["ca"]).returncode == 0  # still the same CA


def make_chain(tmp_path: Path, tag: str):
    """A root CA, an intermediate and a server certificate for localhost/127.0.0.1, as PEM files."""
    root = pki.CertificateAuthority.create(f"proxy e2e root {tag}")
    intermediate = root.intermediate(f"proxy e2e intermediate {tag}")
    key = pki.new_key()
    cert = intermediate.issue(key.public_key(), "localhost", hostnames=("localhost", "127.0.0.1"))
    files = {"root": pki.cert_pem(root.cert), "chain": pki.cert_pem(intermediate.cert),
             "cert": pki.cert_pem(cert), "key": pki.private_pem(key)}
    paths = {}
    for name, pem in files.items():
        paths[name] = tmp_path / f"{tag}-{name}.pem"
        paths[name].write_bytes(pem)
    return paths, cert.serial_number


def test_certificate_files_from_the_controller_take_effect_on_the_next_run(deployment, proxy_run, site, tmp_path):
    files, serial = make_chain(tmp_path, "files")
    run = proxy_run({"mlflow_proxy_certificate_source": "files", "mlflow_proxy_certificate_file": str(files["cert"]),
                     "mlflow_proxy_certificate_key_file": str(files["key"]),
                     "mlflow_proxy_certificate_chain_file": str(files["chain"])})
    assert run.returncode == 0, run.output[-3000:]
    assert files["key"].read_text() not in run.output
    assert served_serial(site) == serial
    assert len(served_certificates(site)) == 2  # the intermediate is served with it
    site["trust"] = files["root"]
    assert handshake(site, "tls1_2", files["root"]).returncode == 0
    key = site["tls"] / "server.key"
    assert key.read_bytes() == files["key"].read_bytes() and stat.S_IMODE(key.stat().st_mode) == 0o600


def test_certificate_from_vault(deployment, proxy_run, site, clean_oci_emulator, tmp_path):
    emu = clean_oci_emulator
    files, serial = make_chain(tmp_path, "vault")
    bundle = files["key"].read_text() + files["cert"].read_text() + files["chain"].read_text()
    secret_id = emu.state.add_secret("mlflow-proxy-tls", bundle)
    run = proxy_run({"mlflow_proxy_certificate_source": "vault", "mlflow_proxy_certificate_secret_ocid": secret_id,
                     "mlflow_proxy_certificate_auth_type": "api_key"}, env=emu.process_env())
    assert run.returncode == 0, run.output[-3000:]
    assert files["key"].read_text().splitlines()[1] not in run.output
    assert served_serial(site) == serial
    site["trust"] = files["root"]
    assert handshake(site, "tls1_3", files["root"]).returncode == 0
    assert [e for e in emu.requests if e["path"] == f"/20190301/secretbundles/{secret_id}"]


def test_a_key_that_does_not_match_is_refused_and_the_proxy_keeps_serving(deployment, proxy_run, site, tmp_path):
    before = served_serial(site)
    files, _ = make_chain(tmp_path, "one")
    other, _ = make_chain(tmp_path, "other")
    run = proxy_run({"mlflow_proxy_certificate_source": "files", "mlflow_proxy_certificate_file": str(files["cert"]),
                     "mlflow_proxy_certificate_key_file": str(other["key"])})
    assert run.returncode != 0
    text = " ".join(run.output.split())
    assert f"nginx refuses the new configuration or certificate in {site['root'] / 'proxy'}:" in text
    assert "key values mismatch" in text
    assert served_serial(site) == before


def test_settings_that_cannot_work_fail_in_one_line(deployment, proxy_run):
    run = proxy_run({"mlflow_proxy_certificate_source": "files"})
    assert run.returncode != 0
    assert ("mlflow_proxy_certificate_source files needs mlflow_proxy_certificate_file and "
            "mlflow_proxy_certificate_key_file (PEM files on the controller).") in " ".join(run.output.split())
    assert inspect(PROXY)["State"]["Running"]


def test_a_stopping_server_drains_health_through_the_proxy_while_logins_still_work(deployment, site):
    """Last: it stops the server. docker stop makes /health answer 503 (a balancer's probe through the proxy
    takes the host out) while the API still serves logged-in requests."""
    stopper = threading.Thread(target=docker, args=("stop", SERVER))
    stopper.start()
    seen = set()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and 503 not in seen:
        seen.add(requests.get(site["url"] + "/health", verify=trust(site), timeout=2).status_code)
        time.sleep(0.1)
    served = api(site, "/api/2.0/mlflow/experiments/search", (ADMIN, site["vars"]["mlflow_server_auth_admin_password"]),
                 json={"max_results": 1}).status_code
    stopper.join()
    assert 503 in seen and served == 200
