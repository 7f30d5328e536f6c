"""The MLflow UI in a real browser: Debian's chromium, driven headless through playwright.

The browser trusts a CA the way a user's does (an NSS database in its own HOME, made with certutil), so
a page loads only when the server's chain verifies against that CA. A login goes through the browser's
own prompt: the server answers 401 with a Basic challenge and the browser answers it with the
credentials it was given (playwright's http_credentials), as a user typing them into the prompt would.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
WAIT_MS = 30_000


@dataclass
class Visit:
    """What the browser got for one page: the HTTP status of the document (None when it loaded nothing), the
    browser's error then (net::ERR_CERT_AUTHORITY_INVALID, or net::ERR_INVALID_AUTH_CREDENTIALS when the server
    asked for a login the browser could not give), and the screenshot taken."""
    status: int | None
    screenshot: Path
    texts: list[str] = field(default_factory=list)   # the expected texts the page showed
    error: str | None = None


def trusting_home(home: Path, ca_pem: str | os.PathLike) -> Path:
    """A HOME whose NSS database (what chromium on Linux reads) trusts `ca_pem` for TLS servers."""
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True, exist_ok=True)
    if not (nssdb / "cert9.db").exists():
        subprocess.run(["certutil", "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{nssdb}", "-n", "front-door-ca", "-t", "C,,", "-i", str(ca_pem)],
                   check=True)
    return home


class Browser:
    """One headless chromium for a test module; `visit` opens a page in a fresh context (no cookies, no
    cached login) and keeps a screenshot of it in `out_dir`."""

    def __init__(self, home: Path, out_dir: Path):
        self.out_dir = out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        self._playwright = sync_playwright().start()
        # --no-sandbox: the tests run as root, where chromium refuses its sandbox.
        self._browser = self._playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"], env={**os.environ, "HOME": str(home)})

    def visit(self, url: str, name: str, expect: tuple[str, ...] = (), credentials: tuple[str, str] | None = None
              ) -> Visit:
        context = self._browser.new_context(
            viewport={"width": 1400, "height": 900},
            http_credentials={"username": credentials[0], "password": credentials[1]} if credentials else None)
        try:
            page = context.new_page()
            shot = self.out_dir / f"{name}.png"
            try:
                response = page.goto(url, wait_until="load", timeout=WAIT_MS)
            except PlaywrightError as exc:   # a refused certificate or login is no response at all
                page.screenshot(path=shot)
                return Visit(None, shot, error=exc.message.splitlines()[0])
            seen = []
            for text in expect:
                page.get_by_text(text).first.wait_for(timeout=WAIT_MS)
                seen.append(text)
            page.screenshot(path=shot)
            return Visit(response.status if response else None, shot, seen)
        finally:
            context.close()

    def close(self):
        self._browser.close()
        self._playwright.stop()
