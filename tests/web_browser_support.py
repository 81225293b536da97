"""Serve the app on a free localhost port and drive it with Debian's headless Chromium."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from support import require
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(settings: Settings, db: Database) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, db), host="127.0.0.1", port=port, log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def browser_page(user_data: Path) -> Iterator[Any]:
    require(Path(CHROMIUM).exists(), f"no {CHROMIUM}: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "playwright is not installed: pip install -e '.[dev]'")
        raise
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        page = context.new_page()
        outside: list[str] = []
        page.on(
            "request",
            lambda r: (
                outside.append(r.url)
                if not r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                else None
            ),
        )
        # Every page the tests load is also checked against the Content-Security-Policy
        # (web/headers.py): a blocked script, style or eval fails the test that caused it.
        violations: list[str] = []
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', function (e) {"
            " console.error('CSP violation: ' + e.violatedDirective + ' blocked '"
            " + (e.blockedURI || 'inline') + ' in ' + e.documentURI); });"
        )
        page.on(
            "console",
            lambda m: (
                violations.append(m.text)
                if "CSP violation" in m.text or "Content Security Policy" in m.text
                else None
            ),
        )
        try:
            yield page
        finally:
            context.close()
            browser.close()
        assert not outside, f"requests left 127.0.0.1: {outside}"
        assert not violations, f"Content-Security-Policy violations: {violations}"
