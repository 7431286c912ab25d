"""Shared pieces of the end-to-end tests: a real app server in a thread and a signed-in
headless Chromium page (Debian's /usr/bin/chromium driven by Playwright; never a download).

    with serve_app(database_url) as base_url:
        with chromium_page(base_url, username, viewport=(1400, 900)) as page:
            ...
            assert page.outside == [] and page.errors == []
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server

from tests.web.auth_fixtures import browser_login
from webmap.app import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


@contextmanager
def serve_app(database_url: str, **config) -> Iterator[str]:
    """Serve the app (sign-in required) on a free port of 127.0.0.1; yields its base URL."""
    app = create_app(
        {"DATABASE_URL": database_url, "NTM_SECRET_KEY": "e2e", "NTM_AUTH": "required", **config}
    )
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        thread.join(5)
        app.extensions["ntm_engine"].dispose()


@contextmanager
def chromium_page(base_url: str, username: str | None, viewport=(1400, 900), **context_options):
    """A page signed in as ``username`` (None: not signed in) that records what went wrong:
    ``page.outside`` (requests leaving the app), ``page.errors`` (script errors) and
    ``page.dialogs`` (alert/confirm texts; dismissed)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, locale="vi-VN",
            **context_options,
        )  # fmt: skip
        page = context.new_page()
        page.outside, page.errors, page.dialogs = [], [], []

        def note_request(url: str) -> None:
            if not (url.startswith(base_url + "/") or url.startswith(("data:", "blob:"))):
                page.outside.append(url)

        page.on("request", lambda r: note_request(r.url))
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        if username:
            browser_login(page, base_url, username)
        try:
            yield page
        finally:
            context.close()
            browser.close()
