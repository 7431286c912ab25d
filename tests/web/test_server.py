"""The production server: gunicorn workers serve /healthz and signed-in pages, each request is
logged in one line without its secrets, production refuses to start without a secret key, and
responses go out compressed and cacheable."""

from __future__ import annotations

import gzip
import logging
import os
import re
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.web.auth_fixtures import PASSWORD, ensure_user
from webmap.app import MissingSecretKey, create_app
from webmap.request_log import redacted_path

NTM = [sys.executable, "-c", "from webmap.cli import run; run()"]
LINE = re.compile(
    r"ntm\.request method=(\S+) path=(\S+) status=(\d{3}) ms=(\d+\.\d) user=(\S+) db=(\S+)$"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NTM_")}
    env.update(
        DATABASE_URL=database_url,
        PYTHONPATH=os.pathsep.join(sys.path),
        NTM_DATA_DIR=os.environ.get("NTM_DATA_DIR", ""),
        **extra,
    )
    return env


def wait_until_up(base: str, process: subprocess.Popen, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited while starting"
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.3)
    raise AssertionError("the server did not answer /healthz in time")


def sign_in(http: requests.Session, base: str, username: str) -> None:
    form = http.get(f"{base}/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    response = http.post(
        f"{base}/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:300]


@pytest.mark.slow
def test_gunicorn_serves_health_and_signed_in_pages(seeded_engine, tmp_path):
    username, _ = ensure_user(seeded_engine, "planner")
    port, log_path = free_port(), tmp_path / "server.log"
    env = server_env(
        seeded_engine.url.render_as_string(False), NTM_SECRET_KEY="k" * 64, NTM_WORKERS="2"
    )
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*NTM, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        assert requests.get(f"{base}/readyz", timeout=10).json()["status"] == "ok"
        http = requests.Session()
        assert "/login" in http.get(f"{base}/map", allow_redirects=False).headers["Location"]
        sign_in(http, base, username)
        page = http.get(f"{base}/map", timeout=30)
        assert page.status_code == 200 and "<html" in page.text
        assert page.headers["Content-Encoding"] in ("br", "gzip")
        # several requests at once are served by several processes
        pids = set()
        for _ in range(20):
            pids |= set(re.findall(r"\[(\d+)\] \[INFO\] Booting worker", log_path.read_text()))
        assert len(pids) == 2
    finally:
        process.terminate()
        process.wait(timeout=30)
    output = log_path.read_text()
    assert "gunicorn" in output.lower() and "werkzeug" not in output.lower()
    lines = [m.groups() for m in map(LINE.search, output.splitlines()) if m]
    assert ("GET", "/map", "200") in [line[:3] for line in lines]
    signed_in = [line for line in lines if line[1] == "/map" and line[2] == "200"]
    assert signed_in[0][4] == username and signed_in[0][5] == "primary"


def test_production_refuses_to_start_without_secret_key(seeded_engine):
    with pytest.raises(MissingSecretKey, match="token_hex"):
        create_app(
            {"DATABASE_URL": seeded_engine.url.render_as_string(False), "NTM_SECRET_KEY": ""},
            production=True,
        )
    env = server_env(seeded_engine.url.render_as_string(False), NTM_PORT=str(free_port()))
    result = subprocess.run([*NTM, "serve"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "NTM_SECRET_KEY" in result.stderr and "secrets.token_hex(32)" in result.stderr


def test_one_log_line_per_request_without_secrets(app, client, caplog):
    caplog.set_level(logging.INFO, logger="ntm.request")
    client.get("/api/map/config")
    client.get("/plans/me/calendar.ics?token=s3cr3t-Calendar-Token-123&lang=vi")
    client.get("/no/such/page")
    records = [r.getMessage() for r in caplog.records if r.name == "ntm.request"]
    assert len(records) == 3
    first = re.fullmatch(
        r"method=GET path=/api/map/config status=200 ms=\d+\.\d user=test-admin db=primary",
        records[0],
    )
    assert first, records[0]
    assert "s3cr3t" not in "\n".join(records)
    assert "path=/plans/me/calendar.ics?token=***&lang=vi " in records[1]
    assert " status=404 " in records[2]


def test_redaction_of_paths_and_queries():
    assert redacted_path("/plans/7/calendar.ics", b"token=abc") == "/plans/7/calendar.ics?token=***"
    assert redacted_path("/feed/Zx9kQ2mN8pL4rT6vW1yB3cD5", b"") == "/feed/***"
    assert redacted_path("/api/communes/1234/history", b"api_key=1&x=2") == (
        "/api/communes/1234/history?api_key=***&x=2"
    )
    assert redacted_path("/activities/import/template.xlsx", b"") == (
        "/activities/import/template.xlsx"
    )


def test_health_favicon_and_cacheable_static(app, anon_client, client):
    assert anon_client.get("/healthz").get_json() == {"status": "ok"}
    ready = anon_client.get("/healthz?ready=1")
    assert ready.status_code == 200 and ready.get_json()["database"] == "ok"
    with anon_client.get("/favicon.ico") as icon:
        assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"
    page = client.get("/map", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(page.data).decode()
    scripts = re.findall(r'src="(/static/[^"]+\?v=[0-9a-f]{12})"', html)
    assert scripts, "static URLs carry their content hash"
    with client.get(scripts[0], headers={"Accept-Encoding": "gzip"}) as script:
        assert script.status_code == 200 and script.headers["Content-Encoding"] == "gzip"
        assert "immutable" in script.headers["Cache-Control"]
        assert "max-age=31536000" in script.headers["Cache-Control"]
    # without the hash: revalidated with its ETag, not downloaded again
    with client.get(scripts[0].split("?")[0]) as plain:
        etag = plain.headers["ETag"]
    with client.get(scripts[0].split("?")[0], headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304
    coverage = "/api/coverage?kind=quarter&year=2026&number=3"
    with client.get(coverage, headers={"Accept-Encoding": "gzip"}) as big:
        assert big.status_code == 200 and big.headers.get("Content-Encoding") == "gzip"
