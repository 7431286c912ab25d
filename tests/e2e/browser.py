"""Shared pieces of the end-to-end tests: a real app server in a thread and a signed-in
headless Chromium page (Debian's /usr/bin/chromium driven by Playwright; never a download).

    with serve_app(e2e_app(database_url)) as base_url:
        with chromium_page(base_url, username, viewport=(1400, 900)) as page:
            ...
            assert page.outside == [] and page.errors == []
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from geo import schema
from geo.db import make_engine
from services import reference_data
from tests.conftest import data_dir
from tests.web.auth_fixtures import browser_login
from webmap.app import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


def reference_database(path, prepare=None) -> tuple[sa.Engine, str]:
    """A SpatiaLite file at ``path`` with the schema and the real reference data, then
    ``prepare(session)`` (committed); returns the engine and the database URL."""
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    schema.upgrade(engine)
    with Session(engine) as session:
        reference_data.load_all(session, data_dir())
        if prepare is not None:
            prepare(session)
        session.commit()
    return engine, url


def e2e_app(database_url: str, **config):
    """The app on ``database_url`` with sign-in required, as in production."""
    return create_app(
        {"DATABASE_URL": database_url, "NTM_SECRET_KEY": "e2e", "NTM_AUTH": "required", **config}
    )


@contextmanager
def serve_app(app) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1, with an export worker beside it (the
    ``ntm worker`` code, in a thread); yields its base URL; disposes its engine."""
    from webmap.export_worker import start_inline

    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    worker, stop = start_inline(app)
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        stop.set()
        http.shutdown()
        thread.join(5)
        worker.join(30)
        app.extensions["ntm_engine"].dispose()


@contextmanager
def chromium_page(
    base_url: str,
    username: str | None,
    viewport=(1400, 900),
    password: str | None = None,
    init_script: str | None = None,
):
    """A page signed in as ``username`` (None: not signed in) that records what went wrong:
    ``page.outside`` (requests leaving the app), ``page.errors`` (script errors) and
    ``page.dialogs`` (alert/confirm texts; dismissed)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, locale="vi-VN"
        )
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        page.outside, page.errors, page.dialogs = [], [], []

        def note_request(url: str) -> None:
            if not (url.startswith(base_url + "/") or url.startswith(("data:", "blob:", "about:"))):
                page.outside.append(url)

        page.on("request", lambda r: note_request(r.url))
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        if username:
            browser_login(page, base_url, username, *([password] if password else []))
        try:
            yield page
        finally:
            context.close()
            browser.close()
