"""The HTTPS front door (role mlflow_proxy, playbooks/proxy.yml) in front of a tracking server deployed
with the local inventory, as `make deploy` does with localhost added to mlflow_proxies.

One server and one proxy for the module, on free loopback ports; the tests run in file order: the
self-signed CA first, then a certificate made here (files), then one from the OCI emulator's Vault.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import stat
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
from mlflow.tracking import MlflowClient

from e2e_support import docker, inspect
from oci_emulator import pki

pytestmark = pytest.mark.e2e

# The public name is one no resolver knows: clients reach the proxy as localhost / 127.0.0.1 (extra
# names in the certificate), and requests naming it in Host show that the server accepts it.
PUBLIC_NAME = "mlflow-e2e-proxy.test"
SERVER = "oci-mlflow-e2e-proxy-server"
PROXY = "oci-mlflow-e2e-proxy"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("proxy")
    inventory = root / "proxies.yml"
    inventory.write_text(json.dumps({"all": {"children": {"mlflow_proxies": {"hosts": {"localhost": None}}}}}))
    https, http, server = free_port(), free_port(), free_port()
    variables = {
        "mlflow_image_build_dir": str(root / "image"),
        "mlflow_server_container_name": SERVER, "mlflow_server_port": server, "mlflow_server_workers": 1,
        "mlflow_server_data_dir": str(root / "data"), "mlflow_server_config_dir": str(root / "etc"),
        "mlflow_proxy_container_name": PROXY, "mlflow_proxy_image_name": "oci-mlflow-proxy-e2e",
        "mlflow_proxy_build_dir": str(root / "proxy-image"), "mlflow_proxy_config_dir": str(root / "proxy"),
        "mlflow_proxy_https_port": https, "mlflow_proxy_http_port": http,
        "mlflow_proxy_server_name": PUBLIC_NAME, "mlflow_proxy_extra_names": ["localhost", "127.0.0.1"],
    }
    return {"root": root, "inventory": ("inventories/local", str(inventory)), "vars": variables,
            "https": https, "http": http, "data": root / "data", "tls": root / "proxy" / "tls",
            "ca": root / "proxy" / "ca" / "ca.crt", "url": f"https://localhost:{https}"}


@pytest.fixture(scope="module")
def deployment(run_playbook, site):
    for name in (SERVER, PROXY):
        docker("rm", "-f", name, check=False)
    run = run_playbook("deploy.yml", site["vars"], inventory=site["inventory"])
    yield run
    run_playbook("teardown.yml", {**site["vars"], "mlflow_server_purge_data": True}, inventory=site["inventory"])


@pytest.fixture()
def proxy_run(run_playbook, site):
    """proxy_run(more_vars, env=None, check=False): playbooks/proxy.yml alone, as a reconfiguration does."""
    def run(more: dict | None = None, env: dict | None = None, check: bool = False):
        return run_playbook("proxy.yml", {**site["vars"], **(more or {})}, inventory=site["inventory"], env=env,
                            check=check)
    return run


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
    users = [line.split()[1] for line in docker("top", PROXY, "-o", "pid,user,args").stdout.splitlines()[1:]
             if "worker process" in line]
    assert users and set(users) == {"www-data"}


def test_mlflow_client_logs_a_run_and_100_mb_artifact_over_https(deployment, site, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", str(site["ca"]))
    client = MlflowClient(tracking_uri=site["url"])
    run_id = client.create_run(client.create_experiment(f"proxy-{uuid.uuid4().hex[:8]}")).info.run_id
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


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def test_plain_http_redirects_to_https_under_the_public_name(deployment, site):
    resp = requests.post(f"http://127.0.0.1:{site['http']}/api/2.0/mlflow/runs/search?x=1", json={},
                         allow_redirects=False, timeout=5)
    assert resp.status_code == 308
    assert resp.headers["Location"] == f"https://{PUBLIC_NAME}:{site['https']}/api/2.0/mlflow/runs/search?x=1"


def test_hsts_header_and_health_through_the_proxy(deployment, site):
    resp = requests.get(f"{site['url']}/health", verify=site["ca"], timeout=5)
    assert resp.status_code == 200 and resp.text == "OK"
    assert resp.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_the_public_name_is_an_allowed_host_of_the_server(deployment, site):
    search = f"https://127.0.0.1:{site['https']}/api/2.0/mlflow/experiments/search?max_results=1"
    named = requests.get(search, headers={"Host": PUBLIC_NAME}, verify=site["ca"], timeout=5)
    other = requests.get(search, headers={"Host": "elsewhere.test"}, verify=site["ca"], timeout=5)
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
    resp = requests.put(url, data=body, verify=site["ca"], timeout=120)
    assert body.seen_before_end, "the server saw no byte of the upload before the client had sent it all"
    assert resp.status_code == 200, resp.text
    stored = [p for p in site["data"].rglob(f"big-{token}.bin")]
    assert len(stored) == 1 and stored[0].stat().st_size == 64 * 1024 * 1024


def test_key_is_root_only_and_absent_from_docker_inspect(deployment, site):
    key = site["tls"] / "server.key"
    st = key.stat()
    assert st.st_uid == 0 and stat.S_IMODE(st.st_mode) & 0o077 == 0
    assert stat.S_IMODE((site["root"] / "proxy" / "ca" / "ca.key").stat().st_mode) == 0o600
    body = "".join(key.read_text().splitlines()[1:-1])
    inspected = docker("container", "inspect", PROXY).stdout
    assert body[:40] not in inspected and "PRIVATE KEY" not in inspected


def test_second_run_changes_nothing(deployment, proxy_run, site):
    before = inspect(PROXY)["Id"]
    run = proxy_run()
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
