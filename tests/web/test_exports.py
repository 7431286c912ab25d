"""Exports through the web layer: print pages, export jobs rendered in real Chromium (PNG, PDF,
meeting pack, report), files checked with Pillow, pdftotext and pdfinfo; who may export.

The export browser renders as the requesting user (their session cookie, answered in-process):
an anonymous request cannot start an export, and a job is visible to its owner only.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess

import numpy as np
import openpyxl
import pytest
import sqlalchemy as sa

from geo.models import Activity, AdminUnit
from tests.hostile_strings import MARKUP
from tests.web.auth_fixtures import app_config, fetch_csrf_token, login
from webmap.app import create_app
from webmap.blueprints.exports import FOOT_H, GAP, HEAD_H, LEGEND_W
from webmap.export_worker import start_inline, wait_for

TITLE = "Bản đồ họp giao ban – Quảng Trị"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} (poppler-utils) is not installed")
    return path


def pdf_text(path) -> str:
    return subprocess.run(
        [_tool("pdftotext"), "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_pages(path) -> int:
    out = subprocess.run(
        [_tool("pdfinfo"), str(path)], capture_output=True, text=True, check=True
    ).stdout
    return int(re.search(r"Pages:\s+(\d+)", out).group(1))


@pytest.fixture(scope="module")
def app(seeded_engine):
    app = create_app(
        app_config(seeded_engine, "required", NTM_BASEMAP="osm", NTM_EXPORT_USER_LIMIT="50")
    )
    thread, stop = start_inline(app)  # the worker `ntm worker` runs, in a thread of the test
    yield app
    stop.set()
    thread.join(30)
    app.extensions["ntm_engine"].dispose()


@pytest.fixture(scope="module")
def client(app):
    return login(app.test_client(), "admin")


def run_export(client, app, body: dict, tmp_path, suffix: str):
    with client.post("/api/exports", json=body) as response:
        assert response.status_code == 202, response.get_json()
        job = response.get_json()
    assert job["status"] in ("queued", "running", "done")
    done = wait_for(app, job["id"], 120)
    assert done.status == "done", done.error
    with client.get(f"/api/exports/{job['id']}") as response:
        status = response.get_json()
        assert status["progress"] == 1.0 and status["done"] == status["total"]
        run_export.last_status = status
    with client.get(f"/api/exports/{job['id']}/file") as response:
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
        path = tmp_path / f"export.{suffix}"
        path.write_bytes(response.get_data())
    return path


def test_print_page_shows_title_subtitle_legend_and_sources(client):
    with client.get(
        "/map/print?theme=difficulty&from=2026-01-01&to=2026-03-31&title=" + TITLE
    ) as r:
        html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert TITLE in html and "01/01/2026 – 31/03/2026" in html
    assert "Miền núi" in html and "Nguồn dữ liệu" in html and "Ngày xuất" in html
    assert "scale-bar" in html and "north-arrow" in html
    assert "exports/print.css" in html


@pytest.mark.parametrize("hostile", MARKUP[:4])
def test_hostile_title_is_text(client, hostile):
    with client.get("/map/print", query_string={"title": hostile}) as r:
        html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert hostile not in html


def test_font_is_served_by_the_app(client):
    with client.get("/exports/font/DejaVuSans.ttf") as r:
        assert r.status_code == 200 and r.mimetype == "font/ttf" and len(r.get_data()) > 100_000
    with client.get("/exports/font/..%2Fetc%2Fpasswd") as r:
        assert r.status_code == 404


@pytest.mark.browser
def test_png_at_screen_and_print_size(client, app, tmp_path):
    from PIL import Image

    screen = run_export(client, app, {"kind": "png", "size": "screen", "width": 1200, "height": 800,
                                      "title": TITLE, "query": "theme=difficulty"}, tmp_path, "png")  # fmt: skip
    image = np.asarray(Image.open(screen).convert("RGB")).astype(int)
    assert image.shape[:2] == (800, 1200)
    top, left = 14 + HEAD_H + 10, 14
    region = image[
        top + 5 : top + 800 - HEAD_H - FOOT_H - 2 * GAP - 10, left + 5 : 1200 - LEGEND_W - 3 * GAP
    ]
    background = (np.abs(region - [248, 246, 240]).sum(axis=2) < 6) | (region.sum(axis=2) > 760)
    assert (~background).mean() > 0.15, "the map area is (nearly) blank"
    printed = run_export(client, app, {"kind": "png", "size": "print", "dpi": 300, "paper": "A4",
                                       "orientation": "landscape", "query": "theme=unmet"}, tmp_path, "png")  # fmt: skip
    with Image.open(printed) as big:
        assert big.size == (3506, 2478)  # A4 landscape at 300 dpi


@pytest.mark.browser
def test_pdf_is_vector_with_title_legend_and_diacritics(client, app, tmp_path):
    path = run_export(client, app, {"kind": "pdf", "paper": "A3", "orientation": "portrait", "title": TITLE,
                                    "query": "theme=difficulty&from=2026-01-01&to=2026-03-31"}, tmp_path, "pdf")  # fmt: skip
    text = pdf_text(path)
    assert pdf_pages(path) == 1
    assert TITLE in text and "Miền núi" in text and "Bãi ngang ven biển" in text
    assert "01/01/2026" in text and "Nguồn dữ liệu" in text
    fonts = subprocess.run([_tool("pdffonts"), str(path)], capture_output=True, text=True).stdout
    assert "DejaVuSans" in fonts  # the served font, embedded (Vietnamese diacritics)
    images = subprocess.run(
        [_tool("pdfimages"), "-list", str(path)], capture_output=True, text=True
    ).stdout
    assert len(images.strip().splitlines()) <= 2, "the map was rasterised"


@pytest.mark.browser
def test_online_basemap_unreachable_still_exports_and_says_so(client, app, tmp_path):
    path = run_export(
        client, app, {"kind": "pdf", "query": "theme=difficulty&base=osm"}, tmp_path, "pdf"
    )
    assert "Không tải được bản đồ nền" in pdf_text(path)


@pytest.fixture
def priority_list(client, seeded_engine):
    with seeded_engine.connect() as conn:
        ids = conn.scalars(
            sa.select(AdminUnit.id).where(AdminUnit.level == "commune", AdminUnit.valid_to.is_(None))
            .order_by(AdminUnit.name).limit(3)
        ).all()  # fmt: skip
    with client.post("/api/priority-lists", json={"name": "Họp quý – xuất thử"}) as r:
        plist = r.get_json()
    with client.post(
        f"/api/priority-lists/{plist['id']}/items",
        json={"unit_ids": ids, "version": plist["version"]},
    ) as r:
        assert r.status_code == 200, r.get_json()
        version = r.get_json()["list"]["version"]
    yield plist["id"], ids
    with client.delete(f"/api/priority-lists/{plist['id']}?version={version}"):
        pass


@pytest.mark.browser
def test_meeting_pack_pages(client, app, tmp_path, priority_list):
    list_id, ids = priority_list
    path = run_export(
        client, app, {"kind": "pack", "query": f"theme=unmet&list={list_id}"}, tmp_path, "pdf"
    )
    assert pdf_pages(path) == 1 + len(ids) + 1  # cover, one page per commune, one summary page
    assert run_export.last_status["total"] == 1 + len(ids) + 1  # progress was counted per page
    text = pdf_text(path)
    assert "Họp quý – xuất thử" in text and "Bảng tổng hợp" in text and "Tiêu chí chưa đạt" in text


def test_pack_per_former_district(client, seeded_engine):
    with seeded_engine.connect() as conn:
        district = conn.scalar(
            sa.select(AdminUnit.name)
            .where(AdminUnit.level == "district")
            .order_by(AdminUnit.name)
            .limit(1)
        )
    with client.get("/map/print") as r:
        assert r.status_code == 200
    with client.get("/exports/pack", query_string={"dist": district, "theme": "ntm"}) as r:
        html = r.get_data(as_text=True)
    assert r.status_code == 200
    communes = html.count('class="sheet atlas"')
    assert communes >= 1 and len(re.findall(r'class="sheet[ "]', html)) == 1 + communes + -(
        -communes // 24
    )
    assert district in html


def test_pack_needs_communes(client):
    with client.get("/exports/pack") as r:
        assert r.status_code == 400
        assert "danh sách ưu tiên" in r.get_data(as_text=True)


@pytest.mark.browser
def test_report_pdf_and_excel(client, app, tmp_path, seeded_engine):
    query = "from=2020-01-01&to=2030-12-31"
    path = run_export(client, app, {"kind": "report", "query": query}, tmp_path, "pdf")
    assert "Số buổi thứ Bảy có hoạt động" in pdf_text(path)
    with client.get(f"/reports/excel?{query}") as r:
        wb = openpyxl.load_workbook(io.BytesIO(r.get_data()))
    with seeded_engine.connect() as conn:
        count = conn.scalar(sa.select(sa.func.count(Activity.id)).where(
            Activity.deleted_at.is_(None), Activity.activity_date.between(dt.date(2020, 1, 1), dt.date(2030, 12, 31))))  # fmt: skip
    try:
        assert wb["Tổng hợp"]["B6"].value == count
    finally:
        wb.close()


def test_reports_page(client):
    with client.get("/reports?from=2026-01-01&to=2026-03-31") as r:
        html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Toàn tỉnh" in html and "/reports/excel?" in html


def test_bad_requests_say_what_to_fix(client):
    with client.post("/api/exports", json={"kind": "gif"}) as r:
        assert r.status_code == 400 and "png" in r.get_json()["error"]
    with client.post("/api/exports", json={"kind": "png", "paper": "Letter"}) as r:
        assert r.status_code == 400 and "A4 hoặc A3" in r.get_json()["error"]
    with client.get("/reports?from=hôm-qua") as r:
        assert r.status_code == 400


def test_export_browser_is_answered_as_the_requesting_user(app):
    """The worker renders with a session of the job's owner: signed in, the print page; for a
    disabled owner no session at all, so the login redirect (an export never sees more than its
    user); the session ends with the job."""
    from sqlalchemy.orm import Session

    from services import user_sessions
    from tests.web.auth_fixtures import ensure_user
    from webmap.export_worker import _fetcher, _user_cookie

    engine = app.extensions["ntm_engine"]
    username, _ = ensure_user(engine, "viewer")
    with Session(engine) as db:
        cookie, sid = _user_cookie(app, db, username)
        assert _fetcher(app, cookie)("/map/print")[0] == 200
        user_sessions.end(db, sid)
        db.commit()
    status, headers, _ = _fetcher(app, cookie)("/map/print")
    assert status == 302 and "/login" in headers["Location"]


def test_sign_in_required_and_jobs_are_private(app):
    anon = app.test_client()
    token = fetch_csrf_token(anon)
    with anon.post("/api/exports", json={"kind": "report"}, headers={"X-CSRFToken": token}) as r:
        assert r.status_code == 401
    viewer = login(app.test_client(), "viewer")
    with viewer.post(
        "/api/exports", json={"kind": "report", "query": "from=2026-01-01&to=2026-01-31"}
    ) as r:
        assert r.status_code == 202
        job_id = r.get_json()["id"]
    planner = login(app.test_client(), "planner")
    with planner.get(f"/api/exports/{job_id}") as r:
        assert r.status_code == 404
    assert wait_for(app, job_id, 120).status == "done"
    with viewer.get(f"/api/exports/{job_id}/file") as r:
        assert r.status_code == 200 and r.get_data().startswith(b"%PDF")


def test_unit_report_page_shows_plan_against_actual(client, seeded_engine):
    from sqlalchemy.orm import Session

    from geo.models import Organisation

    with Session(seeded_engine) as s:
        org_id = s.scalar(sa.select(Organisation.id).where(Organisation.code == "QT44-SXD"))
    with client.get(f"/reports/print?from=2026-01-01&to=2026-03-31&unit={org_id}") as r:
        html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Kế hoạch so với thực hiện" in html and "Khối lượng đã làm" in html
    with client.get("/reports/print?from=2026-01-01&to=2026-03-31") as r:
        assert "Kế hoạch so với thực hiện" not in r.get_data(as_text=True)
