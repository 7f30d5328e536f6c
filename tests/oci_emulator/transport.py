"""One loopback port, three ways in, all ending at the same router:

1. plain HTTP, origin-form requests: clients given http://127.0.0.1:PORT (OCI_METADATA_BASE_URL,
   a service_endpoint, the control endpoints, a local docker-registry's token realm);
2. HTTPS forward proxy: `CONNECT host:443` (clients with HTTPS_PROXY) is answered 200, then TLS is
   terminated here with a certificate for exactly that host, issued by the test CA (clients trust it
   through REQUESTS_CA_BUNDLE). No DNS is needed, and the unmodified SDK keeps its real URLs;
3. plain HTTP proxy, absolute-form requests (`GET http://169.254.169.254/opc/v2/...`), for code
   that hard-codes the metadata address and is given HTTP_PROXY.

The emulator never forwards anything: a CONNECT or proxied request for a host outside the emulated
realm is refused with 403 and logged, so a real cloud endpoint fails closed instead of being reached.
"""

from __future__ import annotations

import io
import socket
import ssl
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from . import realm
from .credentials import write_file
from .pki import CertificateAuthority, cert_pem, new_key, private_pem
from .principal import ANONYMOUS
from .routing import ApiError, Request, Response, Route, Router
from .state import State


class TlsContexts:
    """Server-side TLS contexts, one per host name, each with a certificate for just that name.

    Issuing on demand (one shared key, a new certificate per name) means any emulated host works,
    including the OCIR names, without keeping a list of subject alternative names in sync.
    """

    def __init__(self, ca: CertificateAuthority, directory: Path):
        self._ca = ca
        self._directory = directory
        self._key = new_key()
        self._key_file = directory / "server.key"
        write_file(self._key_file, private_pem(self._key))
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def for_host(self, hostname: str) -> ssl.SSLContext:
        with self._lock:
            if hostname not in self._contexts:
                cert_file = self._directory / f"{hostname}.pem"
                cert = self._ca.issue(self._key.public_key(), hostname, hostnames=(hostname,))
                write_file(cert_file, cert_pem(cert), mode=0o644)
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(cert_file, self._key_file)
                self._contexts[hostname] = context
            return self._contexts[hostname]


class EmulatorServer(ThreadingHTTPServer):
    """The listening socket (127.0.0.1 only) with what the handler needs: router, state, TLS."""

    daemon_threads = True

    def __init__(self, port: int, router: Router, state: State, tls: TlsContexts):
        self.router, self.state, self.tls = router, state, tls
        super().__init__(("127.0.0.1", port), _Handler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def get_request(self):
        # Headers and body leave in separate writes: without TCP_NODELAY, Nagle's algorithm and the
        # client's delayed ACK stall every kept-alive response by ~40 ms.
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address

    def handle_error(self, request, client_address) -> None:
        # A client that rejects our certificate or drops its connection is expected, not a bug.
        if isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _SocketWriter(io.BufferedIOBase):
    """Unbuffered writes with sendall, so interim responses (100 Continue) leave at once."""

    def __init__(self, sock):
        super().__init__()
        self._sock = sock

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._sock.sendall(data)
        return len(data)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and automatic "100 Continue" for Expect (SDK PUTs send it)
    server_version = "oci-emulator"
    timeout = 120  # idle keep-alive connections are closed after this
    server: EmulatorServer
    _tls: ssl.SSLSocket | None = None

    def log_message(self, format, *args) -> None:  # noqa: A002 - the request log replaces the access log
        pass

    def finish(self) -> None:
        super().finish()
        if self._tls is not None:
            self._tls.close()

    # -- way 2: CONNECT tunnels ------------------------------------------------------------------------
    def do_CONNECT(self) -> None:
        hostname = realm.hostname_of(self.path)
        if self._tls is not None or not realm.is_emulated_host(hostname):
            self.close_connection = True
            self._refuse(self.path, "")
            return
        self.send_response(200, "Connection Established")
        self.end_headers()
        try:
            tls = self.server.tls.for_host(hostname).wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError):
            self.close_connection = True  # the client refused the certificate or went away
            return
        self._tls = self.connection = self.request = tls
        self.rfile = tls.makefile("rb")
        self.wfile = _SocketWriter(tls)
        self.close_connection = False  # keep reading requests, now from inside the tunnel

    # -- ways 1 and 3: requests ------------------------------------------------------------------------
    def _serve(self) -> None:
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._send(Response.error(ApiError(400, "InvalidParameter", "unreadable request body"))
                       .with_request_id(None))
            return
        request, proxied = self._request(body)
        route: Route | None = None
        try:
            if proxied is not None and not self._may_answer_for(proxied):
                raise _outside_realm(proxied.netloc)
            route = self.server.router.match(request)
            request.principal = route.authenticate(request, self.server.state)
            response = route.handler(request, self.server.state)
        except ApiError as error:
            response = Response.error(error)
        except Exception as exc:  # noqa: BLE001 - an emulator bug must reach the client as a 500
            traceback.print_exc()
            response = Response.error(ApiError(500, "InternalServerError", f"emulator bug: {exc!r}"))
        if route is None or route.logged:  # before answering: a client may read the log right after
            self.server.state.log.record(
                method=request.method, host=request.host, path=request.path, query=request.query_string,
                status=response.status, principal=request.principal, error=response.error_code,
                service=route.service if route is not None else None, policy=request.policy)
        self._send(response.with_request_id(self.headers.get("opc-request-id")))

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _serve  # noqa: N815 - http.server names

    def _request(self, body: bytes) -> tuple[Request, SplitResult | None]:
        """The request in origin form; for an absolute-form (proxied) request also its URL."""
        if self.path.startswith("/"):
            return Request(self.command, self.headers.get("host", ""), self.path, self.headers, body), None
        url = urlsplit(self.path)
        target = (url.path or "/") + (f"?{url.query}" if url.query else "")
        return Request(self.command, self.headers.get("host") or url.netloc, target, self.headers, body), url

    def _may_answer_for(self, url: SplitResult) -> bool:
        hostname = url.hostname or ""
        if realm.is_local_host(hostname):
            return url.port == self.server.port  # another local service: the client lacks NO_PROXY
        return hostname in realm.METADATA_HOSTS or realm.is_emulated_host(hostname)

    def _refuse(self, host: str, path: str) -> None:
        error = _outside_realm(host)
        self.server.state.log.record(method=self.command, host=host, path=path, query="", status=error.status,
                                     principal=ANONYMOUS, error=error.code)
        self._send(Response.error(error).with_request_id(None))

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        has_body = response.status not in (204, 304)
        if has_body:
            self.send_header("Content-Type", response.content_type)
            if not any(name.lower() == "content-length" for name in response.headers):
                self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if has_body and self.command != "HEAD":
            self.wfile.write(response.body)


def _outside_realm(host: str) -> ApiError:
    return ApiError(403, "Forbidden",
                    f"The OCI emulator answers only for the emulated realm ({realm.REALM_DOMAIN}) and never "
                    f"forwards; refused {host}. A local service belongs in NO_PROXY.")

