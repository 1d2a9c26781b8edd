"""Real headless Chromium (Debian's package, driven by Playwright) against the app served
from a thread of the test process, so that the browser sees the test's database."""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@contextmanager
def serve(app):
    """Serve ``app`` on a free port of 127.0.0.1 for the duration of the block."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@contextmanager
def chromium_page(width: int = 1280, height: int = 720, javascript: bool = True):
    """A page of a headless Chromium; ``javascript=False``: as a browser without scripts."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(reason=f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium); "
                    ".ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height}, java_script_enabled=javascript)
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()
