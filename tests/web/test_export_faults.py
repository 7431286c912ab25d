"""Export faults with the real worker and Debian's Chromium: the driver killed, Chromium
killed, Chromium hung. Each time the job in hand fails with a message (or completes) and the
next export works — no restart of anything."""

from __future__ import annotations

import gc
import os
import signal
import time

import psutil
import pytest

from tests.web.auth_fixtures import app_config, login
from webmap.app import create_app
from webmap.export_worker import start_inline, wait_for

#: a killed driver leaves Playwright coroutines that are never awaited; they are collected (and
#: reported) while this module's tests end
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

REPORT = {"kind": "report", "query": "from=2026-01-01&to=2026-01-31"}


@pytest.fixture
def app(seeded_engine, backend):
    if backend == "postgis":
        pytest.skip("browser faults run once, on the SpatiaLite file database")
    app = create_app(app_config(seeded_engine, "required", NTM_EXPORT_TIMEOUT_S="6"))
    thread, stop = start_inline(app)
    yield app
    stop.set()
    thread.join(60)
    app.extensions["ntm_engine"].dispose()
    gc.collect()  # what the killed driver left unfinished is reported here, not in a later test


def _export(client, app) -> dict:
    with client.post("/api/exports", json=REPORT) as r:
        assert r.status_code == 202, r.get_json()
        job_id = r.get_json()["id"]
    job = wait_for(app, job_id, 90)
    return {"status": job.status, "error": job.error}


def _processes(word: str) -> list[psutil.Process]:
    """Children of this process: the Playwright driver ("run-driver") or Chromium ("chrom")."""
    found = []
    for p in psutil.Process(os.getpid()).children(recursive=True):
        try:
            name = p.name() if word == "chrom" else " ".join(p.cmdline())
            if (name.startswith(word)) if word == "chrom" else (word in name):
                found.append(p)
        except psutil.NoSuchProcess:
            continue
    return found


@pytest.mark.browser
@pytest.mark.parametrize("fault", ["driver", "chromium"])
def test_a_killed_driver_or_browser_is_started_again(app, fault):
    client = login(app.test_client(), "planner")
    assert _export(client, app)["status"] == "done"
    word = "run-driver" if fault == "driver" else "chrom"
    victims = _processes(word)
    assert victims, f"no {fault} process to kill"
    for p in victims:
        p.kill()
    time.sleep(0.5)
    after = _export(client, app)
    assert after["status"] == "done" or "khởi động lại" in after["error"], after
    assert _export(client, app)["status"] == "done"


@pytest.mark.browser
def test_a_hung_browser_is_stopped_at_the_timeout(app):
    client = login(app.test_client(), "planner")
    assert _export(client, app)["status"] == "done"
    hung = _processes("chrom")
    for p in hung:
        p.send_signal(signal.SIGSTOP)
    try:
        started = time.time()
        after = _export(client, app)
        assert after["status"] == "failed" and "quá 6 giây" in after["error"], after
        assert time.time() - started < 60
    finally:
        for p in hung:
            try:
                p.send_signal(signal.SIGCONT)
                p.kill()
            except psutil.NoSuchProcess:
                pass
    assert _export(client, app)["status"] == "done"
