"""The `healthcheck` subcommand: a local HTTP probe of the server's /health endpoint."""

import sys
import urllib.error
import urllib.request

from .config import PROG, _check_host, _get, load_port

HEALTH_TIMEOUT = 4


def health_url(environ):
    """The URL a local probe uses: wildcard binds are reached over loopback."""
    host = _get(environ, "MLFLOW_HOST") or "0.0.0.0"
    port = load_port(environ)
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1" if host == "0.0.0.0" else "::1"
    _check_host("MLFLOW_HOST", host)
    if ":" in host:
        host = f"[{host.replace('%', '%25')}]"
    return f"http://{host}:{port}/health"


def healthcheck(environ):
    url = health_url(environ)
    # No proxies: HTTP(S)_PROXY may be set for OCI traffic, the probe is local.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=HEALTH_TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        print(f"{PROG}: unhealthy: {url}: {reason}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"{PROG}: unhealthy: {url}: HTTP {status}", file=sys.stderr)
        return 1
    print(f"{PROG}: healthy: {url}")
    return 0
